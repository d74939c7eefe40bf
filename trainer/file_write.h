/* file_write.h: replacing a file whole, so a reader never sees half of it. */
#ifndef IRIS_FILE_WRITE_H
#define IRIS_FILE_WRITE_H

#include <stdio.h>
#include <stddef.h>

/* Writes the file path atomically: write(f, ctx) fills PATH.tmp.PID, which
 * then replaces path (rename), or is removed on failure.  write returns 0,
 * or non-zero when it failed.  Returns 0, or -1 with a message naming the
 * file in err.  Keeps no pointer to its arguments. */
int file_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx, char *err,
                      size_t errlen);

#endif
