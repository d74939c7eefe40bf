/* test_bigmem.c: large blocks in kept regions of whole huge pages
 * (common/bigmem).  What a caller relies on: a block holds what it held
 * across every growth, a released region is what the next block of its
 * size gets (no new memory, no page to fault in again), what is kept is
 * bounded, and the regions are laid out so that huge pages can back them.
 * The same from many threads at once is test_bigmem_threads.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bigmem.h"

#define MiB ((size_t)1 << 20)

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i += 4093)
        p[i] = (unsigned char)(seed + i / 4093);
    if (n > 0)
        p[n - 1] = (unsigned char)(seed ^ 0x5a);
}

static int same(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i += 4093)
        if (i != n - 1 && p[i] != (unsigned char)(seed + i / 4093))
            return 0;
    return n == 0 || p[n - 1] == (unsigned char)(seed ^ 0x5a);
}

/* Each test starts with nothing kept. */
static int reset(void **state)
{
    (void)state;
    bigmem_drop_kept();
    return 0;
}

/* Below BIGMEM_MIN a block is malloc's, of exactly the size asked; from
 * BIGMEM_MIN on it is a region aligned to and sized in 2 MiB pages. */
static void sizes_and_alignment(void **state)
{
    (void)state;
    size_t cap = 0;
    unsigned char *small = bigmem_resize(NULL, 0, 1000, &cap);
    assert_non_null(small);
    assert_int_equal(cap, 1000);
    fill(small, cap, 1);
    unsigned char *big = bigmem_resize(small, cap, BIGMEM_MIN, &cap);
    assert_non_null(big);
    assert_int_equal(cap, BIGMEM_PAGE);
    assert_int_equal((uintptr_t)big % BIGMEM_PAGE, 0);
    assert_true(same(big, 1000, 1)); /* the malloc'd bytes came along */
    bigmem_release(big, cap);

    unsigned char *b = bigmem_resize(NULL, 0, 4337158, &cap); /* the largest batch's event */
    assert_non_null(b);
    assert_int_equal(cap, 6 * MiB);
    bigmem_release(b, cap);
}

/* Growing keeps every byte: past its pages a region moves (its pages go
 * with it), or takes a kept region large enough. */
static void growth_keeps_the_bytes(void **state)
{
    (void)state;
    size_t cap = 0;
    unsigned char *p = bigmem_resize(NULL, 0, 3 * MiB, &cap);
    assert_non_null(p);
    assert_int_equal(cap, 4 * MiB);
    fill(p, cap, 7);
    unsigned char *q = bigmem_resize(p, cap, cap, &cap); /* already room: nothing moves */
    assert_ptr_equal(q, p);
    q = bigmem_resize(p, cap, 9 * MiB, &cap);
    assert_non_null(q);
    assert_int_equal(cap, 10 * MiB);
    assert_int_equal((uintptr_t)q % BIGMEM_PAGE, 0);
    assert_true(same(q, 4 * MiB, 7));
    fill(q, cap, 9);

    /* A kept region that fits is used for the growth. */
    size_t kcap;
    unsigned char *k = bigmem_resize(NULL, 0, 14 * MiB, &kcap);
    assert_non_null(k);
    bigmem_release(k, kcap);
    unsigned char *r = bigmem_resize(q, cap, 13 * MiB, &cap);
    assert_ptr_equal(r, k);
    assert_int_equal(cap, 14 * MiB);
    assert_true(same(r, 10 * MiB, 9));
    bigmem_release(r, cap); /* q went back to the kept set when r took over */
    size_t n, bytes;
    bigmem_kept(&n, &bytes);
    assert_int_equal(n, 2);
    assert_int_equal(bytes, 24 * MiB);
}

/* A released region is the next fitting block's: the smallest that fits,
 * so that a small block does not take the room a large one needs. */
static void released_regions_are_reused_smallest_first(void **state)
{
    (void)state;
    size_t c6, c8;
    void *six = bigmem_resize(NULL, 0, 5 * MiB, &c6);
    void *eight = bigmem_resize(NULL, 0, 7 * MiB, &c8);
    assert_non_null(six);
    assert_non_null(eight);
    bigmem_release(eight, c8);
    bigmem_release(six, c6);
    size_t n, bytes;
    bigmem_kept(&n, &bytes);
    assert_int_equal(n, 2);
    assert_int_equal(bytes, 14 * MiB);

    size_t cap;
    void *a = bigmem_resize(NULL, 0, 4337158, &cap); /* fits both: the 6 MiB */
    assert_ptr_equal(a, six);
    assert_int_equal(cap, 6 * MiB);
    void *b = bigmem_resize(NULL, 0, 6 * MiB + 1, &cap); /* only the 8 MiB fits */
    assert_ptr_equal(b, eight);
    bigmem_kept(&n, &bytes);
    assert_int_equal(n, 0);
    bigmem_release(a, 6 * MiB);
    bigmem_release(b, cap);
}

