/*
 * search_index.c - the in-memory search index behind /v1/_q (see
 * search_index.h for why it exists and what it matches): building it,
 * keeping it in step with the database, and sharing it between the
 * connections to one file.  The layout is in search_index_internal.h,
 * folding in search_fold.c, running a search in search_match.c.
 *
 * Versions are interned (a table of distinct versions, each with its sort
 * key), so a SemVer range is evaluated once per version, not per invoice,
 * and the order compares a version's key without parsing it.
 *
 * Freshness.  Every search first reads the newest sequence number of the
 * change log (one B-tree descent); when the index is behind, the search
 * takes the write lock and applies the changes since (or rebuilds), in one
 * read transaction so that the changes and the rows agree.
 */
#include "search_index_internal.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "meta_sqlite_internal.h"

typedef struct wh_search_index wh_search_index;

struct wh_search_index {
    wh_search_index *next;
    bool shared;            /* false for a database without a file */
    dev_t dev;
    ino_t ino;
    int refs;               /* connections bound to it */
    pthread_rwlock_t lock;
    bool built;
    int64_t seq;            /* the last change applied */
    unsigned char epoch[16]; /* search_epoch of the database it was built from */
    /* A rebuild that failed (over the text cap, out of memory) is not
     * tried again by every search: for a while the failure is answered. */
    int64_t failed_seq;
    time_t failed_at;
    wh_err failed;
    wh_search_data d;
};

/* What ties one connection to its index; freed when the connection closes
 * (the destructor of a function registered on it). */
typedef struct ix_binding {
    struct ix_binding *next;
    sqlite3 *db;
    wh_search_index *ix;
} ix_binding;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static wh_search_index *g_indexes;
static ix_binding *g_bindings;

static void data_free(wh_search_data *d)
{
    free(d->ids);
    free(d->vid);
    free(d->yanked);
    free(d->name_off);
    free(d->hay_off);
    free(d->order);
    free(d->names);
    free(d->hay);
    free(d->vers);
    free(d->vbuf);
    free(d->vhash);
    memset(d, 0, sizeof *d);
}

/* ---- growing buffers ---------------------------------------------------- */

/* Room for `more` bytes in a text buffer whose offsets are 32-bit. */
static int text_reserve(char **p, size_t *len, size_t *cap, size_t more, wh_err *err)
{
    if (more > UINT32_MAX - *len)
        return wh_err_set(err, WH_ETOOBIG, "the search index is over 4 GiB of text");
    if (!wh_search_reserve((void **)p, cap, *len + more, 1))
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    return 0;
}

static int slots_reserve(wh_search_data *d, size_t need, wh_err *err)
{
    if (need <= d->cap)
        return 0;
    size_t cap = d->cap ? d->cap : 256;
    while (cap < need)
        cap *= 2;
    if (cap > UINT32_MAX - 1)
        return wh_err_set(err, WH_ETOOBIG, "too many invoices for the search index");
    size_t old_words = (d->cap + 63) / 64, words = (cap + 63) / 64;
    int64_t *ids = realloc(d->ids, cap * sizeof *ids);
    if (ids)
        d->ids = ids;
    uint32_t *vid = realloc(d->vid, cap * sizeof *vid);
    if (vid)
        d->vid = vid;
    uint64_t *yanked = realloc(d->yanked, words * sizeof *yanked);
    if (yanked) {
        d->yanked = yanked;
        memset(yanked + old_words, 0, (words - old_words) * sizeof *yanked);
    }
    uint32_t *noff = realloc(d->name_off, (cap + 1) * sizeof *noff);
    if (noff)
        d->name_off = noff;
    uint32_t *hoff = realloc(d->hay_off, (cap + 1) * sizeof *hoff);
    if (hoff)
        d->hay_off = hoff;
    if (!ids || !vid || !yanked || !noff || !hoff)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    if (d->cap == 0)
        d->name_off[0] = d->hay_off[0] = 0;
    d->cap = cap;
    return 0;
}

/* ---- versions ----------------------------------------------------------- */

static uint32_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static const unsigned char *ver_key(const wh_search_data *d, uint32_t v)
{
    return (const unsigned char *)d->vbuf + d->vers[v].off + d->vers[v].len + 1;
}

