/*
 * invoice_cache.c - the in-memory invoice cache (see invoice_cache.h).
 *
 * A chained hash table under one read-write lock: lookups share the lock,
 * inserts and forgets take it alone, and nothing slow (database, parsing)
 * ever runs under it.  Eviction is by a rotating bucket cursor, which is
 * crude but O(1) and good enough while the working set fits: the size is
 * configurable, and a miss costs one indexed read and one parse.
 */
#include "invoice_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct wh_invoice_cache {
    pthread_rwlock_t lock;
    wh_cached_invoice **buckets;
    size_t nbuckets;          /* a power of two */
    size_t count, max;
    size_t evict_cursor;
    atomic_ulong generation;  /* bumped by every forget */
};

int wh_invoice_cache_new(size_t max_entries, wh_invoice_cache **out, wh_err *err)
{
    *out = NULL;
    if (max_entries < 1)
        max_entries = 1;
    wh_invoice_cache *c = calloc(1, sizeof *c);
    if (!c)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    c->nbuckets = 16;
    while (c->nbuckets < max_entries && c->nbuckets < ((size_t)1 << 24))
        c->nbuckets <<= 1;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    c->max = max_entries;
    pthread_rwlock_init(&c->lock, NULL);
    *out = c;
    return 0;
}

static void entry_free(wh_cached_invoice *e)
{
    if (e->resp_toml)
        MHD_destroy_response(e->resp_toml);
    if (e->resp_json)
        MHD_destroy_response(e->resp_json);
    wh_invoice_free(e->inv);
    free(e->key);
    free(e);
}

void wh_cached_invoice_release(wh_cached_invoice *e)
{
    if (e && atomic_fetch_sub(&e->refs, 1) == 1)
        entry_free(e);
}

void wh_invoice_cache_free(wh_invoice_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        wh_cached_invoice *e = c->buckets[i];
        while (e) {
            wh_cached_invoice *next = e->next;
            wh_cached_invoice_release(e);
            e = next;
        }
    }
    free(c->buckets);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

/* FNV-1a over "name\nversion" (neither may contain a newline). */
static unsigned long key_hash(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return (unsigned long)h;
}

static int make_key(const char *name, const char *version, char **key, size_t *len)
{
    size_t nl = strlen(name), vl = strlen(version);
    *key = malloc(nl + vl + 2);
    if (!*key)
        return -1;
    memcpy(*key, name, nl);
    (*key)[nl] = '\n';
    memcpy(*key + nl + 1, version, vl + 1);
    *len = nl + vl + 1;
    return 0;
}

static wh_cached_invoice *find_locked(wh_invoice_cache *c, const char *key, size_t len,
                                      unsigned long h)
{
    for (wh_cached_invoice *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0)
            return e;
    return NULL;
}

static struct MHD_Response *doc_response(char **buf, size_t len, const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, *buf, MHD_RESPMEM_MUST_FREE);
    if (!r)
        return NULL;
    *buf = NULL; /* the response owns it now */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept");
    return r;
}

int wh_invoice_parse_stored(const char *json, size_t len, wh_invoice **out, wh_err *err)
{
    wh_invoice_limits lim = wh_invoice_default_limits;
    lim.max_bytes = len + 1;
    lim.max_parcels = SIZE_MAX;
    lim.max_signatures = SIZE_MAX;
    lim.max_groups = SIZE_MAX;
    return wh_invoice_parse_json(json, len, &lim, out, err);
}

/* Builds an entry from the database row; nothing is shared yet. */
static int load(wh_meta *meta, const char *name, const char *version,
                wh_cached_invoice **out, wh_err *err)
{
    wh_invoice_doc *doc = NULL;
    int rc = wh_meta_invoice_get(meta, name, version, &doc, err);
    if (rc)
        return rc;
    wh_cached_invoice *e = calloc(1, sizeof *e);
    if (!e) {
        wh_invoice_doc_free(doc);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    atomic_init(&e->refs, 1);
    e->yanked = doc->yanked;
    rc = wh_invoice_parse_stored(doc->json, doc->json_len, &e->inv, err);
    if (rc) {
        wh_err_prefix(err, "stored invoice %s/%s is unreadable", name, version);
        rc = WH_EIO;
        goto fail;
    }
    e->resp_toml = doc_response(&doc->toml, doc->toml_len, "application/toml");
    e->resp_json = doc_response(&doc->json, doc->json_len, "application/json");
    if (!e->resp_toml || !e->resp_json) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto fail;
    }
    wh_invoice_doc_free(doc);
    *out = e;
    return 0;
fail:
    wh_invoice_doc_free(doc);
    entry_free(e);
    return rc;
}

/* Drops one entry somewhere, to make room; caller holds the write lock. */
static void evict_one_locked(wh_invoice_cache *c)
{
    for (size_t tries = 0; tries < c->nbuckets; tries++) {
        size_t b = c->evict_cursor++ & (c->nbuckets - 1);
        wh_cached_invoice *e = c->buckets[b];
        if (e) {
            c->buckets[b] = e->next;
            c->count--;
            wh_cached_invoice_release(e);
            return;
        }
    }
}

int wh_invoice_cache_get(wh_invoice_cache *c, wh_meta *meta, const char *name,
                         const char *version, wh_cached_invoice **out, wh_err *err)
{
    *out = NULL;
    char *key;
    size_t len;
    if (make_key(name, version, &key, &len) != 0)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    unsigned long h = key_hash(key, len);

    pthread_rwlock_rdlock(&c->lock);
    wh_cached_invoice *e = find_locked(c, key, len, h);
    if (e)
        atomic_fetch_add(&e->refs, 1);
    pthread_rwlock_unlock(&c->lock);
    if (e) {
        free(key);
        *out = e;
        return 0;
    }

    unsigned long gen = atomic_load(&c->generation);
    int rc = load(meta, name, version, &e, err);
    if (rc) {
        free(key);
        return rc;
    }
    e->key = key;
    e->key_len = len;
    e->hash = h;

    pthread_rwlock_wrlock(&c->lock);
    wh_cached_invoice *other = find_locked(c, key, len, h);
    if (other) {
        /* Another thread loaded it meanwhile: use theirs. */
        atomic_fetch_add(&other->refs, 1);
        pthread_rwlock_unlock(&c->lock);
        wh_cached_invoice_release(e);
        *out = other;
        return 0;
    }
    if (atomic_load(&c->generation) == gen) {
        if (c->count >= c->max)
            evict_one_locked(c);
        size_t b = h & (c->nbuckets - 1);
        e->next = c->buckets[b];
        c->buckets[b] = e;
        c->count++;
        atomic_fetch_add(&e->refs, 1); /* the table's reference */
    }
    pthread_rwlock_unlock(&c->lock);
    *out = e;
    return 0;
}

void wh_invoice_cache_forget(wh_invoice_cache *c, const char *name, const char *version)
{
    char *key;
    size_t len;
    if (make_key(name, version, &key, &len) != 0)
        return;
    unsigned long h = key_hash(key, len);
    pthread_rwlock_wrlock(&c->lock);
    atomic_fetch_add(&c->generation, 1);
    wh_cached_invoice **pp = &c->buckets[h & (c->nbuckets - 1)];
    while (*pp) {
        wh_cached_invoice *e = *pp;
        if (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0) {
            *pp = e->next;
            c->count--;
            wh_cached_invoice_release(e);
            break;
        }
        pp = &e->next;
    }
    pthread_rwlock_unlock(&c->lock);
    free(key);
}
