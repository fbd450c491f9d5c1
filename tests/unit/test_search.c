/*
 * test_search.c - the in-memory search index behind wh_meta_search
 * (storage/search_index.h), on what test_meta.c's search cases do not
 * reach: staying in step with writers (this connection pool, another
 * process, edits that force a rebuild), the result order after incremental
 * inserts against SQLite's own ORDER BY, counts over enough invoices to
 * grow every buffer, name patterns, ranges over shared versions, Unicode
 * case folding checked against FTS5's trigram tokenizer, and searches
 * running while invoices are published.
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
#include "schema/semver.h"
#include "storage/meta.h"
#include "storage/search_index.h"
#include "tests/unit/meta_fixture.h"
#include "tests/unit/unit.h"

/* ---- helpers ------------------------------------------------------------ */

/* Publishes an invoice without parcels (or, with `yank`, yanks it with
 * the documents marked so); `author` and `description` are spliced into
 * TOML strings as they are. */
static int store(wh_meta *m, const char *name, const char *version, const char *author,
                 const char *description, bool yank)
{
    char doc[4096];
    snprintf(doc, sizeof doc,
             "bindleVersion = \"1.0.0\"\n[bindle]\nname = \"%s\"\nversion = \"%s\"\n"
             "authors = [\"%s\"]\ndescription = \"%s\"\n",
             name, version, author, description);
    wh_invoice *inv = NULL;
    wh_err err = {0};
    char *toml = NULL, *json = NULL;
    size_t tl = 0, jl = 0;
    int rc = wh_invoice_parse_toml(doc, strlen(doc), NULL, &inv, &err);
    if (!rc && yank) {
        inv->yanked = true;
        inv->has_yanked = true;
    }
    if (!rc)
        rc = invoice_docs(inv, &toml, &tl, &json, &jl, &err);
    if (!rc && yank)
        rc = wh_meta_invoice_yank(m, name, version, NULL, toml, tl, json, jl, &err);
    else if (!rc)
        rc = wh_meta_invoice_create(m, inv, toml, tl, json, jl, NULL, 0, &err);
    if (rc < 0)
        fprintf(stderr, "  storing %s/%s: %s\n", name, version, err.msg);
    free(toml);
    free(json);
    wh_invoice_free(inv);
    return rc;
}

static int add(wh_meta *m, const char *name, const char *version, const char *author,
               const char *description)
{
    return store(m, name, version, author, description, false);
}

/* 1 when this call yanked it, as wh_meta_invoice_yank. */
static int yank(wh_meta *m, const char *name, const char *version)
{
    return store(m, name, version, "A", "d", true);
}

/* A search's hits as "name@version name@version ..." (read back from the
 * documents) into out, and its total; returns the search's code. */