static int vhash_resize(wh_search_data *d, wh_err *err)
{
    size_t cap = d->vhash_cap ? d->vhash_cap * 2 : 1024;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t v = 0; v < d->nv; v++) {
        size_t i = hash_bytes(wh_search_ver_text(d, (uint32_t)v), d->vers[v].len) & (cap - 1);
        while (t[i])
            i = (i + 1) & (cap - 1);
        t[i] = (uint32_t)v + 1;
    }
    free(d->vhash);
    d->vhash = t;
    d->vhash_cap = cap;
    return 0;
}

/* The number of version `text` (with its sort key), added when new. */
static int ver_intern(wh_search_data *d, const char *text, size_t len, const void *key,
                      size_t key_len, uint32_t *out, wh_err *err)
{
    if (len > UINT16_MAX || key_len > UINT16_MAX)
        return wh_err_set(err, WH_EINVAL, "a stored version of %zu bytes is too long", len);
    if (d->nv * 2 >= d->vhash_cap) {
        int rc = vhash_resize(d, err);
        if (rc)
            return rc;
    }
    size_t i = hash_bytes(text, len) & (d->vhash_cap - 1);
    for (; d->vhash[i]; i = (i + 1) & (d->vhash_cap - 1)) {
        uint32_t v = d->vhash[i] - 1;
        if (d->vers[v].len == len && memcmp(wh_search_ver_text(d, v), text, len) == 0) {
            *out = v;
            return 0;
        }
    }
    int rc = text_reserve(&d->vbuf, &d->vbuf_len, &d->vbuf_cap, len + 1 + key_len, err);
    if (rc)
        return rc;
    if (!wh_search_reserve((void **)&d->vers, &d->vcap, d->nv + 1, sizeof *d->vers))
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    wh_search_version *v = &d->vers[d->nv];
    v->off = (uint32_t)d->vbuf_len;
    v->len = (uint16_t)len;
    v->key_len = (uint16_t)key_len;
    memcpy(d->vbuf + d->vbuf_len, text, len);
    d->vbuf[d->vbuf_len + len] = '\0';
    if (key_len)
        memcpy(d->vbuf + d->vbuf_len + len + 1, key, key_len);
    d->vbuf_len += len + 1 + key_len;
    d->vhash[i] = (uint32_t)d->nv + 1;
    *out = (uint32_t)d->nv++;
    return 0;
}

/* ---- slots -------------------------------------------------------------- */

/* The columns every loading query selects, in this order. */
#define ROW_COLUMNS "id, name, version, sort_key, authors, description, yanked"

static int fold_field(wh_search_folder *f, wh_search_sink *s, sqlite3_stmt *st, int col,
                      wh_err *err)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    int rc = wh_search_fold_into(f, t ? t : "", t ? n : 0, s, err);
    if (!rc && !wh_search_reserve((void **)&s->p, &s->cap, s->len + 1, 1))
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
    if (!rc)
        s->p[s->len++] = '\0';
    return rc;
}

/* Appends the invoice of the current row (ROW_COLUMNS) as a new slot. */
static int slot_append(wh_search_data *d, wh_search_folder *f, sqlite3_stmt *st, wh_err *err)
{
    int rc = slots_reserve(d, d->n + 1, err);
    if (rc)
        return rc;
    size_t s = d->n;
    const char *name = (const char *)sqlite3_column_text(st, 1);
    size_t name_len = name ? (size_t)sqlite3_column_bytes(st, 1) : 0;
    const char *ver = (const char *)sqlite3_column_text(st, 2);
    size_t ver_len = ver ? (size_t)sqlite3_column_bytes(st, 2) : 0;
    const void *key = sqlite3_column_blob(st, 3);
    size_t key_len = key ? (size_t)sqlite3_column_bytes(st, 3) : 0;
    rc = ver_intern(d, ver ? ver : "", ver_len, key, key_len, &d->vid[s], err);
    if (rc)
        return rc;

    rc = text_reserve(&d->names, &d->names_len, &d->names_cap, name_len + 1, err);
    if (rc)
        return rc;
    if (name_len)
        memcpy(d->names + d->names_len, name, name_len);
    d->names[d->names_len + name_len] = '\0';

    /* The folded fields go to a sink that is the hay buffer itself. */
    wh_search_sink sink = {.p = d->hay, .len = d->hay_len, .cap = d->hay_cap};
    for (int col = 1; col <= 5 && !rc; col++) {
        if (col != 3)
            rc = fold_field(f, &sink, st, col, err);
    }
    d->hay = sink.p;
    d->hay_cap = sink.cap;
    if (!rc && sink.len > UINT32_MAX)
        rc = wh_err_set(err, WH_ETOOBIG, "the search index is over 4 GiB of text");
    if (rc)
        return rc;

    d->ids[s] = sqlite3_column_int64(st, 0);
    d->names_len += name_len + 1;
    d->hay_len = sink.len;
    d->name_off[s + 1] = (uint32_t)d->names_len;
    d->hay_off[s + 1] = (uint32_t)d->hay_len;
    if (sqlite3_column_int(st, 6))
        d->yanked[s / 64] |= UINT64_C(1) << (s % 64);
    else
        d->yanked[s / 64] &= ~(UINT64_C(1) << (s % 64));
    d->n++;
    return 0;
}

