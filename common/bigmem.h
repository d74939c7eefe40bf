/* bigmem.h: storage for blocks that may grow to a megabyte or more (an
 * event's body, its record array, a long response), chosen by capacity.
 *
 * Below BIGMEM_MIN a block is malloc'd.  From BIGMEM_MIN up it is a region
 * of whole 2 MiB pages of its own, mapped with the advice to back it with
 * transparent huge pages, and kept by the process when it is released, for
 * the next block that fits.  Why: the first touch of a 4 KiB page costs
 * about 16 us of CPU on a Firecracker VM (this is what Lambda runs on), and
 * the largest batch writes about 2,100 of them; one 2 MiB page costs about
 * what 8 small ones do.  A kept region is handed out again whole, so blocks
 * of one size (the same batch size, invocation after invocation, worker
 * after worker) never leave holes for other sizes, as the heap does.
 *
 * The caller keeps each block's capacity and passes it back: the block is
 * malloc'd when that capacity is below BIGMEM_MIN, a region otherwise.
 * Safe from any thread. */
#ifndef IRIS_BIGMEM_H
#define IRIS_BIGMEM_H

#include <stddef.h>

#define BIGMEM_MIN ((size_t)1 << 20)
/* A region's size is a multiple of this: the x86-64 and arm64 huge page. */
#define BIGMEM_PAGE ((size_t)2 << 20)
/* Released regions kept for reuse, at most; a region larger than
 * BIGMEM_KEEP_MAX is never kept (twice the largest block an answerable
 * batch needs: a 6 MB event's record array).  And the regions kept and in
 * use together never hold more than the most that was in use at once. */
#define BIGMEM_KEEP_REGIONS 64
#define BIGMEM_KEEP_MAX ((size_t)16 << 20)

/* Storage for need bytes (need > 0), keeping the first min(cap, need)
 * bytes of p, a block of capacity cap (p NULL and cap 0 for none).  Returns
 * the block and sets *newcap to its capacity (need or more), or returns
 * NULL with p untouched.  A region is never shrunk. */
void *bigmem_resize(void *p, size_t cap, size_t need, size_t *newcap);

/* A kept region of need bytes or more, or NULL when none is kept: memory
 * whose pages the process already has, for a scratch buffer that should not
 * fault any in (a response's pieces, written into the pages of the event
 * just read).  Give it back with bigmem_release(p, *cap). */
void *bigmem_take_kept(size_t need, size_t *cap);

/* Releases p, a block of capacity cap (NULL is ignored). */
void bigmem_release(void *p, size_t cap);

/* Whether a region's last huge page, of which a block needs only part,
 * is a huge page too (the default) or small pages (MADV_NOHUGEPAGE).  A
 * huge last page costs one fault where small ones cost one per 4 KiB, but
 * holds up to 2 MiB the block does not use: worth it for one invocation at
 * a time (a fresh process's first invocation), not for many in flight,
 * where the rounding is paid once per invocation (runtime_workers.c turns
 * it off).  Applies to regions mapped from then on. */
void bigmem_huge_tails(int on);

/* malloc() and free() for a library that takes allocator hooks and keeps
 * no sizes (cJSON: a hostile record's megabyte strings): the same choice by
 * size, the capacity kept in 16 bytes in front of the block. */
void *bigmem_malloc(size_t n);
void bigmem_free(void *p);

/* Gives every kept region back to the kernel, and counts the most in use
 * at once from now on. */
void bigmem_drop_kept(void);

/* Regions kept for reuse now, and their bytes (for tests and benchmarks). */
void bigmem_kept(size_t *regions, size_t *bytes);

#endif
