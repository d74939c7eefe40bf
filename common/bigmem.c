/* bigmem.c: large blocks in regions of whole huge pages, kept for reuse. */
#include "common/bigmem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* A kept region is poisoned: a block used after its release is caught. */
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

typedef struct region {
    char *p;
    size_t size;
} region;

/* What the process holds, under kept_mu.  The bound: the regions kept and
 * the regions in use together never pass the most that was ever in use at
 * once (peak).  A block that fits no kept region gets a new one, and kept
 * regions, smallest first, go back to the kernel until the bound holds
 * again: blocks of growing sizes do not leave a ladder of smaller regions
 * that nothing takes. */
static pthread_mutex_t kept_mu = PTHREAD_MUTEX_INITIALIZER;
static region kept[BIGMEM_KEEP_REGIONS];
static size_t nkept;
static size_t kept_bytes, in_use, peak;

/* The smallest kept region, out of the kept set (kept_mu held; nkept > 0). */
static region pop_smallest(void)
{
    size_t s = 0;
    for (size_t i = 1; i < nkept; i++)
        if (kept[i].size < kept[s].size)
            s = i;
    region r = kept[s];
    kept[s] = kept[--nkept];
    kept_bytes -= r.size;
    return r;
}

/* Accounts for more bytes in use (a new or grown region) and unmaps kept
 * regions until the bound holds. */
static void add_in_use(size_t more)
{
    region drop[BIGMEM_KEEP_REGIONS];
    size_t ndrop = 0;
    pthread_mutex_lock(&kept_mu);
    in_use += more;
    if (in_use > peak)
        peak = in_use;
    while (nkept > 0 && kept_bytes + in_use > peak)
        drop[ndrop++] = pop_smallest();
    pthread_mutex_unlock(&kept_mu);
    for (size_t i = 0; i < ndrop; i++) {
        UNPOISON(drop[i].p, drop[i].size);
        munmap(drop[i].p, drop[i].size);
    }
}

/* size rounded up to whole regions' pages; 0 if that overflows. */
static size_t region_size(size_t need)
{
    if (need > SIZE_MAX - BIGMEM_PAGE)
        return 0;
    return (need + BIGMEM_PAGE - 1) & ~(BIGMEM_PAGE - 1);
}

/* size bytes of address space at a multiple of BIGMEM_PAGE, or NULL: a huge
 * page can back only an aligned 2 MiB range.  prot PROT_NONE reserves the
 * range without making it usable. */
