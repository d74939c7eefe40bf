/* runtime_memory.c: how the process keeps its heap, set once at start-up
 * (runtime.c's process set-up). */
#include <malloc.h>

#include "runtime/runtime_internal.h"

void runtime_memory_setup(void)
{
    /* Memory a handler frees stays in the process for the next invocation:
     * no large block is given back to the kernel (mmap'd and unmapped, or
     * trimmed from the heap top) only to be faulted in again, page by page,
     * by the next invocation.  Without this the first two invocations of a
     * process each take about 2,000 minor page faults on a 6 MB batch (glibc
     * raises its dynamic mmap threshold only after the first free).
     *
     * Transparent huge pages on the heap were measured and left out: they
     * took the first invocation of a fresh process on the largest batch from
     * 3.9x a warm one's CPU to 1.7x (2,104 page faults to about 350), but
     * added 5-7 MB of peak RSS, and a 6 MB key of invalid UTF-8 (echoed
     * three times larger) then cost over 3x an ordinary 6 MB batch, the
     * bound for hostile input, because only memory inside the advised
     * headroom got the large pages. */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
}
