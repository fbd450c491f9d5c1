/*
 * test_meta.c - the SQLite metadata store (storage/meta.h): schema
 * migrations and their refusal of a newer database, invoice create / get /
 * yank, parcel bookkeeping, and search (strict and standard terms, short
 * terms, terms full of FTS5 and SQL syntax, SemVer ranges, yanked bindles,
 * paging and order).
 *
 * Databases live in one mkdtemp directory under /tmp, removed at the end.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "schema/invoice.h"
#include "storage/meta.h"
#include "storage/migrations.h"
#include "tests/unit/meta_fixture.h"
#include "tests/unit/unit.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/*
 * An invoice from a few fields; `description` is spliced into a TOML basic
 * string as it is, so a caller escapes what TOML needs.  `shas` is a
 * comma-separated list of sha256 values (NULL for none).
 */
static wh_invoice *make_invoice(const char *name, const char *version, const char *author,
                                const char *description, const char *shas)
{
    char doc[8192];
    int n = snprintf(doc, sizeof doc,
                     "bindleVersion = \"1.0.0\"\n"
                     "[bindle]\n"
                     "name = \"%s\"\n"
                     "version = \"%s\"\n"
                     "authors = [\"%s\"]\n"
                     "description = \"%s\"\n",
                     name, version, author, description);
    const char *p = shas;
    int idx = 0;
    while (p && *p && n > 0 && (size_t)n < sizeof doc) {
        n += snprintf(doc + n, sizeof doc - (size_t)n,
                      "[[parcel]]\n"
                      "label.sha256 = \"%.64s\"\n"
                      "label.mediaType = \"application/octet-stream\"\n"
                      "label.name = \"file%d.bin\"\n"
                      "label.size = %d\n",
                      p, idx, 100 + idx);
        idx++;
        p += 64;
        if (*p == ',')
            p++;
    }
    wh_invoice *inv = NULL;
    wh_err err = {0};
    if (wh_invoice_parse_toml(doc, strlen(doc), NULL, &inv, &err) != 0)
        fprintf(stderr, "  bad test invoice %s/%s: %s\n", name, version, err.msg);
    return inv;
}

static int add(wh_meta *m, const char *name, const char *version, const char *author,
               const char *description)
{
    wh_invoice *inv = make_invoice(name, version, author, description, NULL);
    if (!inv)
        return WH_EINVAL;
    wh_err err = {0};
    int rc = store_invoice(m, inv, &err);
    if (rc)
        fprintf(stderr, "  storing %s/%s: %s\n", name, version, err.msg);
    wh_invoice_free(inv);
    return rc;
}

/* Yanks name/version with the documents of the invoice marked yanked. */
static int yank(wh_meta *m, const char *name, const char *version, const char *reason,
                wh_err *err)
{
    wh_invoice *inv = make_invoice(name, version, "x", "x", NULL);
    if (!inv)
        return WH_EINVAL;
    inv->yanked = true;
    inv->has_yanked = true;
    inv->yanked_reason = wh_arena_strdup(&inv->arena, reason);
    char *toml = NULL, *json = NULL;
    size_t tl = 0, jl = 0;
    int rc = invoice_docs(inv, &toml, &tl, &json, &jl, err);
    if (!rc)
        rc = wh_meta_invoice_yank(m, name, version, reason, toml, tl, json, jl, err);
    free(toml);
    free(json);
    wh_invoice_free(inv);
    return rc;
}

/*
 * Runs a search and writes "name version;name version;..." of the hits into
 * out (each document is parsed back, so this also proves the stored bytes
 * are a valid invoice).  Returns the search's code; *total gets the total.
 */