static int list(wh_meta *m, const wh_meta_query *q, uint64_t *total, char *out, size_t cap)
{
    wh_meta_hits *h = NULL;
    wh_err err = {0};
    out[0] = '\0';
    *total = UINT64_MAX;
    int rc = wh_meta_search(m, q, &h, &err);
    if (rc) {
        fprintf(stderr, "  search: %s\n", err.msg);
        return rc;
    }
    *total = h->total;
    size_t used = 0;
    for (size_t i = 0; i < h->n; i++) {
        wh_invoice *inv = NULL;
        const char *name = "?", *version = "?";
        if (wh_invoice_parse_toml(h->docs[i]->toml, h->docs[i]->toml_len, NULL, &inv, &err) == 0) {
            name = inv->bindle.name;
            version = inv->bindle.version;
        }
        int n = snprintf(out + used, cap - used, "%s%s@%s", i ? " " : "", name, version);
        wh_invoice_free(inv);
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    wh_meta_hits_free(h);
    return 0;
}

/* Total of a search, or UINT64_MAX when it failed. */
static uint64_t count(wh_meta *m, const char *q, bool strict, const char *range)
{
    wh_meta_query query = {.q = q, .strict = strict, .range = range, .limit = 0};
    wh_meta_hits *h = NULL;
    wh_err err = {0};
    if (wh_meta_search(m, &query, &h, &err) != 0) {
        fprintf(stderr, "  search %s: %s\n", q ? q : "(all)", err.msg);
        return UINT64_MAX;
    }
    uint64_t t = h->total;
    wh_meta_hits_free(h);
    return t;
}

/* Runs one SQL statement on its own connection: the ground truth, or an
 * edit behind the store's back.  Returns the first column of the first
 * row as a number (-1 on error); with `out`, rows' "a@b" joined by ' '. */
static long long sql(const char *path, const char *stmt, const char *arg, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long v = -1;
    size_t used = 0;
    if (out)
        out[0] = '\0';
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, stmt, -1, &st, NULL) == SQLITE_OK) {
        if (arg)
            sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
        int r;
        v = 0;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            if (!out) {
                v = sqlite3_column_int64(st, 0);
                break;
            }
            int n = snprintf(out + used, cap - used, "%s%s@%s", used ? " " : "",
                             (const char *)sqlite3_column_text(st, 0),
                             (const char *)sqlite3_column_text(st, 1));
            if (n > 0 && (size_t)n < cap - used)
                used += (size_t)n;
        }
        if (r != SQLITE_ROW && r != SQLITE_DONE)
            v = -1;
    } else {
        fprintf(stderr, "  sql %s: %s\n", stmt, db ? sqlite3_errmsg(db) : "cannot open");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

#define SQL_ORDER \
    "SELECT name, version FROM invoices WHERE yanked = 0 ORDER BY name, sort_key, version"

/* ---- tests -------------------------------------------------------------- */

static void test_empty(void)
{
    char path[256];
    wh_meta *m = fresh_meta("empty", path, sizeof path);
    if (!m)
        return;
    CHECK_INT(count(m, NULL, false, NULL), 0);
    CHECK_INT(count(m, "x", true, "^1"), 0);
    /* The first invoice after an empty index is seen. */
    CHECK_INT(add(m, "first/one", "1.0.0", "A", "d"), 0);
    CHECK_INT(count(m, "one", true, NULL), 1);
    wh_meta_close(m);
}

/*
 * Publishes in an order unrelated to the result order, searching between
 * batches so that each batch is merged into an index already built; the
 * order must then be exactly SQLite's ORDER BY name, sort_key, version,
 * with names that share prefixes, non-ASCII names, and versions whose
 * precedence and text disagree.
 */
static void test_order_after_inserts(void)
{
    char path[256];
    wh_meta *m = fresh_meta("order", path, sizeof path);
    if (!m)
        return;
    static const char *const batches[][6][2] = {
        {{"b/x", "1.10.0"}, {"a", "2.0.0"}, {"b/x", "1.9.0"}, {NULL, NULL}},
        {{"a-b", "1.0.0"}, {"b/x", "1.10.0-rc.1"}, {"a/b", "0.1.0"}, {"a.b", "1.0.0"},
         {NULL, NULL}},
        {{"ab", "1.0.0"}, {"A", "1.0.0"}, {"caf\xc3\xa9", "1.0.0"}, {"b/x", "1.10.0+build.2"},
         {"b/x", "1.10.0+build.10"}, {NULL, NULL}},
        {{"b/x", "1.10.0-alpha"}, {"b/x", "1.10.0-alpha.1"}, {"b/x", "1.10.0-alpha.beta"},
         {"b", "3.0.0"}, {"a", "10.0.0"}, {NULL, NULL}},
    };
    char got[4096], want[4096];
    uint64_t total = 0;
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        for (size_t i = 0; batches[b][i][0]; i++)
            CHECK_INT(add(m, batches[b][i][0], batches[b][i][1], "A", "d"), 0);
        wh_meta_query q = {.limit = 255};
        CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
        sql(path, SQL_ORDER, NULL, want, sizeof want);
        CHECK_STR(got, want);
    }
    CHECK_INT(total, 17);
    /* Spelled out once, so that the ground truth is checked too. */
    CHECK_STR(got, "A@1.0.0 a@2.0.0 a@10.0.0 a-b@1.0.0 a.b@1.0.0 a/b@0.1.0 ab@1.0.0 b@3.0.0 "
                   "b/x@1.9.0 b/x@1.10.0-alpha b/x@1.10.0-alpha.1 b/x@1.10.0-alpha.beta "
                   "b/x@1.10.0-rc.1 b/x@1.10.0 b/x@1.10.0+build.10 b/x@1.10.0+build.2 "
                   "caf\xc3\xa9@1.0.0");
    /* Paging walks the same order. */
    wh_meta_query q = {.offset = 8, .limit = 3};
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_STR(got, "b/x@1.9.0 b/x@1.10.0-alpha b/x@1.10.0-alpha.1");
    wh_meta_close(m);
}

