/* testfile.h: reading a whole file in the C unit tests. */
#ifndef IRIS_TESTFILE_H
#define IRIS_TESTFILE_H

#include <stddef.h>

/* The bytes of path, NUL-terminated (the NUL not counted in *len; len may be
 * NULL), or NULL when it cannot be read.  The caller frees the result. */
char *testfile_read(const char *path, size_t *len);

/* The sample events of events/ that every batch reader must read alike:
 * testfile_nsample_events paths, relative to the top of the tree. */
extern const char *const testfile_sample_events[];
extern const size_t testfile_nsample_events;

#endif
