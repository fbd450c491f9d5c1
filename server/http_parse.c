/*
 * http_parse.c - the few pieces of HTTP that wharfd parses itself (see
 * http_parse.h).  Pure functions over strings from the network: no
 * allocation, every loop bounded by the input, fuzzed by
 * tests/fuzz/fuzz_http_parse.c.
 */
#include "http_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The q-value a media range list gives `type`: exact match, then type/\*,
 * then \*\/\*; -1 when none applies. */
static double accept_q(const char *accept, const char *type)
{
    double best = -1;
    int best_spec = -1;
    const char *p = accept;
    size_t slash = strchr(type, '/') - type;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ';' && *p != ',' && *p != ' ')
            p++;
        size_t len = (size_t)(p - start);
        double q = 1.0;
        while (*p && *p != ',') {
            if (*p == ';') {
                p++;
                while (*p == ' ')
                    p++;
                if (p[0] == 'q' && p[1] == '=')
                    q = strtod(p + 2, NULL);
            } else {
                p++;
            }
        }
        int spec = -1;
        if (len == strlen(type) && strncasecmp(start, type, len) == 0)
            spec = 2;
        else if (len == slash + 2 && strncasecmp(start, type, slash + 1) == 0 &&
                 start[slash + 1] == '*')
            spec = 1;
        else if (len == 3 && strncmp(start, "*/*", 3) == 0)
            spec = 0;
        if (spec > best_spec) {
            best_spec = spec;
            best = q;
        }
    }
    return best;
}

/* JSON when the client's Accept header prefers it over TOML; TOML otherwise. */
bool wh_http_prefers_json(const char *accept)
{
    if (!accept || !*accept)
        return false;
    double j = accept_q(accept, "application/json");
    double t = accept_q(accept, "application/toml");
    return j > 0 && j > t;
}

/* Splits "NAME/VERSION" at the last '/' into the two buffers. */
bool wh_http_split_id(const char *id, char *name, size_t ncap, char *version, size_t vcap)
{
    const char *slash = strrchr(id, '/');
    if (!slash || slash == id || !slash[1])
        return false;
    size_t nl = (size_t)(slash - id), vl = strlen(slash + 1);
    if (nl >= ncap || vl >= vcap)
        return false;
    memcpy(name, id, nl);
    name[nl] = '\0';
    memcpy(version, slash + 1, vl + 1);
    return true;
}

/* Parses a single "bytes=A-B", "bytes=A-" or "bytes=-N" range against size.
 * Returns 1 with [*first, *last] set, 0 when the header should be ignored
 * (absent, malformed or several ranges: the whole body is sent), or -1 when
 * it is unsatisfiable (416). */
int wh_http_parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ','))
        return 0;
    const char *p = h + 6;
    char *end;
    if (*p == '-') {
        if (p[1] < '0' || p[1] > '9')
            return 0;
        unsigned long long n = strtoull(p + 1, &end, 10);
        if (*end)
            return 0;
        if (n == 0 || size == 0)
            return -1;
        *first = n >= size ? 0 : size - n;
        *last = size - 1;
        return 1;
    }
    if (*p < '0' || *p > '9')
        return 0;
    unsigned long long a = strtoull(p, &end, 10);
    if (*end != '-')
        return 0;
    p = end + 1;
    unsigned long long b = UINT64_MAX;
    if (*p) {
        if (*p < '0' || *p > '9')
            return 0;
        b = strtoull(p, &end, 10);
        if (*end || b < a)
            return 0;
    }
    if (a >= size)
        return -1;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return 1;
}


/* A decimal count of at most `digits` digits, without sign or blanks, that
 * fits a uint64_t. */
static bool parse_u64(const char *s, const char *end, size_t digits, uint64_t *out)
{
    uint64_t v = 0;
    if (s == end || (size_t)(end - s) > digits)
        return false;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return false;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool wh_http_parse_content_length(const char *h, uint64_t *len)
{
    return h && parse_u64(h, h + strlen(h), 19, len);
}

/* The distribution spec sends "START-END"; clients that follow RFC 9110
 * instead send "bytes START-END/TOTAL", which is read the same way once its
 * TOTAL agrees. */
bool wh_http_parse_content_range(const char *h, uint64_t *start, uint64_t *end)
{
    if (!h)
        return false;
    if (strncmp(h, "bytes", 5) == 0 && (h[5] == ' ' || h[5] == '='))
        h += 6;
    const char *dash = strchr(h, '-');
    if (!dash)
        return false;
    const char *stop = dash + 1 + strcspn(dash + 1, "/");
    uint64_t a, b, total;
    /* 19 digits keep END + 1, the length of the chunk, from overflowing;
     * TOTAL may be that END + 1. */
    if (!parse_u64(h, dash, 19, &a) || !parse_u64(dash + 1, stop, 19, &b) || a > b)
        return false;
    if (*stop == '/' && strcmp(stop + 1, "*") != 0 &&
        (!parse_u64(stop + 1, stop + 1 + strlen(stop + 1), 20, &total) || b >= total))
        return false;
    *start = a;
    *end = b;
    return true;
}