/* What is kept is bounded: a region over BIGMEM_KEEP_MAX goes back to the
 * kernel, and at most BIGMEM_KEEP_REGIONS are kept. */
static void what_is_kept_is_bounded(void **state)
{
    (void)state;
    size_t n, bytes, cap;
    void *huge = bigmem_resize(NULL, 0, BIGMEM_KEEP_MAX + 1, &cap);
    assert_non_null(huge);
    bigmem_release(huge, cap);
    bigmem_kept(&n, &bytes);
    assert_int_equal(n, 0);

    enum { MANY = BIGMEM_KEEP_REGIONS + 8 };
    void *blocks[MANY];
    size_t caps[MANY];
    for (int i = 0; i < MANY; i++) { /* address space only: nothing is written */
        blocks[i] = bigmem_resize(NULL, 0, BIGMEM_MIN, &caps[i]);
        assert_non_null(blocks[i]);
    }
    for (int i = 0; i < MANY; i++)
        bigmem_release(blocks[i], caps[i]);
    bigmem_kept(&n, &bytes);
    assert_int_equal(n, BIGMEM_KEEP_REGIONS);
}

/* A block that fits no kept region gets a new one, and the smaller kept
 * regions go back to the kernel: what the process holds never passes the
 * most it had in use at once (here 4 MiB, not 2 + 4). */
static void kept_and_in_use_stay_within_the_peak(void **state)
{
    (void)state;
    size_t cap, n, bytes;
    void *a = bigmem_resize(NULL, 0, BIGMEM_MIN, &cap);
    assert_non_null(a);
    bigmem_release(a, cap);
    bigmem_kept(&n, &bytes);
    assert_int_equal(n, 1);
    void *b = bigmem_resize(NULL, 0, 3 * MiB, &cap);
    assert_non_null(b);
    assert_int_equal(cap, 4 * MiB);
    bigmem_kept(&n, &bytes);
    assert_int_equal(n, 0);
    bigmem_release(b, cap);
    void *c = bigmem_resize(NULL, 0, BIGMEM_MIN, &cap); /* the 4 MiB one, kept */
    assert_ptr_equal(c, b);
    assert_int_equal(cap, 4 * MiB);
    bigmem_release(c, cap);
}

/* "THPeligible: 1" in /proc/self/smaps for the mapping at p: the kernel
 * may back it with huge pages.  -1 if the mapping is not found. */
static int thp_eligible(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (f == NULL)
        return -1;
    char line[512];
    int in = 0, r = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
            in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
        else if (in && strncmp(line, "THPeligible:", 12) == 0)
            r = atoi(line + 12);
    }
    fclose(f);
    return r;
}

static int thp_offered(void)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    char s[128] = "";
    if (f != NULL) {
        if (fgets(s, sizeof s, f) == NULL)
            s[0] = '\0';
        fclose(f);
    }
    return strstr(s, "[never]") == NULL && s[0] != '\0';
}

/* A region asks for huge pages: all of it by default; with huge tails off
 * (many invocations in flight) only the pages its block fills. */
static void regions_ask_for_huge_pages(void **state)
{
    (void)state;
    if (!thp_offered())
        skip(); /* the kernel offers none: nothing to ask for */
    size_t cap;
    unsigned char *p = bigmem_resize(NULL, 0, 3 * MiB, &cap);
    assert_non_null(p);
    int eligible = thp_eligible(p);
    if (eligible < 0) { /* kernels before 5.0 print no THPeligible line */
        bigmem_release(p, cap);
        skip();
    }
    assert_int_equal(eligible, 1);
    assert_int_equal(thp_eligible(p + 3 * MiB), 1);
    bigmem_release(p, cap);

    bigmem_huge_tails(0);
    unsigned char *q = bigmem_resize(NULL, 0, 5 * MiB, &cap); /* a new 6 MiB region */
    assert_non_null(q);
    assert_int_equal(cap, 6 * MiB);
    assert_int_equal(thp_eligible(q), 1);
    assert_int_equal(thp_eligible(q + 3 * MiB), 1);
    assert_int_equal(thp_eligible(q + 4 * MiB + MiB / 2), 0); /* the part-used last page */
    bigmem_release(q, cap);
    bigmem_huge_tails(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(sizes_and_alignment, reset),
        cmocka_unit_test_setup(growth_keeps_the_bytes, reset),
        cmocka_unit_test_setup(released_regions_are_reused_smallest_first, reset),
        cmocka_unit_test_setup(what_is_kept_is_bounded, reset),
        cmocka_unit_test_setup(kept_and_in_use_stay_within_the_peak, reset),
        cmocka_unit_test_setup(regions_ask_for_huge_pages, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