/* Result order, as SQLite's ORDER BY name, sort_key, version (BINARY). */
static int slot_cmp(const void *pa, const void *pb, void *ctx)
{
    const wh_search_data *d = ctx;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    int c = wh_search_cmp_bytes(d->names + d->name_off[a], d->name_off[a + 1] - d->name_off[a] - 1,
                                d->names + d->name_off[b], d->name_off[b + 1] - d->name_off[b] - 1);
    uint32_t x = d->vid[a], y = d->vid[b];
    if (c || x == y)
        return c;
    c = wh_search_cmp_bytes(ver_key(d, x), d->vers[x].key_len, ver_key(d, y), d->vers[y].key_len);
    if (c)
        return c;
    return wh_search_cmp_bytes(wh_search_ver_text(d, x), d->vers[x].len,
                               wh_search_ver_text(d, y), d->vers[y].len);
}

/*
 * Puts slots [from, n) into `order`, which holds the slots before them.
 * The new slots are sorted, then each is placed by binary search: a publish
 * costs a few comparisons and one copy of `order`, not a sort.
 */
static int order_merge(wh_search_data *d, size_t from, wh_err *err)
{
    size_t k = d->n - from;
    uint32_t *order = malloc((d->n ? d->n : 1) * sizeof *order);
    uint32_t *add = malloc((k ? k : 1) * sizeof *add);
    if (!order || !add) {
        free(order);
        free(add);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < k; j++)
        add[j] = (uint32_t)(from + j);
    qsort_r(add, k, sizeof *add, slot_cmp, d);
    size_t i = 0, o = 0;
    for (size_t j = 0; j < k; j++) {
        size_t lo = i, hi = from;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (slot_cmp(&d->order[mid], &add[j], d) <= 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > i)
            memcpy(order + o, d->order + i, (lo - i) * sizeof *order);
        o += lo - i;
        i = lo;
        order[o++] = add[j];
    }
    if (from > i)
        memcpy(order + o, d->order + i, (from - i) * sizeof *order);
    free(add);
    free(d->order);
    d->order = order;
    return 0;
}

/* ---- loading from the database ------------------------------------------ */

static int run_sql(sqlite3 *db, const char *sql, wh_err *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return wh_err_set(err, WH_EIO, "database: %s: %s", sql, sqlite3_errmsg(db));
    return 0;
}

/* Steps a one-row, one-column integer query with ?1 = arg. */
static int query_int(sqlite3 *db, const char *sql, int64_t arg, int64_t *out, wh_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = wh_meta_db_err(err, db, "search index");
    } else {
        sqlite3_bind_int64(st, 1, arg);
        if (sqlite3_step(st) == SQLITE_ROW)
            *out = sqlite3_column_int64(st, 0);
        else
            rc = wh_meta_db_err(err, db, "search index");
    }
    sqlite3_finalize(st);
    return rc;
}

#define SQL_TOP_SEQ "SELECT coalesce(max(seq), 0) FROM search_changes"

/* Appends every row of `sql` (ROW_COLUMNS, ascending id, ids above the
 * last slot's) as a slot; for an id already in a slot, only its yanked bit
 * is taken.  *rebuild is set when a row cannot be applied in place. */