/* A yank after the index was built takes the invoice out at once; a
 * second pool on the same file shares what the first one sees. */
static void test_yank_and_two_pools(void)
{
    char path[256];
    db_path("yank", path, sizeof path);
    wh_meta *m = open_meta(path), *m2 = open_meta(path);
    CHECK(m != NULL && m2 != NULL);
    if (!m || !m2)
        goto done;
    CHECK_INT(add(m, "y/app", "1.0.0", "A", "first"), 0);
    CHECK_INT(add(m, "y/app", "2.0.0", "A", "second"), 0);
    CHECK_INT(count(m, "y/app", true, NULL), 2);
    CHECK_INT(yank(m2, "y/app", "1.0.0"), 1);
    CHECK_INT(count(m, "y/app", true, NULL), 1);
    wh_meta_query q = {.q = "y/app", .strict = true, .yanked = true, .limit = 10};
    char got[256];
    uint64_t total = 0;
    CHECK_INT(list(m2, &q, &total, got, sizeof got), 0);
    CHECK_INT(total, 2);
    CHECK_STR(got, "y/app@1.0.0 y/app@2.0.0");
    CHECK_INT(add(m2, "y/app", "3.0.0", "A", "third"), 0);
    CHECK_INT(count(m, "third", false, NULL), 1);
done:
    wh_meta_close(m);
    wh_meta_close(m2);
}

/* Another process's writes reach an index this process already built
 * (through the change log, not shared memory). */
static void test_other_process(void)
{
    char path[256];
    wh_meta *m = fresh_meta("procs", path, sizeof path);
    if (!m)
        return;
    CHECK_INT(add(m, "p/one", "1.0.0", "A", "here"), 0);
    CHECK_INT(count(m, "p/", true, NULL), 1);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        wh_meta *c = NULL;
        wh_err err = {0};
        int code = 1;
        if (wh_meta_open_sqlite(path, 1, &c, &err) == 0) {
            code = add(c, "p/two", "1.0.0", "B", "from the child") != 0 ||
                   yank(c, "p/one", "1.0.0") != 1;
            wh_meta_close(c);
        }
        _exit(code);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    char got[256];
    uint64_t total = 0;
    wh_meta_query q = {.q = "p/", .strict = true, .limit = 10};
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_INT(total, 1);
    CHECK_STR(got, "p/two@1.0.0");
    CHECK_INT(count(m, "child", false, NULL), 1);
    wh_meta_close(m);
}

/* Edits that change searchable text or remove rows (no writer of the
 * store does that today) make the index rebuild instead of going stale. */
