/*
 * search_fold.c - case folding for search, as FTS5's trigram tokenizer
 * folds (see search_index_internal.h).
 *
 * Folding is FTS5's own, borrowed from its trigram tokenizer so that it
 * matches the index that search used before byte for byte: the tokenizer
 * emits, for each character, the folded trigram starting there, so the
 * first character of each token, over the text and two padding characters,
 * is the folded text.  ASCII (nearly all text) folds without it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "search_index_internal.h"

void wh_search_folder_done(wh_search_folder *f)
{
    if (f->inst)
        f->tok.xDelete(f->inst);
    f->inst = NULL;
}

static int folder_start(wh_search_folder *f, wh_err *err)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(f->db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    void *ud = NULL;
    if (!api || api->xFindTokenizer(api, "trigram", &ud, &f->tok) != SQLITE_OK ||
        f->tok.xCreate(ud, NULL, 0, &f->inst) != SQLITE_OK) {
        f->inst = NULL;
        return wh_err_set(err, WH_EIO, "database: SQLite's FTS5 trigram tokenizer is missing");
    }
    return 0;
}

static int fold_token(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    (void)flags;
    (void)start;
    (void)end;
    wh_search_sink *s = ctx;
    if (n <= 0)
        return SQLITE_OK;
    unsigned char c = (unsigned char)tok[0];
    size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (k > (size_t)n)
        k = (size_t)n;
    if (!wh_search_reserve((void **)&s->p, &s->cap, s->len + k, 1)) {
        s->oom = true;
        return SQLITE_NOMEM;
    }
    memcpy(s->p + s->len, tok, k);
    s->len += k;
    return SQLITE_OK;
}

int wh_search_fold_into(wh_search_folder *f, const char *s, size_t len, wh_search_sink *out,
                        wh_err *err)
{
    size_t i = 0;
    while (i < len && (unsigned char)s[i] < 0x80)
        i++;
    if (i == len) {
        if (!wh_search_reserve((void **)&out->p, &out->cap, out->len + len, 1))
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        for (i = 0; i < len; i++) {
            char c = s[i];
            out->p[out->len++] = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
        }
        return 0;
    }
    if (len > INT_MAX - 2)
        return wh_err_set(err, WH_ETOOBIG, "a text of %zu bytes is too long to search", len);
    if (!f->inst) {
        int rc = folder_start(f, err);
        if (rc)
            return rc;
    }
    char *padded = malloc(len + 2);
    if (!padded)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    memcpy(padded, s, len);
    padded[len] = padded[len + 1] = '\x01';
    int r = f->tok.xTokenize(f->inst, out, FTS5_TOKENIZE_DOCUMENT, padded, (int)len + 2,
                             fold_token);
    free(padded);
    if (out->oom)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    if (r != SQLITE_OK)
        return wh_err_set(err, WH_EIO, "database: folding a text failed (%d)", r);
    return 0;
}

int wh_search_fold(sqlite3 *db, const char *s, size_t len, char **out, size_t *out_len,
                   wh_err *err)
{
    *out = NULL;
    *out_len = 0;
    wh_search_folder f = {.db = db};
    wh_search_sink sink = {0};
    int rc = wh_search_fold_into(&f, s, len, &sink, err);
    wh_search_folder_done(&f);
    if (!rc && !wh_search_reserve((void **)&sink.p, &sink.cap, sink.len + 1, 1))
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
    if (rc) {
        free(sink.p);
        return rc;
    }
    sink.p[sink.len] = '\0';
    *out = sink.p;
    *out_len = sink.len;
    return 0;
}

