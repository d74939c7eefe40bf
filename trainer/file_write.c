/* file_write.c: see file_write.h. */
#include "trainer/file_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int file_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx, char *err,
                      size_t errlen)
{
    int rc = -1;
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len);
    FILE *f = NULL;
    if (!tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto cleanup;
    }
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    if (!(f = fopen(tmp, "wb"))) {
        snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        goto cleanup;
    }
    int written = write(f, ctx);
    int closed = fclose(f);
    f = NULL;
    if (written != 0 || closed != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
        unlink(tmp);
        goto cleanup;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot replace: %s", path, strerror(errno));
        unlink(tmp);
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (f)
        fclose(f);
    free(tmp);
    return rc;
}