static void test_rebuild_on_other_edits(void)
{
    char path[256];
    wh_meta *m = fresh_meta("edits", path, sizeof path);
    if (!m)
        return;
    CHECK_INT(add(m, "e/one", "1.0.0", "A", "plain"), 0);
    CHECK_INT(add(m, "e/two", "1.0.0", "A", "plain"), 0);
    CHECK_INT(count(m, "plain", false, NULL), 2);
    CHECK_INT(sql(path, "UPDATE invoices SET description = 'zebra crossing' WHERE name = ?1",
                  "e/one", NULL, 0),
              0);
    CHECK_INT(count(m, "zebra", false, NULL), 1);
    CHECK_INT(count(m, "plain", false, NULL), 1);
    CHECK_INT(sql(path, "DELETE FROM invoices WHERE name = ?1", "e/two", NULL, 0), 0);
    CHECK_INT(count(m, NULL, false, NULL), 1);
    CHECK_INT(count(m, "e/two", true, NULL), 0);
    /* An insert after the rebuild is applied in place again. */
    CHECK_INT(add(m, "e/three", "1.0.0", "A", "plain"), 0);
    CHECK_INT(count(m, "plain", false, NULL), 1);
    CHECK_INT(count(m, "e/", true, NULL), 2);
    wh_meta_close(m);
}

/*
 * Enough invoices to grow every buffer past its first size (slots, text,
 * more than 512 distinct versions), and counts checked against SQLite
 * evaluating the same predicates: terms that match everywhere, nowhere,
 * inside one field only, at the very end of a row, one and two characters
 * long, several at once.
 */
static void test_counts_at_scale(void)
{
    char path[256];
    wh_meta *m = fresh_meta("scale", path, sizeof path);
    if (!m)
        return;
    static const char *const words[] = {"amber", "basil", "cedar", "delta", "ember", "fjord",
                                        "garnet", "harbor", "indigo", "kelp"};
    const size_t nw = sizeof words / sizeof words[0];
    int rc = 0;
    for (size_t i = 0; i < 1200 && !rc; i++) {
        char name[128], version[64], author[64], desc[128];
        snprintf(name, sizeof name, "%s.example/%s-%s/app%zu", words[i % nw],
                 words[(i / nw) % nw], words[(i / 7) % nw], i / 3);
        snprintf(version, sizeof version, "%zu.%zu.%zu", i % 3, i / 3, i % 2);
        snprintf(author, sizeof author, "%s Dev", words[(i / 3) % nw]);
        snprintf(desc, sizeof desc, "A %s service, build %zuZ", words[(i / 5) % nw], i);
        /* Capitals, so that standard folding has work to do. */
        author[0] = (char)(author[0] - 'a' + 'A');
        rc = add(m, name, version, author, desc);
        if (i == 600)
            CHECK_INT(count(m, NULL, false, NULL), 601);   /* built half-way */
    }
    CHECK_INT(rc, 0);
    static const char *const strict_terms[] = {"amber", "app1", "/", "p", "example/kelp-",
                                               "app119", "Amber", "zzz", "app1 kelp"};
    for (size_t i = 0; i < sizeof strict_terms / sizeof strict_terms[0]; i++) {
        long long want = 0;
        char q[256];
        snprintf(q, sizeof q, "%s", strict_terms[i]);
        char *sp = strchr(q, ' ');
        if (sp) {
            *sp = '\0';
            char stmt[512];
            snprintf(stmt, sizeof stmt,
                     "SELECT count(*) FROM invoices WHERE instr(name, ?1) AND instr(name, '%s')",
                     sp + 1);
            want = sql(path, stmt, q, NULL, 0);
            *sp = ' ';
        } else {
            want = sql(path, "SELECT count(*) FROM invoices WHERE instr(name, ?1)", q, NULL, 0);
        }
        CHECK(want >= 0);
        if ((long long)count(m, strict_terms[i], true, NULL) != want)
            fprintf(stderr, "  strict %s: want %lld\n", strict_terms[i], want);
        CHECK_INT(count(m, strict_terms[i], true, NULL), want);
    }
    static const char *const std_terms[] = {"amber", "AMBER", "dev", "z", "9z", "zz", "1z",
                                            "build 11", "service", "0.1", "kelp dev 1.3"};
    for (size_t i = 0; i < sizeof std_terms / sizeof std_terms[0]; i++) {
        /* Every space-separated term in some field, ASCII case folded. */
        char stmt[2048] = "SELECT count(*) FROM invoices WHERE 1";
        char q[128];
        snprintf(q, sizeof q, "%s", std_terms[i]);
        for (char *t = strtok(q, " "); t; t = strtok(NULL, " ")) {
            char c[512];
            snprintf(c, sizeof c,
                     " AND (instr(lower(name), lower('%s'))"
                     " OR instr(lower(version), lower('%s'))"
                     " OR instr(lower(authors), lower('%s'))"
                     " OR instr(lower(description), lower('%s')))",
                     t, t, t, t);
            strncat(stmt, c, sizeof stmt - strlen(stmt) - 1);
        }
        long long want = sql(path, stmt, NULL, NULL, 0);
        CHECK(want >= 0);
        if ((long long)count(m, std_terms[i], false, NULL) != want)
            fprintf(stderr, "  standard %s: want %lld\n", std_terms[i], want);
        CHECK_INT(count(m, std_terms[i], false, NULL), want);
    }
    /* Ranges over 1200 invoices and 1200 distinct versions. */
    CHECK_INT(count(m, NULL, false, "^1"), 400);
    CHECK_INT(count(m, NULL, false, ">=2.100.0"), 300);
    CHECK_INT(count(m, "amber", true, "<1"), sql(path,
              "SELECT count(*) FROM invoices WHERE instr(name, 'amber') AND version LIKE '0.%'",
              NULL, NULL, 0));
    /* The last page, and past it. */
    wh_meta_query q = {.offset = 1199, .limit = 255};
    char got[256];
    uint64_t total = 0;
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_INT(total, 1200);
    char want_last[256];
    sql(path, SQL_ORDER " LIMIT 1 OFFSET 1199", NULL, want_last, sizeof want_last);
    CHECK_STR(got, want_last);
    q.offset = 1200;
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_STR(got, "");
    wh_meta_close(m);
}

