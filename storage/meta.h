/*
 * meta.h - the metadata store: which invoices exist, their canonical
 * documents, which parcels are stored, and search over them.
 *
 * One backend today, SQLite in WAL mode (meta_sqlite.c, its search in
 * meta_search.c); PostgreSQL will slot in behind the same functions, which
 * is why no SQL and no sqlite3 type appears here.  Everything the server
 * serves per request comes out of one prepared statement on a pooled
 * connection; invoices are stored as the canonical TOML and JSON bytes that
 * GET returns, so serving never parses.
 *
 * Thread safety: a wh_meta may be used from any number of threads at once.
 * Ownership: every *out structure is the caller's, released with the _free
 * function named beside it.
 */
#ifndef WH_META_H
#define WH_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema/error.h"
#include "schema/invoice.h"
#include "schema/keys.h"

typedef struct wh_meta wh_meta;

/*
 * Opens (creating when needed) the SQLite database at `path`, applies the
 * schema migrations it lacks, and keeps up to `max_conns` connections.
 * WH_EIO naming the file when it cannot, or when the database comes from a
 * newer wharfd.  Close with wh_meta_close.
 */
int wh_meta_open_sqlite(const char *path, int max_conns, wh_meta **out,
                        wh_err *err);

void wh_meta_close(wh_meta *m);

/* The schema version the database is at after opening. */
int wh_meta_schema_version(wh_meta *m);

/* A stored invoice as served.  Owned by the caller: wh_invoice_doc_free. */
typedef struct wh_invoice_doc {
    int64_t id;
    bool yanked;
    char *toml;        /* canonical TOML, NUL-terminated */
    size_t toml_len;
    char *json;        /* canonical JSON, NUL-terminated */
    size_t json_len;
} wh_invoice_doc;

void wh_invoice_doc_free(wh_invoice_doc *d);

/* A key bound to a bindle name (namespace keys, see docs/security.md). */
typedef struct wh_ns_key {
    char *name;
    unsigned char key[WH_ED25519_PUBLIC_LEN];
    char *label;
    int64_t added_at;
    char *added_by;      /* "first publish" or "operator" */
} wh_ns_key;

/*
 * Records a new invoice (already validated) with its canonical documents and
 * its labels, in one transaction.  WH_EEXIST when NAME/VERSION is taken.
 *
 * With n_bind > 0 the invoice is the first of its name, and `bind` are the
 * creator keys to bind the name to, in the same transaction: if another
 * request bound or published the name meanwhile, nothing is stored and the
 * answer is WH_EEXIST saying so (the caller's verification is then out of
 * date).
 */
int wh_meta_invoice_create(wh_meta *m, const wh_invoice *inv,
                           const char *toml, size_t toml_len,
                           const char *json, size_t json_len,
                           const wh_ns_key *bind, size_t n_bind, wh_err *err);

/* Looks an invoice up.  WH_ENOTFOUND when there is none. */
int wh_meta_invoice_get(wh_meta *m, const char *name, const char *version,
                        wh_invoice_doc **out, wh_err *err);

/*
 * Marks an invoice yanked and replaces its documents by the yanked ones,
 * unless it already is yanked.  Returns 1 when this call yanked it, 0 when it
 * already was (the documents are then left alone: the first yank wins), or a
 * negative code (WH_ENOTFOUND).
 */
int wh_meta_invoice_yank(wh_meta *m, const char *name, const char *version,
                         const char *reason, const char *toml,
                         size_t toml_len, const char *json, size_t json_len,
                         wh_err *err);

/* Records that a parcel is durably stored.  Idempotent. */
int wh_meta_parcel_add(wh_meta *m, const char *sha256, uint64_t size,
                       wh_err *err);

/* 1 when the parcel is stored, 0 when not, or a negative code. */
int wh_meta_parcel_has(wh_meta *m, const char *sha256, wh_err *err);

/*
 * For each parcel of `inv`, sets missing[i] to whether it is not yet stored
 * (missing must hold inv->n_parcels entries) and *n_missing to how many.
 * WH_EINVAL when a stored parcel's size differs from its label's.
 */
int wh_meta_missing(wh_meta *m, const wh_invoice *inv, bool *missing,
                    size_t *n_missing, wh_err *err);

/* A search (the /v1/_q endpoint). */
typedef struct wh_meta_query {
    const char *q;        /* space-separated terms; NULL or "" for all */
    bool strict;          /* terms match the name only, case-sensitively */
    const char *range;    /* npm-style SemVer range, NULL for any */
    bool yanked;          /* include yanked invoices */
    uint64_t offset;
    uint32_t limit;       /* 0: count only */
    /* When n_names > 0, only names that match one of names[i] (a prefix
     * when name_prefix[i], else the whole name): a reader's scopes. */
    const char *const *names;
    const bool *name_prefix;
    size_t n_names;
} wh_meta_query;

/* Name patterns accepted in one query. */
#define WH_META_MAX_NAMES 64

typedef struct wh_meta_hits {
    uint64_t total;       /* matches before offset/limit */
    size_t n;
    wh_invoice_doc **docs;  /* n documents, ordered by name then SemVer precedence */
} wh_meta_hits;

void wh_meta_hits_free(wh_meta_hits *h);

