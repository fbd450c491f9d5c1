/*
 * fuzz_http_parse.c - the HTTP pieces wharfd parses itself (http_parse.h):
 * an Accept value, a Range value against several sizes, and a URL id.  The
 * input is split at its first NUL into a header value and an id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *buf = malloc(size + 2);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    const char *value = buf;
    const char *id = buf + strlen(buf) + 1;
    if (id > buf + size)
        id = buf + size;

    (void)wh_http_prefers_json(value);

    static const uint64_t sizes[] = {0, 1, 9, 4096, UINT64_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint64_t first = 0, last = 0;
        int r = wh_http_parse_range(value, sizes[i], &first, &last);
        /* A satisfiable range always lies inside the body. */
        if (r == 1 && (first > last || last >= sizes[i]))
            abort();
        if (r < -1 || r > 1)
            abort();
    }

    char name[64], version[32];
    if (wh_http_split_id(id, name, sizeof name, version, sizeof version)) {
        if (!name[0] || !version[0] || strlen(name) >= sizeof name || strchr(version, '/'))
            abort();
    }
    free(buf);
    return 0;
}