/* Many versions of few names, most sharing versions: a range is decided
 * per version, and prereleases follow npm's rule. */
static void test_ranges_shared_versions(void)
{
    char path[256];
    wh_meta *m = fresh_meta("ranges", path, sizeof path);
    if (!m)
        return;
    static const char *const versions[] = {"1.0.0", "1.2.0", "1.2.3-rc.1", "2.0.0", "0.9.0"};
    for (int n = 0; n < 20; n++) {
        char name[32];
        snprintf(name, sizeof name, "r/n%02d", n);
        for (size_t v = 0; v < 5; v++)
            CHECK_INT(add(m, name, versions[v], "A", "d"), 0);
    }
    CHECK_INT(count(m, NULL, false, "^1"), 40);
    CHECK_INT(count(m, NULL, false, "^1.2.3-rc.0"), 20);
    CHECK_INT(count(m, NULL, false, "1.2.3-rc.1 || 0.9"), 40);
    CHECK_INT(count(m, "n0", true, ">=1"), 30);
    wh_meta_query q = {.q = "n07", .strict = true, .range = ">=1.2.0-0 <3", .limit = 10};
    char got[512];
    uint64_t total = 0;
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_STR(got, "r/n07@1.2.0 r/n07@2.0.0");
    wh_meta_close(m);
}

/* Name patterns (a reader's scopes): prefixes and exact names, which may
 * overlap; names that merely sort nearby stay out. */
