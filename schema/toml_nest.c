/*
 * toml_nest.c - wh_toml_nest (toml.h): a document wh_toml_emit wrote, put
 * under one key by rewriting its table headers, without a parse and a
 * second formatting pass.
 */
#include "toml.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Adds the bracket depth that `line` (n bytes, no newline) leaves open,
 * skipping strings (basic with escapes, and literal). */
static long bracket_depth(const char *line, size_t n, long depth)
{
    for (size_t i = 0; i < n; i++) {
        char c = line[i];
        if (c == '"' || c == '\'') {
            for (i++; i < n && line[i] != c; i++)
                if (c == '"' && line[i] == '\\')
                    i++;
        } else if (c == '#') {
            break;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return depth;
}

int wh_toml_nest(const char *doc, size_t len, const char *key, char **out, size_t *out_len,
                 wh_err *err)
{
    *out = NULL;
    size_t klen = strlen(key);
    /* Each line grows by at most klen + 1 ("key."), plus "[key]\n". */
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += doc[i] == '\n';
    if (lines > (SIZE_MAX - len - klen - 4) / (klen + 2))
        return wh_err_set(err, WH_ETOOBIG, "the document is too large to nest");
    size_t cap = len + klen + 4 + lines * (klen + 1) + 1;
    char *buf = malloc(cap);
    if (!buf)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    size_t o = 0;
    buf[o++] = '[';
    memcpy(buf + o, key, klen);
    o += klen;
    buf[o++] = ']';
    buf[o++] = '\n';
    long depth = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(doc + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (doc + i)) : len - i;
        const char *line = doc + i;
        if (depth == 0 && n > 0 && line[0] == '[') {
            size_t open = n > 1 && line[1] == '[' ? 2 : 1;
            memcpy(buf + o, line, open);
            o += open;
            memcpy(buf + o, key, klen);
            o += klen;
            buf[o++] = '.';
            memcpy(buf + o, line + open, n - open);
            o += n - open;
        } else {
            memcpy(buf + o, line, n);
            o += n;
            depth = bracket_depth(line, n, depth);
        }
        i += n;
        if (nl) {
            buf[o++] = '\n';
            i++;
        }
    }
    buf[o] = '\0';
    *out = buf;
    if (out_len)
        *out_len = o;
    return 0;
}
