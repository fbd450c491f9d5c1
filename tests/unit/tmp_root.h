/*
 * tmp_root.h - the one mkdtemp directory under /tmp that a unit-test
 * binary writes its files in, removed with everything in it at the end.
 *
 * main() calls tmp_root_make("/tmp/wh-test-NAME") before the first RUN and
 * tmp_root_remove() after the last; tests build their paths under g_root.
 * g_root is a static buffer of each binary (this header is included by one
 * test file per binary); nothing here allocates.
 */
#ifndef WH_TMP_ROOT_H
#define WH_TMP_ROOT_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

__attribute__((unused)) static char g_root[64];

static inline int tmp_root_rm_entry(const char *path, const struct stat *st, int flag,
                                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Makes g_root as prefix-XXXXXX; -1 (and a message) when it cannot. */
static inline int tmp_root_make(const char *prefix)
{
    int n = snprintf(g_root, sizeof g_root, "%s-XXXXXX", prefix);
    if (n < 0 || (size_t)n >= sizeof g_root || !mkdtemp(g_root)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

static inline void tmp_root_remove(void)
{
    nftw(g_root, tmp_root_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