static void test_name_patterns(void)
{
    char path[256];
    wh_meta *m = fresh_meta("names", path, sizeof path);
    if (!m)
        return;
    static const char *const names[] = {"acme", "acme-x", "acme/a", "acme/b", "acme/b/c",
                                        "acme0", "acmf", "acm", "zeta/x"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK_INT(add(m, names[i], "1.0.0", "A", "d"), 0);
        CHECK_INT(add(m, names[i], "2.0.0", "A", "d"), 0);
    }
    char got[1024];
    uint64_t total = 0;
    const char *p1[] = {"acme/"};
    const bool pre1[] = {true};
    wh_meta_query q = {.limit = 50, .names = p1, .name_prefix = pre1, .n_names = 1};
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_STR(got, "acme/a@1.0.0 acme/a@2.0.0 acme/b@1.0.0 acme/b@2.0.0 acme/b/c@1.0.0 "
                   "acme/b/c@2.0.0");
    const char *p2[] = {"acme/b", "acme", "acme/", "zeta/x"};
    const bool pre2[] = {true, false, true, false};
    q.names = p2;
    q.name_prefix = pre2;
    q.n_names = 4;
    q.q = "b";
    q.strict = true;
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_INT(total, 4);
    CHECK_STR(got, "acme/b@1.0.0 acme/b@2.0.0 acme/b/c@1.0.0 acme/b/c@2.0.0");
    q.q = NULL;
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_INT(total, 10);
    const char *p3[] = {"", "acm"};
    const bool pre3[] = {false, false};
    q.names = p3;
    q.name_prefix = pre3;
    q.n_names = 2;
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_STR(got, "acm@1.0.0 acm@2.0.0");
    const bool pre4[] = {true, false};
    q.name_prefix = pre4;
    CHECK_INT(list(m, &q, &total, got, sizeof got), 0);
    CHECK_INT(total, 18);
    wh_meta_close(m);
}

/*
 * Folding is FTS5's: for each text and term (three characters or more,
 * where FTS5 can answer), "folded term inside folded text" must agree with
 * a trigram MATCH on the same text.  Then the same through search, where
 * short terms fold the same way too.
 */
static void test_unicode_folding(void)
{
    static const char *const texts[] = {
        "\xc3\x89" "cole Fran\xc3\xa7" "aise",            /* École Française */
        "\xc3\xa9" "cole fran\xc3\x87" "AISE",            /* école franÇAISE */
        /* ΑΘΗΝΑ λιμάνι */
        "\xce\x91\xce\x98\xce\x97\xce\x9d\xce\x91 "
        "\xce\xbb\xce\xb9\xce\xbc\xce\xac\xce\xbd\xce\xb9",
        "\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0 \xd0\x96\xd0\x96", /* Москва ЖЖ */
        "\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3 fullwidth",  /* ＡＢＣ fullwidth */
        "caf\xc3\xa9 CR\xc3\x88ME \xc3\x84rger",           /* café CRÈME Ärger */
    };
    static const char *const terms[] = {
        "\xc3\xa9" "cole", "\xc3\x89" "COLE", "fran\xc3\xa7" "ais", "FRAN\xc3\x87",
        "\xce\xb1\xce\xb8\xce\xb7", "\xce\x9b\xce\x99\xce\x9c", "\xd0\xbc\xd0\xbe\xd1\x81",
        "\xd0\xb2\xd0\xb0 \xd0\xb6", "\xef\xbd\x81\xef\xbd\x82\xef\xbd\x83", "cr\xc3\xa8me",
        "\xc3\xa4rg",
        "ecole", "cafe", "ARGER",
    };
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'trigram')", NULL,
                       NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *ins = NULL, *match = NULL;
    CHECK(sqlite3_prepare_v2(db, "INSERT INTO t (rowid, x) VALUES (?1, ?2)", -1, &ins, NULL) ==
          SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE rowid = ?1 AND t MATCH ?2", -1,
                             &match, NULL) == SQLITE_OK);
    size_t nt = sizeof texts / sizeof texts[0], nq = sizeof terms / sizeof terms[0];
    for (size_t i = 0; ins && i < nt; i++) {
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)i);
        sqlite3_bind_text(ins, 2, texts[i], -1, SQLITE_STATIC);
        CHECK(sqlite3_step(ins) == SQLITE_DONE);
        sqlite3_reset(ins);
    }
    int agreed = 0, found = 0;
    for (size_t i = 0; match && i < nt; i++) {
        char *ft = NULL;
        size_t ftl = 0;
        wh_err err = {0};
        CHECK_INT(wh_search_fold(db, texts[i], strlen(texts[i]), &ft, &ftl, &err), 0);
        for (size_t j = 0; ft && j < nq; j++) {
            char *fq = NULL, phrase[128];
            size_t fql = 0;
            CHECK_INT(wh_search_fold(db, terms[j], strlen(terms[j]), &fq, &fql, &err), 0);
            snprintf(phrase, sizeof phrase, "\"%s\"", terms[j]);
            sqlite3_bind_int64(match, 1, (sqlite3_int64)i);
            sqlite3_bind_text(match, 2, phrase, -1, SQLITE_STATIC);
            int fts = sqlite3_step(match) == SQLITE_ROW ? sqlite3_column_int(match, 0) : -1;
            sqlite3_reset(match);
            int ours = fq && memmem(ft, ftl, fq, fql) != NULL;
            if (fts != ours)
                fprintf(stderr, "  text %zu term %zu: FTS5 %d, folded %d\n", i, j, fts, ours);
            agreed += fts == ours;
            found += ours;
            free(fq);
        }
        free(ft);
    }
    CHECK_INT(agreed, (int)(nt * nq));
    CHECK(found >= 10);   /* the cases above are mostly matches */
    sqlite3_finalize(ins);
    sqlite3_finalize(match);
    sqlite3_close(db);

    char path[256];
    wh_meta *m = fresh_meta("unicode", path, sizeof path);
    if (!m)
        return;
    CHECK_INT(add(m, "caf\xc3\xa9/cr\xc3\xa8me", "1.0.0", "\xc3\x89lise", "\xc3\x84rger"), 0);
    CHECK_INT(add(m, "plain/app", "1.0.0", "Eve", "nothing"), 0);
    CHECK_INT(count(m, "CAF\xc3\x89", false, NULL), 1);
    CHECK_INT(count(m, "\xc3\xa9lise", false, NULL), 1);
    CHECK_INT(count(m, "\xc3\xa4", false, NULL), 1);      /* short terms fold too */
    CHECK_INT(count(m, "\xc3\x88", false, NULL), 1);
    CHECK_INT(count(m, "CAF\xc3\x89", true, NULL), 0);    /* strict stays exact */
    CHECK_INT(count(m, "caf\xc3\xa9", true, NULL), 1);
    CHECK_INT(count(m, "\xc3\x88", true, NULL), 0);
    wh_meta_close(m);
}

