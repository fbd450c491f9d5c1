/*
 * meta_search.c - search over the metadata store (wh_meta_search, the
 * /v1/_q endpoint; see meta.h), on the SQLite connections of meta_sqlite.c.
 *
 * The query is built from a fixed skeleton and bound parameters; the only
 * text spliced in is the number of terms (bounded), never user input.
 * SemVer ranges are matched by an SQL function registered on every
 * connection (wh_semver_match), which parses each range once per statement
 * through sqlite3_get_auxdata.
 */
#include "meta.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "meta_sqlite_internal.h"
#include "schema/semver.h"

/* SQL: wh_semver_match(version, range) -> 1 / 0.  A bad range raises an
 * error naming it, which the search turns into WH_EINVAL. */
static void fn_semver_match(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *ver = (const char *)sqlite3_value_text(argv[0]);
    wh_semver_range *r = sqlite3_get_auxdata(ctx, 1);
    if (!r) {
        const char *range = (const char *)sqlite3_value_text(argv[1]);
        wh_err e;
        wh_err_clear(&e);
        if (!range || wh_semver_range_parse(range, &r, &e) != 0) {
            sqlite3_result_error(ctx, e.msg[0] ? e.msg : "bad version range", -1);
            return;
        }
        sqlite3_set_auxdata(ctx, 1, r, (void (*)(void *))wh_semver_range_free);
        r = sqlite3_get_auxdata(ctx, 1);
        if (!r) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    wh_semver v;
    if (!ver || wh_semver_parse(ver, &v, NULL) != 0) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    sqlite3_result_int(ctx, wh_semver_range_match(r, &v) ? 1 : 0);
}

int wh_meta_search_register(sqlite3 *db, wh_err *err)
{
    if (sqlite3_create_function(db, "wh_semver_match", 2,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_semver_match,
                                NULL, NULL) != SQLITE_OK)
        return wh_meta_db_err(err, db, "registering wh_semver_match");
    return 0;
}

void wh_meta_hits_free(wh_meta_hits *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        wh_invoice_doc_free(h->docs[i]);
    free(h->docs);
    free(h);
}

/* A fixed buffer for building SQL text; appends past its end set overflow
 * instead of writing, so a caller checks once at the end. */
typedef struct sqlbuf {
    char buf[8192];
    size_t len;
    bool overflow;
} sqlbuf;

static void sql_append(sqlbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sql_append(sqlbuf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, sizeof b->buf - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof b->buf - b->len) {
        b->overflow = true;
        b->buf[b->len] = '\0';
        return;
    }
    b->len += (size_t)n;
}

/* One search term, and whether the trigram index can serve it. */
typedef struct term {
    const char *s;
    size_t len;
} term;

/* Counts UTF-8 code points: the trigram index needs three of them. */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Appends `"term"` with embedded quotes doubled, as FTS5 wants them. */
static int fts_quote(char *buf, size_t cap, size_t *used, const term *t, bool strict)
{
    const char *prefix = *used ? " AND " : "";
    const char *col = strict ? "name : " : "";
    int n = snprintf(buf + *used, cap - *used, "%s%s\"", prefix, col);
    if (n < 0 || (size_t)n >= cap - *used)
        return -1;
    *used += (size_t)n;
    for (size_t i = 0; i < t->len; i++) {
        if (*used + 3 >= cap)
            return -1;
        if (t->s[i] == '"')
            buf[(*used)++] = '"';
        buf[(*used)++] = t->s[i];
    }
    if (*used + 2 >= cap)
        return -1;
    buf[(*used)++] = '"';
    buf[*used] = '\0';
    return 0;
}

int wh_meta_search(wh_meta *m, const wh_meta_query *q, wh_meta_hits **out, wh_err *err)
{
    *out = NULL;
    term terms[WH_META_MAX_TERMS];
    size_t nterms = 0;
    const char *p = q->q ? q->q : "";
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        if (nterms == WH_META_MAX_TERMS)
            return wh_err_set(err, WH_EINVAL, "a query may have at most %d terms",
                              WH_META_MAX_TERMS);
        terms[nterms].s = start;
        terms[nterms].len = (size_t)(p - start);
        nterms++;
    }
    if (q->range && *q->range) {
        wh_semver_range *r = NULL;
        int rc = wh_semver_range_parse(q->range, &r, err);
        wh_semver_range_free(r);
        if (rc)
            return rc;
    }

    /* The FTS5 expression: every term of three or more characters. */
    char match[4096];
    size_t mused = 0;
    match[0] = '\0';
    for (size_t i = 0; i < nterms; i++) {
        if (utf8_chars(terms[i].s, terms[i].len) >= 3 &&
            fts_quote(match, sizeof match, &mused, &terms[i], q->strict) != 0)
            return wh_err_set(err, WH_EINVAL, "the query is too long");
    }

    /* The WHERE clause: bound parameters only; ?1 match, ?2 range, ?3 yanked,
     * ?10.. the terms.  Terms of three or more characters are answered by the
     * trigram index, which is a case-insensitive substring match (with
     * Unicode case folding); strict adds a case-sensitive check on the name,
     * and terms too short for the index are matched by a scan (ASCII case
     * folding only: SQLite's lower()). */
    sqlbuf where = {.len = 0};
    sql_append(&where, "WHERE (?3 OR i.yanked = 0)");
    if (mused)
        sql_append(&where, " AND i.id IN (SELECT rowid FROM invoice_fts WHERE invoice_fts MATCH ?1)");
    if (q->range && *q->range)
        sql_append(&where, " AND wh_semver_match(i.version, ?2)");
    for (size_t i = 0; i < nterms; i++) {
        int k = 10 + (int)i;
        bool indexed = utf8_chars(terms[i].s, terms[i].len) >= 3;
        if (q->strict)
            sql_append(&where, " AND instr(i.name, ?%d) > 0", k);
        else if (!indexed)
            sql_append(&where,
                       " AND (instr(lower(i.name), lower(?%d)) > 0"
                       " OR instr(lower(i.version), lower(?%d)) > 0"
                       " OR instr(lower(i.authors), lower(?%d)) > 0"
                       " OR instr(lower(i.description), lower(?%d)) > 0)",
                       k, k, k, k);
    }
    if (q->n_names > WH_META_MAX_NAMES)
        return wh_err_set(err, WH_EINVAL, "too many name patterns (at most %d)",
                          WH_META_MAX_NAMES);
    for (size_t i = 0; i < q->n_names; i++) {
        int k = 30 + (int)i;
        sql_append(&where, "%s", i == 0 ? " AND (" : " OR ");
        if (q->name_prefix[i])
            sql_append(&where, "substr(i.name, 1, length(?%d)) = ?%d", k, k);
        else
            sql_append(&where, "i.name = ?%d", k);
    }
    if (q->n_names)
        sql_append(&where, ")");
    sqlbuf count_sql = {.len = 0}, page_sql = {.len = 0};
    sql_append(&count_sql, "SELECT count(*) FROM invoices i %s", where.buf);
    sql_append(&page_sql,
               "SELECT i.id, i.yanked, i.doc_toml, i.doc_json FROM invoices i %s "
               "ORDER BY i.name, i.sort_key, i.version LIMIT ?4 OFFSET ?5",
               where.buf);
    if (where.overflow || count_sql.overflow || page_sql.overflow)
        return wh_err_set(err, WH_EINVAL, "the query is too complex");

    wh_meta_hits *h = calloc(1, sizeof *h);
    if (!h)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    wh_meta_conn *c;
    int rc = wh_meta_conn_acquire(m, &c, err);
    if (rc) {
        free(h);
        return rc;
    }
    sqlite3 *db = wh_meta_conn_db(c);
    sqlite3_stmt *sts[2] = {NULL, NULL};
    const char *sqls[2] = {count_sql.buf, page_sql.buf};
    int nst = q->limit ? 2 : 1;
    for (int s = 0; s < nst && !rc; s++) {
        if (sqlite3_prepare_v2(db, sqls[s], -1, &sts[s], NULL) != SQLITE_OK) {
            rc = wh_meta_db_err(err, db, "preparing a search");
            break;
        }
        sqlite3_stmt *st = sts[s];
        if (mused)
            sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
        if (q->range && *q->range)
            sqlite3_bind_text(st, 2, q->range, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, q->yanked ? 1 : 0);
        for (size_t i = 0; i < nterms; i++)
            sqlite3_bind_text(st, 10 + (int)i, terms[i].s, (int)terms[i].len, SQLITE_STATIC);
        for (size_t i = 0; i < q->n_names; i++)
            sqlite3_bind_text(st, 30 + (int)i, q->names[i], -1, SQLITE_STATIC);
        if (s == 1) {
            sqlite3_bind_int64(st, 4, q->limit);
            sqlite3_bind_int64(st, 5, q->offset > INT64_MAX ? INT64_MAX : (sqlite3_int64)q->offset);
        }
    }
    if (!rc) {
        if (sqlite3_step(sts[0]) == SQLITE_ROW)
            h->total = (uint64_t)sqlite3_column_int64(sts[0], 0);
        else
            rc = wh_meta_db_err(err, db, "counting search results");
    }
    if (!rc && q->limit) {
        h->docs = calloc(q->limit, sizeof *h->docs);
        if (!h->docs)
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        int r = SQLITE_DONE;
        while (!rc && (r = sqlite3_step(sts[1])) == SQLITE_ROW && h->n < q->limit) {
            rc = wh_meta_doc_from_row(sts[1], &h->docs[h->n], err);
            if (!rc)
                h->n++;
        }
        if (!rc && r != SQLITE_DONE && r != SQLITE_ROW)
            rc = wh_meta_db_err(err, db, "searching");
    }
    sqlite3_finalize(sts[0]);
    sqlite3_finalize(sts[1]);
    wh_meta_conn_release(m, c);
    if (rc) {
        wh_meta_hits_free(h);
        return rc;
    }
    *out = h;
    return 0;
}