static char *map_aligned(size_t size, int prot)
{
    size_t span = size + BIGMEM_PAGE;
    char *m = mmap(NULL, span, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    char *p = (char *)(((uintptr_t)m + BIGMEM_PAGE - 1) & ~(uintptr_t)(BIGMEM_PAGE - 1));
    size_t head = (size_t)(p - m), tail = span - head - size;
    if (head > 0)
        munmap(m, head);
    if (tail > 0)
        munmap(p + size, tail);
    return p;
}

static atomic_int huge_tails = 1;

void bigmem_huge_tails(int on)
{
    atomic_store_explicit(&huge_tails, on != 0, memory_order_relaxed);
}

/* Where the kernel offers transparent huge pages only when asked (the
 * "madvise" setting) this asks, for the whole region or only for the huge
 * pages need fills (bigmem_huge_tails); where it offers none the advice
 * fails and the region is backed by small pages, still kept and reused. */
static void advise_huge(char *p, size_t size, size_t need)
{
    size_t huge = size;
    if (!atomic_load_explicit(&huge_tails, memory_order_relaxed))
        huge = need / BIGMEM_PAGE * BIGMEM_PAGE;
    if (huge > 0)
        (void)madvise(p, huge, MADV_HUGEPAGE);
    if (huge < size)
        (void)madvise(p + huge, size - huge, MADV_NOHUGEPAGE);
}

static char *map_region(size_t size, size_t need)
{
    char *p = map_aligned(size, PROT_READ | PROT_WRITE);
    if (p != NULL)
        advise_huge(p, size, need);
    return p;
}

/* The smallest kept region of need bytes or more, taken out of the kept
 * set, or NULL. */
static char *take_kept(size_t need, size_t *size)
{
    char *p = NULL;
    pthread_mutex_lock(&kept_mu);
    size_t best = nkept;
    for (size_t i = 0; i < nkept; i++)
        if (kept[i].size >= need && (best == nkept || kept[i].size < kept[best].size))
            best = i;
    if (best < nkept) {
        p = kept[best].p;
        *size = kept[best].size;
        kept[best] = kept[--nkept];
        kept_bytes -= *size;
        in_use += *size;
    }
    pthread_mutex_unlock(&kept_mu);
    if (p != NULL)
        UNPOISON(p, *size);
    return p;
}

static void release_region(char *p, size_t size)
{
    int keep = size <= BIGMEM_KEEP_MAX;
    if (keep)
        POISON(p, size);
    pthread_mutex_lock(&kept_mu);
    in_use -= size;
    if (keep && nkept < BIGMEM_KEEP_REGIONS) {
        kept[nkept++] = (region){p, size};
        kept_bytes += size;
    } else {
        keep = 0;
    }
    pthread_mutex_unlock(&kept_mu);
    if (!keep) {
        UNPOISON(p, size);
        munmap(p, size);
    }
}

/* A region of size bytes or more holding the first n bytes of from (which
 * the caller then releases), or NULL. */
static char *region_for(size_t need, const void *from, size_t n, size_t *size)
{
    char *r = take_kept(need, size);
    if (r == NULL) {
        if ((*size = region_size(need)) == 0 || (r = map_region(*size, need)) == NULL)
            return NULL;
        add_in_use(*size);
    }
    if (n > 0)
        memcpy(r, from, n);
    return r;
}

/* The region p of size bytes grown to nsize: its pages move to a new
 * aligned range (mremap moves page tables, it copies nothing) and the rest
 * is fresh. */
static char *grow_region(char *p, size_t size, size_t nsize, size_t need)
{
    char *to = map_aligned(nsize, PROT_NONE);
    if (to == NULL)
        return NULL;
    void *q = mremap(p, size, nsize, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    if (q == MAP_FAILED) {
        munmap(to, nsize);
        return NULL;
    }
    advise_huge(q, nsize, need);
    return q;
}

void *bigmem_resize(void *p, size_t cap, size_t need, size_t *newcap)
{
    if (need == 0)
        need = 1;
    if (cap >= BIGMEM_MIN) {
        if (need <= cap) {
            *newcap = cap;
            return p;
        }
        size_t size;
        char *r = take_kept(need, &size);
        if (r != NULL) {
            memcpy(r, p, cap);
            release_region(p, cap);
        } else if ((size = region_size(need)) == 0 || (r = grow_region(p, cap, size, need)) == NULL) {
            return NULL;
        } else {
            add_in_use(size - cap);
        }
        *newcap = size;
        return r;
    }
    if (need < BIGMEM_MIN) {
        void *q = realloc(p, need);
        if (q == NULL)
            return NULL;
        *newcap = need;
        return q;
    }
    size_t size;
    char *r = region_for(need, p, p != NULL ? cap : 0, &size);
    if (r == NULL)
        return NULL;
    free(p);
    *newcap = size;
    return r;
}

void *bigmem_take_kept(size_t need, size_t *cap)
{
    return take_kept(need, cap);
}

void bigmem_release(void *p, size_t cap)
{
    if (p == NULL)
        return;
    if (cap < BIGMEM_MIN)
        free(p);
    else
        release_region(p, cap);
}

/* In front of a bigmem_malloc() block: its capacity, 16 bytes so that the
 * block keeps malloc's alignment. */
typedef union sized_head {
    size_t cap;
    max_align_t align;
} sized_head;

void *bigmem_malloc(size_t n)
{
    size_t cap;
    if (n > SIZE_MAX - sizeof(sized_head))
        return NULL;
    sized_head *h = bigmem_resize(NULL, 0, n + sizeof *h, &cap);
    if (h == NULL)
        return NULL;
    h->cap = cap;
    return h + 1;
}

void bigmem_free(void *p)
{
    if (p == NULL)
        return;
    sized_head *h = (sized_head *)p - 1;
    bigmem_release(h, h->cap);
}

void bigmem_drop_kept(void)
{
    pthread_mutex_lock(&kept_mu);
    for (size_t i = 0; i < nkept; i++) {
        UNPOISON(kept[i].p, kept[i].size);
        munmap(kept[i].p, kept[i].size);
    }
    nkept = 0;
    kept_bytes = 0;
    peak = in_use;
    pthread_mutex_unlock(&kept_mu);
}

void bigmem_kept(size_t *regions, size_t *bytes)
{
    size_t n = 0, b = 0;
    pthread_mutex_lock(&kept_mu);
    for (size_t i = 0; i < nkept; i++) {
        n++;
        b += kept[i].size;
    }
    pthread_mutex_unlock(&kept_mu);
    *regions = n;
    *bytes = b;
}