/* Searches on several threads while invoices are published: every reply
 * is consistent (ordered, total never going back), and the last sees all. */
typedef struct reader {
    wh_meta *m;
    int bad;
    pthread_t th;
} reader;

static void *read_loop(void *arg)
{
    reader *r = arg;
    uint64_t last = 0;
    for (int i = 0; i < 150; i++) {
        wh_meta_query q = {.q = "conc", .strict = true, .limit = 20};
        wh_meta_hits *h = NULL;
        wh_err err = {0};
        if (wh_meta_search(r->m, &q, &h, &err) != 0) {
            r->bad++;
            continue;
        }
        if (h->total < last || h->n > 20 || h->n > h->total)
            r->bad++;
        last = h->total;
        for (size_t k = 1; k < h->n; k++) {
            /* Every name is distinct and the documents' JSON starts alike,
             * so byte order of the documents is name order here. */
            if (strcmp(h->docs[k - 1]->json, h->docs[k]->json) >= 0)
                r->bad++;
        }
        wh_meta_hits_free(h);
    }
    return NULL;
}

static void test_concurrent_search_and_publish(void)
{
    char path[256];
    wh_meta *m = fresh_meta("concurrent", path, sizeof path);
    if (!m)
        return;
    CHECK_INT(add(m, "conc/base", "1.0.0", "A", "d"), 0);
    reader rs[3];
    int started = 0;
    for (int i = 0; i < 3; i++) {
        rs[i] = (reader){.m = m};
        if (pthread_create(&rs[i].th, NULL, read_loop, &rs[i]) == 0)
            started++;
        else
            break;
    }
    CHECK_INT(started, 3);
    int rc = 0;
    for (int i = 0; i < 60 && !rc; i++) {
        char name[64];
        snprintf(name, sizeof name, "conc/n%03d", (i * 37) % 60);
        rc = add(m, name, "1.0.0", "A", "d");
    }
    CHECK_INT(rc, 0);
    for (int i = 0; i < started; i++) {
        pthread_join(rs[i].th, NULL);
        CHECK_INT(rs[i].bad, 0);
    }
    CHECK_INT(count(m, "conc", true, NULL), 61);
    wh_meta_close(m);
}