static int load_rows(wh_search_data *d, sqlite3 *db, const char *sql, int64_t a1, int64_t a2,
                     bool *rebuild, wh_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return wh_meta_db_err(err, db, "search index");
    sqlite3_bind_int64(st, 1, a1);
    sqlite3_bind_int64(st, 2, a2);
    wh_search_folder f = {.db = db};
    int rc = 0, r = SQLITE_DONE;
    while (!rc && !*rebuild && (r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        size_t lo = 0, hi = d->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (d->ids[mid] < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < d->n && d->ids[lo] == id) {
            if (sqlite3_column_int(st, 6))
                d->yanked[lo / 64] |= UINT64_C(1) << (lo % 64);
            else
                d->yanked[lo / 64] &= ~(UINT64_C(1) << (lo % 64));
        } else if (lo == d->n) {
            rc = slot_append(d, &f, st, err);
        } else {
            *rebuild = true;
        }
    }
    if (!rc && !*rebuild && r != SQLITE_DONE)
        rc = wh_meta_db_err(err, db, "search index");
    wh_search_folder_done(&f);
    sqlite3_finalize(st);
    return rc;
}

/* Loads every invoice into a new data set and swaps it in. */
static int rebuild(wh_search_index *ix, sqlite3 *db, wh_err *err)
{
    wh_search_data nd = {0};
    int64_t top = 0;
    bool again = false;
    int rc = run_sql(db, "BEGIN", err);
    if (rc)
        return rc;
    rc = query_int(db, SQL_TOP_SEQ, 0, &top, err);
    if (!rc)
        rc = load_rows(&nd, db, "SELECT " ROW_COLUMNS " FROM invoices ORDER BY id", 0, 0,
                       &again, err);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (!rc)
        rc = order_merge(&nd, 0, err);
    if (rc) {
        data_free(&nd);
        return rc;
    }
    data_free(&ix->d);
    ix->d = nd;
    ix->seq = top;
    ix->built = true;
    return 0;
}

/* Applies the changes logged since ix->seq, or rebuilds when it must. */
static int sync_index(wh_search_index *ix, sqlite3 *db, wh_err *err)
{
    if (!ix->built)
        return rebuild(ix, db, err);
    int64_t top = 0, full = 0;
    bool again = false;
    size_t from = ix->d.n;
    int rc = run_sql(db, "BEGIN", err);
    if (rc)
        return rc;
    rc = query_int(db, SQL_TOP_SEQ, 0, &top, err);
    if (!rc && top > ix->seq)
        rc = query_int(db, "SELECT coalesce(max(rebuild), 0) FROM search_changes WHERE seq > ?1",
                       ix->seq, &full, err);
    if (!rc && top > ix->seq && !full)
        rc = load_rows(&ix->d, db,
                       "SELECT " ROW_COLUMNS " FROM invoices WHERE id IN (SELECT invoice_id "
                       "FROM search_changes WHERE seq > ?1 AND seq <= ?2) ORDER BY id",
                       ix->seq, top, &again, err);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (!rc && (top < ix->seq || full || again)) {
        /* Slots appended before the rebuild was found necessary go with
         * the old data. */
        rc = rebuild(ix, db, err);
        if (!rc)
            return 0;
    }
    if (!rc)
        rc = order_merge(&ix->d, from, err);
    if (rc) {
        /* Half-applied: start over on the next search. */
        data_free(&ix->d);
        ix->built = false;
        return rc;
    }
    ix->seq = top;
    return 0;
}

/* ---- binding connections to indexes ------------------------------------- */

static void binding_free(void *p)
{
    ix_binding *b = p;
    pthread_mutex_lock(&g_lock);
    for (ix_binding **pp = &g_bindings; *pp; pp = &(*pp)->next) {
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    }
    wh_search_index *ix = b->ix;
    if (--ix->refs == 0) {
        for (wh_search_index **pp = &g_indexes; *pp; pp = &(*pp)->next) {
            if (*pp == ix) {
                *pp = ix->next;
                break;
            }
        }
        pthread_rwlock_destroy(&ix->lock);
        data_free(&ix->d);
        free(ix);
    }
    pthread_mutex_unlock(&g_lock);
    free(b);
}

/* Exists for its destructor: the connection's binding goes with it. */
static void fn_binding(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_null(ctx);
}

int wh_search_index_attach(sqlite3 *db, wh_err *err)
{
    const char *path = sqlite3_db_filename(db, "main");
    struct stat sb;
    bool shared = path && *path && stat(path, &sb) == 0;
    ix_binding *b = calloc(1, sizeof *b);
    if (!b)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    b->db = db;
    pthread_mutex_lock(&g_lock);
    wh_search_index *ix = g_indexes;
    while (ix && !(shared && ix->shared && ix->dev == sb.st_dev && ix->ino == sb.st_ino))
        ix = ix->next;
    if (!ix && (ix = calloc(1, sizeof *ix)) != NULL) {
        pthread_rwlockattr_t a;
        pthread_rwlockattr_init(&a);
        /* Searches are short and constant; without this a stream of them
         * could keep the catching-up writer out for good. */
        pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&ix->lock, &a);
        pthread_rwlockattr_destroy(&a);
        ix->shared = shared;
        if (shared) {
            ix->dev = sb.st_dev;
            ix->ino = sb.st_ino;
        }
        ix->next = g_indexes;
        g_indexes = ix;
    }
    if (ix) {
        ix->refs++;
        b->ix = ix;
        b->next = g_bindings;
        g_bindings = b;
    }
    pthread_mutex_unlock(&g_lock);
    if (!ix) {
        free(b);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    /* On failure SQLite calls the destructor itself. */
    if (sqlite3_create_function_v2(db, "wh_search_index", 0, SQLITE_UTF8, b, fn_binding, NULL,
                                   NULL, binding_free) != SQLITE_OK)
        return wh_err_set(err, WH_EIO, "database: registering the search index: %s",
                          sqlite3_errmsg(db));
    return 0;
}

static wh_search_index *index_of(sqlite3 *db)
{
    pthread_mutex_lock(&g_lock);
    ix_binding *b = g_bindings;
    while (b && b->db != db)
        b = b->next;
    pthread_mutex_unlock(&g_lock);
    return b ? b->ix : NULL;
}

/* The last change number and the database's epoch (migration 008). */
static int read_top(sqlite3 *db, int64_t *top, unsigned char epoch[16], wh_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    memset(epoch, 0, 16);
    if (sqlite3_prepare_v2(db,
                           "SELECT (" SQL_TOP_SEQ "), (SELECT token FROM search_epoch LIMIT 1)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = wh_meta_db_err(err, db, "search index");
    } else if (sqlite3_step(st) == SQLITE_ROW) {
        *top = sqlite3_column_int64(st, 0);
        const void *t = sqlite3_column_blob(st, 1);
        int tl = sqlite3_column_bytes(st, 1);
        if (t)
            memcpy(epoch, t, tl < 16 ? (size_t)tl : 16);
    } else {
        rc = wh_meta_db_err(err, db, "search index");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Seconds a failed rebuild is answered before it is tried again. */
#define REBUILD_BACKOFF 30

int wh_search_index_run(sqlite3 *db, const wh_search_spec *spec, uint64_t *total,
                        int64_t *ids, size_t *n, wh_err *err)
{
    *total = 0;
    *n = 0;
    wh_search_index *ix = index_of(db);
    if (!ix)
        return wh_err_set(err, WH_EIO, "search: the connection has no search index");
    int64_t top = 0;
    unsigned char epoch[16];
    int rc = read_top(db, &top, epoch, err);
    if (rc)
        return rc;
    pthread_rwlock_rdlock(&ix->lock);
    if (ix->built && ix->seq == top && memcmp(ix->epoch, epoch, 16) == 0) {
        rc = wh_search_match(&ix->d, spec, total, ids, n, err);
        pthread_rwlock_unlock(&ix->lock);
        return rc;
    }
    pthread_rwlock_unlock(&ix->lock);
    pthread_rwlock_wrlock(&ix->lock);
    time_t now = time(NULL);
    if (!ix->built && ix->failed_at && ix->failed_seq == top &&
        now - ix->failed_at < REBUILD_BACKOFF) {
        rc = ix->failed.code;
        *err = ix->failed;
        pthread_rwlock_unlock(&ix->lock);
        return rc;
    }
    if (memcmp(ix->epoch, epoch, 16) != 0)
        ix->built = false;   /* another database behind the same file */
    if (!ix->built || ix->seq != top)
        rc = sync_index(ix, db, err);
    /* A busy database is a moment's matter, not a failure to remember. */
    if (rc && !ix->built && rc != WH_EBUSY) {
        ix->failed_seq = top;
        ix->failed_at = now;
        ix->failed = *err;
    }
    if (!rc) {
        memcpy(ix->epoch, epoch, 16);
        ix->failed_at = 0;
        rc = wh_search_match(&ix->d, spec, total, ids, n, err);
    }
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}
