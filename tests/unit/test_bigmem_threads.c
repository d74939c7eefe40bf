/* test_bigmem_threads.c: common/bigmem from many threads at once, as the
 * runtime's workers use it (each invocation takes regions for its event and
 * records, gives them back, and borrows kept ones for its response).  Every
 * block must hold exactly what its own thread wrote, through growth and
 * reuse, while the others take and release regions of the same sizes; run
 * under ASan+UBSan and under ThreadSanitizer (make test-tsan). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/bigmem.h"

#define THREADS 8
#define ROUNDS 150
#define MiB ((size_t)1 << 20)

typedef struct worker {
    int id;
    int bad; /* blocks found holding another thread's bytes */
} worker;

/* Writes the thread's mark into every 4 KiB page of [0, n) and checks it. */
static void mark(unsigned char *p, size_t n, unsigned char m)
{
    for (size_t i = 0; i < n; i += 4096)
        p[i] = m;
    p[n - 1] = m;
}

static int marked(const unsigned char *p, size_t n, unsigned char m)
{
    for (size_t i = 0; i < n; i += 4096)
        if (p[i] != m)
            return 0;
    return p[n - 1] == m;
}

static void *run(void *arg)
{
    worker *w = arg;
    unsigned char m = (unsigned char)(0x40 + w->id);
    for (int r = 0; r < ROUNDS; r++) {
        size_t ecap = 0, rcap = 0, pcap = 0;
        size_t need = MiB + (size_t)((w->id * 7 + r * 3) % 5) * MiB / 2; /* 1-3 MiB */
        unsigned char *event = bigmem_resize(NULL, 0, need, &ecap);
        unsigned char *recs = bigmem_resize(NULL, 0, MiB / 2, &rcap); /* malloc'd, then grown */
        if (event == NULL || recs == NULL)
            return NULL;
        mark(event, need, m);
        mark(recs, rcap, m);
        recs = bigmem_resize(recs, rcap, need + MiB, &rcap);
        if (recs == NULL)
            return NULL;
        w->bad += !marked(recs, MiB / 2, m);
        mark(recs, need + MiB, m);
        w->bad += !marked(event, need, m);
        bigmem_release(event, ecap);
        unsigned char *piece = bigmem_take_kept(256 * 1024, &pcap);
        if (piece != NULL) {
            mark(piece, 256 * 1024, m);
            w->bad += !marked(piece, 256 * 1024, m);
            bigmem_release(piece, pcap);
        }
        w->bad += !marked(recs, need + MiB, m);
        bigmem_release(recs, rcap);
    }
    return w;
}

static void every_block_holds_its_own_threads_bytes(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.id = i};
        assert_int_equal(pthread_create(&t[i], NULL, run, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *done;
        pthread_join(t[i], &done);
        assert_ptr_equal(done, &w[i]); /* no allocation failed */
        assert_int_equal(w[i].bad, 0);
    }
    /* Every region went back, and what is kept is no more than was in use
     * at once: two regions of at most 4 MiB per thread. */
    size_t n, bytes;
    bigmem_kept(&n, &bytes);
    assert_true(n > 0);
    assert_true(bytes <= THREADS * 8 * MiB);
    bigmem_drop_kept();
    bigmem_kept(&n, &bytes);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_block_holds_its_own_threads_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