static int search(wh_meta *m, const char *q, bool strict, const char *range, bool yanked,
                  uint64_t offset, uint32_t limit, uint64_t *total, char *out, size_t cap,
                  wh_err *err)
{
    wh_meta_query query = {.q = q, .strict = strict, .range = range, .yanked = yanked,
                           .offset = offset, .limit = limit};
    wh_meta_hits *h = NULL;
    out[0] = '\0';
    *total = UINT64_MAX;
    int rc = wh_meta_search(m, &query, &h, err);
    if (rc)
        return rc;
    *total = h->total;
    size_t used = 0;
    for (size_t i = 0; i < h->n; i++) {
        wh_invoice *inv = NULL;
        wh_err perr = {0};
        const char *name = "?", *version = "?";
        if (wh_invoice_parse_toml(h->docs[i]->toml, h->docs[i]->toml_len, NULL, &inv,
                                  &perr) == 0) {
            name = inv->bindle.name;
            version = inv->bindle.version;
        }
        int n = snprintf(out + used, cap - used, "%s%s %s%s", i ? ";" : "", name, version,
                         h->docs[i]->yanked ? " (yanked)" : "");
        wh_invoice_free(inv);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    wh_meta_hits_free(h);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Schema                                                              */
/* ------------------------------------------------------------------ */

static void test_open_creates_schema(void)
{
    char path[256];
    db_path("schema", path, sizeof path);
    CHECK(wh_migrations_count >= 1);
    CHECK_INT(wh_migrations[wh_migrations_count - 1].version, wh_migrations_count);
    wh_meta *m = open_meta(path);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_INT(wh_meta_schema_version(m), wh_migrations_count);
    CHECK_INT(wh_meta_schema_version(m), 8);
    CHECK_INT(add(m, "keep/me", "1.0.0", "A", "kept across reopening"), 0);
    wh_meta_close(m);

    CHECK_INT(raw_int(path, "SELECT count(*) FROM schema_version"), wh_migrations_count);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'invoices'"), 1);

    /* Reopening applies nothing twice and keeps the data. */
    for (int round = 0; round < 2; round++) {
        m = open_meta(path);
        CHECK(m != NULL);
        if (!m)
            return;
        CHECK_INT(wh_meta_schema_version(m), wh_migrations_count);
        wh_invoice_doc *d = NULL;
        wh_err err = {0};
        CHECK_INT(wh_meta_invoice_get(m, "keep/me", "1.0.0", &d, &err), 0);
        CHECK(d != NULL);
        wh_invoice_doc_free(d);
        wh_meta_close(m);
        CHECK_INT(raw_int(path, "SELECT count(*) FROM schema_version"), wh_migrations_count);
    }
}

static void test_newer_schema_refused(void)
{
    char path[256];
    db_path("newer", path, sizeof path);
    wh_meta *m = open_meta(path);
    CHECK(m != NULL);
    wh_meta_close(m);

    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db,
                           "INSERT INTO schema_version (version, name, applied_at) "
                           "VALUES (999, '999_future', 0)",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(db);

    wh_err err = {0};
    m = (wh_meta *)&err;
    int rc = wh_meta_open_sqlite(path, 2, &m, &err);
    CHECK_INT(rc, WH_EIO);
    CHECK(m == NULL);
    CHECK_CONTAINS(err.msg, "newer");
    CHECK_CONTAINS(err.msg, "999");
    CHECK_CONTAINS(err.msg, path);
    if (rc == 0)
        wh_meta_close(m);
    /* Refusing must not have touched it. */
    CHECK_INT(raw_int(path, "SELECT max(version) FROM schema_version"), 999);
}

static void test_open_bad_path(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/no/such/dir/db.sqlite", g_root);
    wh_err err = {0};
    wh_meta *m = NULL;
    int rc = wh_meta_open_sqlite(path, 2, &m, &err);
    CHECK_INT(rc, WH_EIO);
    CHECK(m == NULL);
    CHECK_CONTAINS(err.msg, path);
    if (rc == 0)
        wh_meta_close(m);
}

/* ------------------------------------------------------------------ */
/* Invoices and parcels                                                */
/* ------------------------------------------------------------------ */

static void test_invoice_round_trip(void)
{
    char path[256];
    wh_meta *m = fresh_meta("invoices", path, sizeof path);
    if (!m)
        return;
    wh_invoice *inv = make_invoice("example.com/app", "1.2.3-rc.1+build.5", "Ann <ann@x.org>",
                                   "Caf\\u00e9 \\\"quoted\\\"", SHA_A "," SHA_B);
    CHECK(inv != NULL);
    if (!inv) {
        wh_meta_close(m);
        return;
    }
    char *toml = NULL, *json = NULL;
    size_t tl = 0, jl = 0;
    wh_err err = {0};
    CHECK_INT(wh_invoice_emit_toml(inv, &toml, &tl, &err), 0);
    CHECK_INT(wh_invoice_emit_json(inv, &json, &jl, &err), 0);
    CHECK_INT(wh_meta_invoice_create(m, inv, toml, tl, json, jl, NULL, 0, &err), 0);

    wh_invoice_doc *d = NULL;
    CHECK_INT(wh_meta_invoice_get(m, "example.com/app", "1.2.3-rc.1+build.5", &d, &err), 0);
    CHECK(d != NULL);
    if (d) {
        CHECK(d->id > 0);
        CHECK(!d->yanked);
        CHECK_INT(d->toml_len, tl);
        CHECK_INT(d->json_len, jl);
        CHECK(d->toml_len == tl && memcmp(d->toml, toml, tl) == 0);
        CHECK(d->json_len == jl && memcmp(d->json, json, jl) == 0);
        CHECK_INT(d->toml[d->toml_len], '\0');
        CHECK_INT(d->json[d->json_len], '\0');
        CHECK_CONTAINS(d->json, "Caf\xc3\xa9");
    }
    wh_invoice_doc_free(d);

    /* Creating it again is refused and changes nothing. */
    err = (wh_err){0};
    CHECK_INT(wh_meta_invoice_create(m, inv, "other", 5, "{}", 2, NULL, 0, &err), WH_EEXIST);
    CHECK_CONTAINS(err.msg, "example.com/app/1.2.3-rc.1+build.5");
    CHECK_CONTAINS(err.msg, "already exists");
    d = NULL;
    CHECK_INT(wh_meta_invoice_get(m, "example.com/app", "1.2.3-rc.1+build.5", &d, &err), 0);
    CHECK(d && d->toml_len == tl && memcmp(d->toml, toml, tl) == 0);
    wh_invoice_doc_free(d);
    uint64_t total = 0;
    char list[256];
    CHECK_INT(search(m, NULL, false, NULL, true, 0, 10, &total, list, sizeof list, &err), 0);
    CHECK_INT(total, 1);

    /* Unknown name, unknown version of a known name. */
    d = (wh_invoice_doc *)&err;
    CHECK_INT(wh_meta_invoice_get(m, "example.com/nope", "1.2.3", &d, &err), WH_ENOTFOUND);
    CHECK(d == NULL);
    CHECK_CONTAINS(err.msg, "example.com/nope/1.2.3");
    CHECK_INT(wh_meta_invoice_get(m, "example.com/app", "1.2.3", &d, &err), WH_ENOTFOUND);
    /* Versions are exact text: build metadata is part of the id. */
    CHECK_INT(wh_meta_invoice_get(m, "example.com/app", "1.2.3-rc.1", &d, &err), WH_ENOTFOUND);

    free(toml);
    free(json);
    wh_invoice_free(inv);
    wh_meta_close(m);
}

static void test_yank(void)
{
    char path[256];
    wh_meta *m = fresh_meta("yank", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    CHECK_INT(add(m, "y/app", "1.0.0", "A", "to be yanked"), 0);
    CHECK_INT(yank(m, "y/app", "1.0.0", "first reason", &err), 1);

    wh_invoice_doc *d = NULL;
    CHECK_INT(wh_meta_invoice_get(m, "y/app", "1.0.0", &d, &err), 0);
    CHECK(d && d->yanked);
    CHECK(d && strstr(d->toml, "yanked = true") != NULL);
    CHECK(d && strstr(d->toml, "first reason") != NULL);
    CHECK(d && strstr(d->json, "first reason") != NULL);
    wh_invoice_doc_free(d);

    /* The first yank wins: a second one reports 0 and leaves the documents. */
    CHECK_INT(yank(m, "y/app", "1.0.0", "second reason", &err), 0);
    d = NULL;
    CHECK_INT(wh_meta_invoice_get(m, "y/app", "1.0.0", &d, &err), 0);
    CHECK(d && d->yanked);
    CHECK(d && strstr(d->toml, "first reason") != NULL);
    CHECK(d && strstr(d->toml, "second reason") == NULL);
    CHECK(d && strstr(d->json, "second reason") == NULL);
    wh_invoice_doc_free(d);

    err = (wh_err){0};
    CHECK_INT(yank(m, "y/none", "1.0.0", "r", &err), WH_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "y/none/1.0.0");
    CHECK_INT(yank(m, "y/app", "2.0.0", "r", &err), WH_ENOTFOUND);
    /* A NULL reason is allowed. */
    CHECK_INT(add(m, "y/app", "1.1.0", "A", "no reason"), 0);
    char *toml = NULL;
    size_t tl = 0;
    wh_invoice *inv = make_invoice("y/app", "1.1.0", "A", "no reason", NULL);
    CHECK(inv && wh_invoice_emit_toml(inv, &toml, &tl, &err) == 0);
    CHECK_INT(wh_meta_invoice_yank(m, "y/app", "1.1.0", NULL, toml ? toml : "", tl, "{}", 2,
                                   &err),
              1);
    free(toml);
    wh_invoice_free(inv);
    wh_meta_close(m);
}

static void test_parcels(void)
{
    char path[256];
    wh_meta *m = fresh_meta("parcels", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    CHECK_INT(wh_meta_parcel_has(m, SHA_A, &err), 0);
    CHECK_INT(wh_meta_parcel_add(m, SHA_A, 100, &err), 0);
    CHECK_INT(wh_meta_parcel_has(m, SHA_A, &err), 1);
    CHECK_INT(wh_meta_parcel_add(m, SHA_A, 100, &err), 0);
    CHECK_INT(wh_meta_parcel_has(m, SHA_A, &err), 1);
    CHECK_INT(wh_meta_parcel_has(m, SHA_B, &err), 0);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM parcels"), 1);

    wh_invoice *inv = make_invoice("p/app", "1.0.0", "A", "three parcels",
                                   SHA_A "," SHA_B "," SHA_C);
    CHECK(inv != NULL && inv->n_parcels == 3);
    if (inv && inv->n_parcels == 3) {
        bool missing[3] = {true, false, true};
        size_t n = 99;
        CHECK_INT(wh_meta_missing(m, inv, missing, &n, &err), 0);
        CHECK(!missing[0] && missing[1] && missing[2]);
        CHECK_INT(n, 2);
        CHECK_INT(wh_meta_parcel_add(m, SHA_C, 102, &err), 0);
        CHECK_INT(wh_meta_missing(m, inv, missing, &n, &err), 0);
        CHECK(!missing[0] && missing[1] && !missing[2]);
        CHECK_INT(n, 1);
        CHECK_INT(wh_meta_parcel_add(m, SHA_B, 101, &err), 0);
        CHECK_INT(wh_meta_missing(m, inv, missing, &n, &err), 0);
        CHECK(!missing[0] && !missing[1] && !missing[2]);
        CHECK_INT(n, 0);
    }
    wh_invoice_free(inv);

    inv = make_invoice("p/empty", "1.0.0", "A", "no parcels", NULL);
    CHECK(inv != NULL);
    if (inv) {
        size_t n = 99;
        bool none[1];
        CHECK_INT(wh_meta_missing(m, inv, none, &n, &err), 0);
        CHECK_INT(n, 0);
    }
    wh_invoice_free(inv);
    wh_meta_close(m);
}

typedef struct pool_job {
    wh_meta *m;
    int id;
    int failures;
} pool_job;

static void *pool_thread(void *arg)
{
    pool_job *j = arg;
    for (int i = 0; i < 50; i++) {
        char sha[65];
        snprintf(sha, sizeof sha, "%064x", j->id * 1000 + i);
        wh_err err = {0};
        if (wh_meta_parcel_add(j->m, sha, (uint64_t)i, &err) != 0 ||
            wh_meta_parcel_has(j->m, sha, &err) != 1) {
            j->failures++;
            fprintf(stderr, "  thread %d: %s\n", j->id, err.msg);
        }
    }
    return NULL;
}

/* More threads than pooled connections: they wait, none fail. */
static void test_pool_threads(void)
{
    enum { NTHREADS = 6 };
    char path[256];
    db_path("pool", path, sizeof path);
    wh_meta *m = NULL;
    wh_err err = {0};
    CHECK_INT(wh_meta_open_sqlite(path, 2, &m, &err), 0);
    if (!m)
        return;
    pthread_t tids[NTHREADS];
    pool_job jobs[NTHREADS];
    int started = 0;
    for (int i = 0; i < NTHREADS; i++) {
        jobs[i] = (pool_job){.m = m, .id = i + 1};
        if (pthread_create(&tids[i], NULL, pool_thread, &jobs[i]) == 0)
            started++;
    }
    CHECK_INT(started, NTHREADS);
    for (int i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
        CHECK_INT(jobs[i].failures, 0);
    }
    wh_meta_close(m);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM parcels"), started * 50);
}

/* ------------------------------------------------------------------ */
/* Search                                                              */
/* ------------------------------------------------------------------ */

static wh_meta *g_search;
static char g_search_path[256];

#define ALL_RELEASED                                                                     \
    "Mixed/CaseName 3.1.4;acme/gadget 0.3.0;acme/widget 1.0.0-alpha;acme/widget 1.0.0;" \
    "acme/widget 1.2.0;acme/widget 1.10.0;acme/widget 2.0.0-rc.1;cafe/cr\xc3\xa8me 2.1.0;" \
    "odd/chars 1.0.0;zeta/ab 1.0.0"
#define WIDGETS                                                                     \
    "acme/widget 1.0.0-alpha;acme/widget 1.0.0;acme/widget 1.2.0;acme/widget 1.10.0;" \
    "acme/widget 2.0.0-rc.1"

/* Inserted out of order, so that any order seen comes from the query. */
static int fill_search_db(void)
{
    db_path("search", g_search_path, sizeof g_search_path);
    g_search = open_meta(g_search_path);
    if (!g_search)
        return -1;
    int rc = 0;
    rc |= add(g_search, "acme/widget", "1.10.0", "Alice Smith", "Widget with maps");
    rc |= add(g_search, "zeta/ab", "1.0.0", "Carol", "xy marks the spot");
    rc |= add(g_search, "acme/widget", "2.0.0-rc.1", "Alice Smith", "Widget next");
    rc |= add(g_search, "acme/widget", "1.0.0", "Alice Smith <alice@example.com>",
              "A small Widget for dashboards");
    rc |= add(g_search, "odd/chars", "1.0.0", "Eve",
              "it's \\\"quoted\\\" (parens) * star NEAR -minus");
    rc |= add(g_search, "acme/widget", "0.9.0", "Alice Smith", "Widget broken build");
    rc |= add(g_search, "acme/widget", "1.2.0", "Alice Smith", "Widget with charts");
    rc |= add(g_search, "Mixed/CaseName", "3.1.4", "Dave", "Pi release");
    rc |= add(g_search, "acme/widget", "1.0.0-alpha", "Alice Smith", "Widget preview");
    rc |= add(g_search, "cafe/cr\xc3\xa8me", "2.1.0", "Frank", "Dessert");
    rc |= add(g_search, "acme/gadget", "0.3.0", "Bob Jones", "Telemetry helper");
    wh_err err = {0};
    if (yank(g_search, "acme/widget", "0.9.0", "broken", &err) != 1)
        rc = -1;
    return rc;
}

/* Checks one search: its code, total and hit list. */
#define CHECK_SEARCH(q, strict, range, yanked, offset, limit, want_total, want_list)      \
    do {                                                                                 \
        char got_[2048];                                                                 \
        uint64_t total_ = 0;                                                             \
        wh_err err_ = {0};                                                               \
        int rc_ = search(g_search, q, strict, range, yanked, offset, limit, &total_, got_, \
                         sizeof got_, &err_);                                            \
        CHECK_INT(rc_, 0);                                                               \
        if (rc_)                                                                         \
            fprintf(stderr, "  search error: %s\n", err_.msg);                           \
        CHECK_INT(total_, want_total);                                                   \
        CHECK_STR(got_, want_list);                                                      \
    } while (0)

static void test_search_all_and_order(void)
{
    CHECK(g_search != NULL);
    if (!g_search)
        return;
    /* Name (bytewise), then SemVer precedence, never version text. */
    CHECK_SEARCH(NULL, false, NULL, false, 0, 50, 10, ALL_RELEASED);
    CHECK_SEARCH("", false, NULL, false, 0, 50, 10, ALL_RELEASED);
    CHECK_SEARCH("   ", true, "", false, 0, 50, 10, ALL_RELEASED);
    CHECK_SEARCH("widget", true, NULL, false, 0, 50, 5, WIDGETS);
    /* Stable: the same query gives the same order again. */
    CHECK_SEARCH("widget", true, NULL, false, 0, 50, 5, WIDGETS);
}

static void test_search_strict_vs_standard(void)
{
    if (!g_search)
        return;
    /* Standard looks at description, authors and version, case-insensitively. */
    CHECK_SEARCH("dashboards", false, NULL, false, 0, 50, 1, "acme/widget 1.0.0");
    CHECK_SEARCH("dashboards", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("DASHBOARDS", false, NULL, false, 0, 50, 1, "acme/widget 1.0.0");
    CHECK_SEARCH("alice", false, NULL, false, 0, 50, 5, WIDGETS);
    CHECK_SEARCH("alice", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("1.10", false, NULL, false, 0, 50, 1, "acme/widget 1.10.0");
    CHECK_SEARCH("1.10", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("telemetry", false, NULL, false, 0, 50, 1, "acme/gadget 0.3.0");
    /* Names: strict is case-sensitive, standard is not. */
    CHECK_SEARCH("Mixed", true, NULL, false, 0, 50, 1, "Mixed/CaseName 3.1.4");
    CHECK_SEARCH("mixed", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("mIxEd", false, NULL, false, 0, 50, 1, "Mixed/CaseName 3.1.4");
    CHECK_SEARCH("Widget", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("WIDGET", false, NULL, false, 0, 50, 5, WIDGETS);
    /* Every term must match (AND), each in any field for standard. */
    CHECK_SEARCH("acme helper", false, NULL, false, 0, 50, 1, "acme/gadget 0.3.0");
    CHECK_SEARCH("acme helper", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("acme gad", true, NULL, false, 0, 50, 1, "acme/gadget 0.3.0");
    CHECK_SEARCH("acme/wid 1.2.0", false, NULL, false, 0, 50, 1, "acme/widget 1.2.0");
    /* Strict matches substrings anywhere in the name, '/' included. */
    CHECK_SEARCH("me/g", true, NULL, false, 0, 50, 1, "acme/gadget 0.3.0");
    CHECK_SEARCH("nosuchthing", false, NULL, false, 0, 50, 0, "");
}

static void test_search_short_terms(void)
{
    if (!g_search)
        return;
    /* Under three characters the trigram index cannot answer; these must
     * still match as substrings. */
    CHECK_SEARCH("ab", true, NULL, false, 0, 50, 1, "zeta/ab 1.0.0");
    CHECK_SEARCH("z", true, NULL, false, 0, 50, 1, "zeta/ab 1.0.0");
    CHECK_SEARCH("Z", false, NULL, false, 0, 50, 1, "zeta/ab 1.0.0");
    CHECK_SEARCH("xy", false, NULL, false, 0, 50, 1, "zeta/ab 1.0.0");
    CHECK_SEARCH("xy", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("ab zeta", true, NULL, false, 0, 50, 1, "zeta/ab 1.0.0");
    CHECK_SEARCH("ab acme", true, NULL, false, 0, 50, 0, "");
    /* Characters, not bytes: "r\xc3\xa8" is two characters in three bytes. */
    CHECK_SEARCH("r\xc3\xa8", true, NULL, false, 0, 50, 1, "cafe/cr\xc3\xa8me 2.1.0");
    CHECK_SEARCH("\xc3\xa8", true, NULL, false, 0, 50, 1, "cafe/cr\xc3\xa8me 2.1.0");
    CHECK_SEARCH("cr\xc3\xa8", true, NULL, false, 0, 50, 1, "cafe/cr\xc3\xa8me 2.1.0");
}

static void test_search_syntax_is_literal(void)
{
    if (!g_search)
        return;
    static const char *const odd[] = {
        "\"quoted\"", "\"", "(parens)", "(", "*", "NEAR", "near", "-minus", "it's", "'",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        CHECK_SEARCH(odd[i], false, NULL, false, 0, 50, 1, "odd/chars 1.0.0");
    /* "-" is also in the prerelease versions. */
    CHECK_SEARCH("-", false, NULL, false, 0, 50, 3,
                 "acme/widget 1.0.0-alpha;acme/widget 2.0.0-rc.1;odd/chars 1.0.0");
    /* Operators and column filters mean nothing special either. */
    CHECK_SEARCH("widget*", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("name:acme", false, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("NEAR(acme", false, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("acme AND", false, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("NOT", false, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("\"\"\"", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("a\"b", false, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("^acme", false, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("'); DROP TABLE invoices; --", false, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("x' OR '1'='1", true, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("%", false, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("_", false, NULL, false, 0, 50, 0, "");
    /* And nothing was harmed. */
    CHECK_SEARCH(NULL, false, NULL, false, 0, 50, 10, ALL_RELEASED);
}

static void test_search_ranges(void)
{
    if (!g_search)
        return;
    CHECK_SEARCH(NULL, false, "^1.2", false, 0, 50, 2, "acme/widget 1.2.0;acme/widget 1.10.0");
    CHECK_SEARCH(NULL, false, ">=2.0.0 <3", false, 0, 50, 1, "cafe/cr\xc3\xa8me 2.1.0");
    CHECK_SEARCH(NULL, false, "1.0.0", false, 0, 50, 3,
                 "acme/widget 1.0.0;odd/chars 1.0.0;zeta/ab 1.0.0");
    CHECK_SEARCH("widget", true, "~1.2", false, 0, 50, 1, "acme/widget 1.2.0");
    /* A prerelease only when the range names one on the same tuple. */
    CHECK_SEARCH("widget", true, "*", false, 0, 50, 3,
                 "acme/widget 1.0.0;acme/widget 1.2.0;acme/widget 1.10.0");
    CHECK_SEARCH("widget", true, "^1.0.0-alpha", false, 0, 50, 4,
                 "acme/widget 1.0.0-alpha;acme/widget 1.0.0;acme/widget 1.2.0;"
                 "acme/widget 1.10.0");
    CHECK_SEARCH(NULL, false, ">=2.0.0-rc.0", false, 0, 50, 3,
                 "Mixed/CaseName 3.1.4;acme/widget 2.0.0-rc.1;cafe/cr\xc3\xa8me 2.1.0");
    CHECK_SEARCH(NULL, false, "<1 || >=3", false, 0, 50, 2,
                 "Mixed/CaseName 3.1.4;acme/gadget 0.3.0");
    /* The yanked 0.9.0 satisfies <1 but stays out unless asked for. */
    CHECK_SEARCH("acme", true, "<1", true, 0, 50, 2,
                 "acme/gadget 0.3.0;acme/widget 0.9.0 (yanked)");

    static const char *const bad[] = {"1.2.3.4", "not a range", ">=a.b.c", "^1.2.3-", "1..2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wh_meta_query q = {.range = bad[i], .limit = 10};
        wh_meta_hits *h = (wh_meta_hits *)&q;
        wh_err err = {0};
        int rc = wh_meta_search(g_search, &q, &h, &err);
        CHECK_INT(rc, WH_EINVAL);
        CHECK(h == NULL);
        CHECK(err.msg[0] != '\0');
        if (rc == 0)
            wh_meta_hits_free(h);
    }
}

static void test_search_yanked(void)
{
    if (!g_search)
        return;
    CHECK_SEARCH("widget", true, NULL, true, 0, 50, 6,
                 "acme/widget 0.9.0 (yanked);" WIDGETS);
    CHECK_SEARCH("broken", false, NULL, false, 0, 50, 0, "");
    CHECK_SEARCH("broken", false, NULL, true, 0, 50, 1, "acme/widget 0.9.0 (yanked)");
    CHECK_SEARCH(NULL, false, NULL, true, 0, 0, 11, "");
}

static void test_search_paging(void)
{
    if (!g_search)
        return;
    char all[2048] = "", page[2048];
    size_t used = 0;
    uint64_t total = 0;
    wh_err err = {0};
    for (uint64_t off = 0; off < 12; off += 3) {
        CHECK_INT(search(g_search, NULL, false, NULL, false, off, 3, &total, page,
                         sizeof page, &err),
                  0);
        CHECK_INT(total, 10);
        if (page[0])
            used += (size_t)snprintf(all + used, sizeof all - used, "%s%s", used ? ";" : "",
                                     page);
    }
    CHECK_STR(all, ALL_RELEASED);
    CHECK_SEARCH(NULL, false, NULL, false, 9, 3, 10, "zeta/ab 1.0.0");
    CHECK_SEARCH(NULL, false, NULL, false, 10, 3, 10, "");
    CHECK_SEARCH(NULL, false, NULL, false, 1000000, 3, 10, "");
    CHECK_SEARCH(NULL, false, NULL, false, UINT64_MAX, 3, 10, "");
    CHECK_SEARCH("widget", true, NULL, false, 2, 2, 5, "acme/widget 1.2.0;acme/widget 1.10.0");

    /* limit 0: only the total. */
    wh_meta_query q = {.q = "widget", .strict = true, .limit = 0};
    wh_meta_hits *h = NULL;
    CHECK_INT(wh_meta_search(g_search, &q, &h, &err), 0);
    CHECK(h != NULL);
    if (h) {
        CHECK_INT(h->total, 5);
        CHECK_INT(h->n, 0);
    }
    wh_meta_hits_free(h);
}

/*
 * Runs one search in a child process, so that a crash there fails this check
 * instead of ending the whole suite.  The child opens its own connection:
 * SQLite connections must not cross a fork.  Exit 0: the search returned
 * want_rc (and want_total when want_rc is 0).
 */
static bool search_in_child(const char *q, bool strict, int want_rc, uint64_t want_total)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        wh_meta *m = NULL;
        wh_err err = {0};
        int code = 3;
        if (wh_meta_open_sqlite(g_search_path, 1, &m, &err) == 0) {
            wh_meta_query query = {.q = q, .strict = strict, .limit = 50};
            wh_meta_hits *h = NULL;
            int rc = wh_meta_search(m, &query, &h, &err);
            code = rc == want_rc && (rc != 0 || h->total == want_total) ? 0 : 1;
            if (code)
                fprintf(stderr, "  search of %d-byte query: rc %d total %llu: %s\n",
                        (int)strlen(q), rc, h ? (unsigned long long)h->total : 0ULL, err.msg);
            wh_meta_hits_free(h);
            wh_meta_close(m);
        }
        _exit(code);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return false;
    if (WIFSIGNALED(status))
        fprintf(stderr, "  the search child died of signal %d\n", WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_search_term_limit(void)
{
    if (!g_search)
        return;
    char q[1024] = "";
    size_t used = 0;
    for (int i = 0; i < WH_META_MAX_TERMS; i++)
        used += (size_t)snprintf(q + used, sizeof q - used, "%swidget", i ? " " : "");
    /* Exactly the limit, in both modes, each term a full-text term. */
    CHECK(search_in_child(q, true, 0, 5));
    CHECK(search_in_child(q, false, 0, 5));
    /* Short terms (not in the FTS expression) up to the limit too. */
    char shortq[128] = "";
    used = 0;
    for (int i = 0; i < WH_META_MAX_TERMS; i++)
        used += (size_t)snprintf(shortq + used, sizeof shortq - used, "%swi", i ? " " : "");
    CHECK(search_in_child(shortq, false, 0, 5));

    /* One more is refused, with a message saying so. */
    snprintf(q + strlen(q), sizeof q - strlen(q), " widget");
    wh_meta_query mq = {.q = q, .strict = true, .limit = 10};
    wh_meta_hits *h = (wh_meta_hits *)&mq;
    wh_err err = {0};
    int rc = wh_meta_search(g_search, &mq, &h, &err);
    CHECK_INT(rc, WH_EINVAL);
    CHECK(h == NULL);
    CHECK_CONTAINS(err.msg, "16 terms");
    if (rc == 0)
        wh_meta_hits_free(h);
    /* Extra spaces are not terms. */
    CHECK(search_in_child("  widget    acme  ", true, 0, 5));
}


/* ------------------------------------------------------------------ */
/* Trust: tokens and namespace keys                                    */
/* ------------------------------------------------------------------ */

static void test_tokens(void)
{
    char path[256];
    wh_meta *m = fresh_meta("tokens", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    wh_token_rec t = {.id = "00112233aabbccdd", .description = (char *)"ci", .scopes = (char *)"push:a/*",
                      .created_at = 100, .expires_at = 200};
    memset(t.secret_hash, 0x5a, sizeof t.secret_hash);
    CHECK_INT(wh_meta_token_add(m, &t, &err), 0);
    CHECK_INT(wh_meta_token_add(m, &t, &err), WH_EEXIST);
    wh_token_rec u = {.id = "ffffffffffffffff", .scopes = (char *)"read:*", .created_at = 300};
    CHECK_INT(wh_meta_token_add(m, &u, &err), 0);

    wh_token_rec got;
    CHECK_INT(wh_meta_token_get(m, "00112233aabbccdd", &got, &err), 0);
    CHECK_STR(got.scopes, "push:a/*");
    CHECK_STR(got.description, "ci");
    CHECK_INT(got.expires_at, 200);
    CHECK_INT(got.revoked_at, 0);
    CHECK(memcmp(got.secret_hash, t.secret_hash, 32) == 0);
    wh_token_rec_clear(&got);
    CHECK_INT(wh_meta_token_get(m, "0000000000000000", &got, &err), WH_ENOTFOUND);

    CHECK_INT(wh_meta_token_revoke(m, "00112233aabbccdd", 150, &err), 1);
    CHECK_INT(wh_meta_token_revoke(m, "00112233aabbccdd", 160, &err), 0);
    CHECK_INT(wh_meta_token_revoke(m, "0000000000000000", 160, &err), WH_ENOTFOUND);
    wh_token_rec *v = NULL;
    size_t n = 0;
    CHECK_INT(wh_meta_token_list(m, &v, &n, &err), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(v[0].id, "00112233aabbccdd");
        CHECK_INT(v[0].revoked_at, 150); /* the first revocation's time stands */
        CHECK_STR(v[1].id, "ffffffffffffffff");
        CHECK_INT(v[1].expires_at, 0);
        CHECK_STR(v[1].description, "");
    }
    wh_token_recs_free(v, n);

    /* Purging takes the expired tokens of that description only. */
    wh_token_rec login = {.id = "1111111111111111", .description = (char *)"oci login bob",
                          .scopes = (char *)"read:*", .created_at = 100, .expires_at = 200};
    wh_token_rec fresh = login;
    memcpy(fresh.id, "2222222222222222", sizeof fresh.id);
    fresh.expires_at = 5000;
    CHECK_INT(wh_meta_token_add(m, &login, &err), 0);
    CHECK_INT(wh_meta_token_add(m, &fresh, &err), 0);
    CHECK_INT(wh_meta_token_purge(m, 1000, "oci login ", &err), 1);
    CHECK_INT(wh_meta_token_get(m, "1111111111111111", &got, &err), WH_ENOTFOUND);
    CHECK_INT(wh_meta_token_get(m, "2222222222222222", &got, &err), 0);
    wh_token_rec_clear(&got);
    CHECK_INT(wh_meta_token_get(m, "00112233aabbccdd", &got, &err), 0); /* "ci", expired at 200 */
    wh_token_rec_clear(&got);
    CHECK_INT(wh_meta_token_purge(m, 1000, "oci login ", &err), 0);
    wh_meta_close(m);
}

static void test_namespace_keys(void)
{
    char path[256];
    wh_meta *m = fresh_meta("nskeys", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    wh_ns_key a = {.name = (char *)"acme/app", .label = (char *)"Alice", .added_at = 1,
                   .added_by = (char *)"operator"};
    memset(a.key, 1, sizeof a.key);
    wh_ns_key b = a;
    b.label = (char *)"Bob";
    memset(b.key, 2, sizeof b.key);
    CHECK_INT(wh_meta_ns_key_add(m, &a, &err), 0);
    CHECK_INT(wh_meta_ns_key_add(m, &a, &err), WH_EEXIST);

    /* A first publish binds its keys only while the name is unbound. */
    wh_invoice *inv = make_invoice("acme/app", "1.0.0", "A", "d", NULL);
    wh_invoice *fresh = make_invoice("acme/new", "1.0.0", "A", "d", NULL);
    CHECK(inv && fresh);
    if (inv && fresh) {
        char *toml = NULL, *json = NULL;
        size_t tl = 0, jl = 0;
        CHECK_INT(wh_invoice_emit_toml(inv, &toml, &tl, &err), 0);
        CHECK_INT(wh_invoice_emit_json(inv, &json, &jl, &err), 0);
        CHECK_INT(wh_meta_invoice_create(m, inv, toml, tl, json, jl, &b, 1, &err), WH_EEXIST);
        CHECK_CONTAINS(err.msg, "claimed by another publish");
        wh_invoice_doc *doc = NULL;
        CHECK_INT(wh_meta_invoice_get(m, "acme/app", "1.0.0", &doc, &err), WH_ENOTFOUND);
        free(toml);
        free(json);
        CHECK_INT(wh_invoice_emit_toml(fresh, &toml, &tl, &err), 0);
        CHECK_INT(wh_invoice_emit_json(fresh, &json, &jl, &err), 0);
        wh_ns_key nb = b;
        nb.name = (char *)"acme/new";
        nb.added_by = NULL;
        CHECK_INT(wh_meta_invoice_create(m, fresh, toml, tl, json, jl, &nb, 1, &err), 0);
        free(toml);
        free(json);
    }
    wh_invoice_free(inv);
    wh_invoice_free(fresh);

    wh_ns_key *v = NULL;
    size_t n = 0;
    CHECK_INT(wh_meta_ns_keys(m, "acme/app", &v, &n, &err), 0);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(v[0].label, "Alice");
    wh_ns_keys_free(v, n);
    CHECK_INT(wh_meta_ns_keys(m, "acme/new", &v, &n, &err), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(v[0].label, "Bob");
        CHECK_STR(v[0].added_by, "first publish");
        CHECK(v[0].key[0] == 2);
    }
    wh_ns_keys_free(v, n);
    CHECK_INT(wh_meta_ns_keys(m, NULL, &v, &n, &err), 0);
    CHECK_INT(n, 2);
    wh_ns_keys_free(v, n);
    CHECK_INT(wh_meta_ns_key_remove(m, "acme/app", b.key, &err), WH_ENOTFOUND);
    CHECK_INT(wh_meta_ns_key_remove(m, "acme/app", a.key, &err), 0);
    CHECK_INT(wh_meta_ns_keys(m, "acme/app", &v, &n, &err), 0);
    CHECK_INT(n, 0);
    wh_ns_keys_free(v, n);
    wh_meta_close(m);
}

static void test_search_name_filter(void)
{
    if (!g_search)
        return;
    const char *names[] = {"acme/w", "zeta/ab", "zeta/a"};
    const bool prefix[] = {true, false, false};
    wh_meta_query q = {.limit = 50, .names = names, .name_prefix = prefix, .n_names = 3};
    wh_meta_hits *h = NULL;
    wh_err err = {0};
    CHECK_INT(wh_meta_search(g_search, &q, &h, &err), 0);
    if (h)
        CHECK_INT(h->total, 6); /* five acme/widget and zeta/ab, not acme/gadget nor zeta/a */
    wh_meta_hits_free(h);
    const char *nothing[] = {""};
    const bool exact[] = {false};
    q.names = nothing;
    q.name_prefix = exact;
    q.n_names = 1;
    CHECK_INT(wh_meta_search(g_search, &q, &h, &err), 0);
    if (h)
        CHECK_INT(h->total, 0);
    wh_meta_hits_free(h);
}


static void test_wasm_descriptions(void)
{
    char path[256];
    wh_meta *m = fresh_meta("wasm", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    const char *sha = "1111111111111111111111111111111111111111111111111111111111111111";
    char *text = NULL;
    size_t len = 0;
    CHECK_INT(wh_meta_wasm_get(m, sha, &text, &len, &err), WH_ENOTFOUND);
    CHECK_INT(wh_meta_wasm_put(m, sha, true, "module", "{\"valid\":true}", 14, &err), 0);
    CHECK_INT(wh_meta_wasm_get(m, sha, &text, &len, &err), 0);
    CHECK_STR(text, "{\"valid\":true}");
    CHECK_INT(len, 14);
    free(text);
    /* A second check of the same bytes replaces the first. */
    CHECK_INT(wh_meta_wasm_put(m, sha, true, "component", "{}", 2, &err), 0);
    CHECK_INT(wh_meta_wasm_get(m, sha, &text, &len, &err), 0);
    CHECK_STR(text, "{}");
    free(text);
    wh_meta_close(m);
}

int main(void)
{
    if (tmp_root_make("/tmp/wh-test-meta") != 0)
        return 1;
    RUN(test_open_creates_schema);
    RUN(test_newer_schema_refused);
    RUN(test_open_bad_path);
    RUN(test_invoice_round_trip);
    RUN(test_yank);
    RUN(test_parcels);
    RUN(test_pool_threads);
    if (fill_search_db() != 0)
        fprintf(stderr, "  building the search database failed\n");
    RUN(test_search_all_and_order);
    RUN(test_search_strict_vs_standard);
    RUN(test_search_short_terms);
    RUN(test_search_syntax_is_literal);
    RUN(test_search_ranges);
    RUN(test_search_yanked);
    RUN(test_search_paging);
    RUN(test_search_term_limit);
    RUN(test_search_name_filter);
    RUN(test_tokens);
    RUN(test_namespace_keys);
    RUN(test_wasm_descriptions);
    wh_meta_close(g_search);
    tmp_root_remove();
    return unit_done("meta");
}