/* WH_EINVAL for a bad range or too many terms (the message says which). */
int wh_meta_search(wh_meta *m, const wh_meta_query *q, wh_meta_hits **out,
                   wh_err *err);

/* ---- trust: tokens and namespace keys (meta_trust.c) ---- */

/* Characters of a token id (lowercase hex). */
#define WH_TOKEN_ID_LEN 16

/* An API token as stored: never the token itself, only its secret's hash. */
typedef struct wh_token_rec {
    char id[WH_TOKEN_ID_LEN + 1];
    unsigned char secret_hash[32];   /* SHA-256 of the secret part */
    char *description;
    char *scopes;                    /* canonical scope text */
    int64_t created_at;
    int64_t expires_at;              /* 0: never */
    int64_t revoked_at;              /* 0: in force */
} wh_token_rec;

/* Stores a new token.  WH_EEXIST when the id is taken. */
int wh_meta_token_add(wh_meta *m, const wh_token_rec *t, wh_err *err);

/* Reads one token into *out (its strings are the caller's:
 * wh_token_rec_clear).  WH_ENOTFOUND when there is no such id. */
int wh_meta_token_get(wh_meta *m, const char *id, wh_token_rec *out,
                      wh_err *err);

/* Every token, oldest first (wh_token_recs_free). */
int wh_meta_token_list(wh_meta *m, wh_token_rec **out, size_t *n,
                       wh_err *err);

/* Revokes a token at `at`: 1 when this call revoked it, 0 when it already
 * was, WH_ENOTFOUND when there is no such id. */
int wh_meta_token_revoke(wh_meta *m, const char *id, int64_t at,
                         wh_err *err);

void wh_token_rec_clear(wh_token_rec *t);
void wh_token_recs_free(wh_token_rec *v, size_t n);

/* The keys bound to `name` (NULL: to every name, ordered by name), oldest
 * first (wh_ns_keys_free). */
int wh_meta_ns_keys(wh_meta *m, const char *name, wh_ns_key **out, size_t *n,
                    wh_err *err);

/* 1 when some version of `name` (yanked or not) is stored, 0 when none,
 * or a negative code. */
int wh_meta_name_published(wh_meta *m, const char *name, wh_err *err);

/* Binds a key to a name.  WH_EEXIST when it already is. */
int wh_meta_ns_key_add(wh_meta *m, const wh_ns_key *k, wh_err *err);

/* Unbinds a key from a name.  WH_ENOTFOUND when it was not bound. */
int wh_meta_ns_key_remove(wh_meta *m, const char *name,
                          const unsigned char key[WH_ED25519_PUBLIC_LEN],
                          wh_err *err);

void wh_ns_keys_free(wh_ns_key *v, size_t n);

/* ---- wasm descriptions (meta_wasm.c) ---- */

/* Records (or replaces) what was learnt of a wasm parcel: `description` is
 * the JSON document served at /v1/_m. */
int wh_meta_wasm_put(wh_meta *m, const char *sha256, bool valid, const char *kind,
                     const char *description, size_t len, wh_err *err);

/* The description of a parcel (malloc'd, NUL-terminated; free).
 * WH_ENOTFOUND when none was recorded. */
int wh_meta_wasm_get(wh_meta *m, const char *sha256, char **description, size_t *len,
                     wh_err *err);

/* ---- AOT builds (meta_aot.c) ---- */

typedef struct wh_aot_rec {
    char source_sha[65];
    char *target, *toolchain;
    char state[16];             /* queued | building | done | failed | declined */
    char artifact_sha[65];      /* "" until done */
    uint64_t artifact_size;
    char *reason, *log, *attestation;   /* NULL when none */
} wh_aot_rec;

void wh_aot_rec_clear(wh_aot_rec *r);
void wh_aot_recs_free(wh_aot_rec *v, size_t n);

/* Queues a build unless one exists for that (source, target, toolchain);
 * with a reason it is recorded as declined instead.  1 when a row was
 * added, 0 when one existed. */
int wh_meta_aot_enqueue(wh_meta *m, const char *source_sha, const char *target,
                        const char *toolchain, const char *declined_reason,
                        wh_err *err);

/* Takes the oldest queued build and marks it building: 1 with *out filled,
 * 0 when none is queued. */
int wh_meta_aot_claim(wh_meta *m, wh_aot_rec *out, wh_err *err);

/* Records the end of a build: state done (with artifact and attestation),
 * failed or declined (with reason and log). */
int wh_meta_aot_finish(wh_meta *m, const wh_aot_rec *r, wh_err *err);

/* Builds cut off by a stop go back to the queue; returns how many. */
int wh_meta_aot_requeue_building(wh_meta *m, wh_err *err);

/* The build of that (source, target, toolchain): 1 with *out, 0 when none. */
int wh_meta_aot_get(wh_meta *m, const char *source_sha, const char *target,
                    const char *toolchain, wh_aot_rec *out, wh_err *err);

/* Every build of a source, for /v1/_m (wh_aot_recs_free). */
int wh_meta_aot_list(wh_meta *m, const char *source_sha, wh_aot_rec **out, size_t *n,
                     wh_err *err);

/* Number of search terms accepted in one query. */
#define WH_META_MAX_TERMS 16

#endif
