/*
 * fuzz_http_parse.c - the HTTP pieces wharfd parses itself (http_parse.h):
 * an Accept value, a Range value against several sizes, a Content-Range
 * value, and a URL id.  The input is split at its first NUL into a header
 * value and an id.
 *
 * Content-Range: the value is read from a copy of exactly its length, so
 * that a read past its NUL is a sanitizer report; a success has START <=
 * END and writes nothing on failure, and its canonical form "START-END"
 * (and the RFC 9110 forms of the same range) parse back to the same pair.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* `text` must parse as exactly [start, end]. */
static void same_range(const char *text, uint64_t start, uint64_t end)
{
    uint64_t a = 1, b = 0;
    if (!wh_http_parse_content_range(text, &a, &b) || a != start || b != end) {
        fprintf(stderr, "a canonical Content-Range does not read back: \"%s\"\n", text);
        abort();
    }
}

static void check_content_range(const char *value)
{
    size_t n = strlen(value);
    char *exact = malloc(n + 1);
    if (!exact)
        abort();
    memcpy(exact, value, n + 1);
    uint64_t start = 7, end = 3;
    if (!wh_http_parse_content_range(exact, &start, &end)) {
        if (start != 7 || end != 3)
            abort();
        free(exact);
        return;
    }
    free(exact);
    if (start > end)
        abort();
    char canon[96];
    snprintf(canon, sizeof canon, "%" PRIu64 "-%" PRIu64, start, end);
    same_range(canon, start, end);
    snprintf(canon, sizeof canon, "bytes %" PRIu64 "-%" PRIu64 "/*", start, end);
    same_range(canon, start, end);
    snprintf(canon, sizeof canon, "bytes=%" PRIu64 "-%" PRIu64 "/%" PRIu64, start, end,
             end + 1);
    same_range(canon, start, end);
    /* A TOTAL that END does not fit under is refused. */
    snprintf(canon, sizeof canon, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start, end, end);
    if (wh_http_parse_content_range(canon, &start, &end))
        abort();
}

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

    check_content_range(value);

    char name[64], version[32];
    if (wh_http_split_id(id, name, sizeof name, version, sizeof version)) {
        if (!name[0] || !version[0] || strlen(name) >= sizeof name || strchr(version, '/'))
            abort();
    }
    free(buf);
    return 0;
}