/* A database restored in place over the open one (same inode, another
 * history, the same last change number) is searched as what it now holds. */
static void test_restore_in_place(void)
{
    char live[256], backup[256];
    wh_meta *m = fresh_meta("restore-live", live, sizeof live);
    wh_meta *b = fresh_meta("restore-backup", backup, sizeof backup);
    if (!m || !b) {
        wh_meta_close(m);
        wh_meta_close(b);
        return;
    }
    CHECK_INT(add(m, "live/one", "1.0.0", "A", "d"), 0);
    CHECK_INT(add(m, "live/two", "1.0.0", "A", "d"), 0);
    CHECK_INT(add(b, "backup/x", "1.0.0", "A", "d"), 0);
    CHECK_INT(add(b, "backup/y", "1.0.0", "A", "d"), 0);
    wh_meta_close(b);
    CHECK_INT(count(m, "live", true, NULL), 2);
    sqlite3 *src = NULL, *dst = NULL;
    CHECK_INT(sqlite3_open(backup, &src), SQLITE_OK);
    CHECK_INT(sqlite3_open(live, &dst), SQLITE_OK);
    sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
    CHECK(bk != NULL);
    if (bk) {
        CHECK_INT(sqlite3_backup_step(bk, -1), SQLITE_DONE);
        CHECK_INT(sqlite3_backup_finish(bk), SQLITE_OK);
    }
    sqlite3_close(src);
    sqlite3_close(dst);
    CHECK_INT(count(m, "live", true, NULL), 0);
    CHECK_INT(count(m, "backup", true, NULL), 2);
    wh_meta_close(m);
}

/* A term long enough to take the memmem path finds what the short path
 * finds, also in a field of one repeated byte (the quadratic case). */
static void test_long_terms(void)
{
    char path[256];
    wh_meta *m = fresh_meta("long", path, sizeof path);
    if (!m)
        return;
    char desc[3000], term[200];
    memset(desc, 'a', sizeof desc - 1);
    desc[sizeof desc - 1] = '\0';
    memcpy(desc + 2000, "needle-in-the-long-description-of-many-a", 40);
    CHECK_INT(add(m, "l/one", "1.0.0", "A", desc), 0);
    CHECK_INT(add(m, "l/two", "1.0.0", "A", "short"), 0);
    snprintf(term, sizeof term, "needle-in-the-long-description-of-many-a");
    CHECK_INT(count(m, term, false, NULL), 1);
    memset(term, 'a', 100);
    term[100] = '\0';
    CHECK_INT(count(m, term, false, NULL), 1);
    memcpy(term + 98, "ab", 2);
    CHECK_INT(count(m, term, false, NULL), 0);
    wh_meta_close(m);
}

int main(void)
{
    if (tmp_root_make("/tmp/wh-test-search") != 0)
        return 1;
    RUN(test_empty);
    RUN(test_order_after_inserts);
    RUN(test_yank_and_two_pools);
    RUN(test_other_process);
    RUN(test_rebuild_on_other_edits);
    RUN(test_counts_at_scale);
    RUN(test_ranges_shared_versions);
    RUN(test_name_patterns);
    RUN(test_unicode_folding);
    RUN(test_concurrent_search_and_publish);
    RUN(test_restore_in_place);
    RUN(test_long_terms);
    tmp_root_remove();
    return unit_done("search");
}
