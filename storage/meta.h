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

/* Deletes tokens that expired before `before` and whose description
 * starts with `prefix` (the short-lived ones minted for OCI logins, which
 * would otherwise pile up, one per login); returns how many. */
int wh_meta_token_purge(wh_meta *m, int64_t before, const char *prefix, wh_err *err);

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


/* ---- the OCI view (meta_oci.c; docs/oci.md) ----
 *
 * Repositories are bindle names; digests are 64 lowercase hex (sha256).
 * Manifests are kept as their exact bytes.  A bindle appears as repository
 * NAME, tag VERSION (schema/oci.h maps '+' to '_'): the tag list and the
 * catalog merge OCI tags with the versions of bindles that are not yanked.
 */

/* A manifest as stored.  Owned by the caller: wh_oci_manifest_rec_clear. */
typedef struct wh_oci_manifest_rec {
    char sha256[65];
    char *media_type;
    char *artifact_type;       /* NULL when none */
    char *annotations;         /* JSON object text, NULL when none */
    char *body;                /* the manifest's bytes, NUL-terminated */
    size_t len;
    char *bindle_version;      /* the bindle it is the view of, NULL when none */
} wh_oci_manifest_rec;

void wh_oci_manifest_rec_clear(wh_oci_manifest_rec *r);
void wh_oci_manifest_recs_free(wh_oci_manifest_rec *v, size_t n);

/* What wh_meta_oci_manifest_put stores. */
typedef struct wh_oci_manifest_put {
    const char *sha256;
    const char *media_type;
    const char *artifact_type;     /* NULL: none */
    const char *subject;           /* sha256 of the subject, NULL: none */
    const char *annotations;       /* JSON object text, NULL: none */
    const char *body;
    size_t len;
    const char *const *blobs;      /* referenced blobs (config, layers) */
    const uint64_t *blob_sizes;    /* their sizes as the manifest says; NULL: unchecked */
    size_t n_blobs;
    const char *const *manifests;  /* referenced manifests (an index's) */
    size_t n_manifests;
    const char *tag;               /* point this tag at it; NULL: by digest */
    const char *bindle_version;    /* it is the view of bindle repo/this */
    /* With `invoice` set, the bindle is created in the same transaction
     * (as wh_meta_invoice_create, without namespace keys to bind): the
     * manifest pushed with a SemVer tag becomes a bindle, or neither is
     * stored. */
    const wh_invoice *invoice;
    const char *toml, *json;
    size_t toml_len, json_len;
    /* With `invoice`: only while the name has no version and no bound key
     * (WH_EFORBIDDEN otherwise), checked inside the transaction. */
    bool new_name_only;
} wh_oci_manifest_put;

/*
 * Stores a manifest under `repo`, in one transaction: checks that every
 * referenced blob is stored (WH_ENOTFOUND naming the first that is not: the
 * OCI error MANIFEST_BLOB_UNKNOWN) with the size the manifest gives it
 * (WH_EINVAL otherwise) and every referenced manifest exists in
 * repo (WH_ENOTFOUND likewise), records the references, moves the tag, and
 * creates the invoice when one is given (WH_EEXIST when NAME/VERSION is
 * taken).  Storing a manifest already stored is a no-op apart from the tag.
 */
int wh_meta_oci_manifest_put(wh_meta *m, const char *repo, const wh_oci_manifest_put *p,
                             wh_err *err);

/* A manifest of repo by digest: 1 with *out filled, 0 when there is none. */
int wh_meta_oci_manifest_get(wh_meta *m, const char *repo, const char *sha256,
                             wh_oci_manifest_rec *out, wh_err *err);

/* The manifest a tag points at: 1 with sha256 filled, 0 when the tag does
 * not exist (bindle versions are not tags here: see wh_meta_oci_bindle_view). */
int wh_meta_oci_tag_get(wh_meta *m, const char *repo, const char *tag, char sha256[65],
                        wh_err *err);

/* The recorded OCI view of bindle repo/version: 1 with sha256, 0 when none
 * was recorded yet. */
int wh_meta_oci_bindle_view(wh_meta *m, const char *repo, const char *version,
                            char sha256[65], wh_err *err);

/* Deletes a manifest of repo with its references and every tag pointing at
 * it: 1 when deleted, 0 when there was none.  Blobs stay (the collector's). */
int wh_meta_oci_manifest_delete(wh_meta *m, const char *repo, const char *sha256,
                                wh_err *err);

/* Deletes a tag (not the manifest): 1 when deleted, 0 when there was none. */
int wh_meta_oci_tag_delete(wh_meta *m, const char *repo, const char *tag, wh_err *err);

/*
 * Tags of repo in lexical (bytewise) order after `last` (NULL: from the
 * start), at most `limit`: OCI tags and the versions of unyanked bindles
 * named repo, as tags.  *tags is the caller's (wh_strings_free).  *more is
 * true when further tags follow.
 */
int wh_meta_oci_tags(wh_meta *m, const char *repo, const char *last, size_t limit,
                     char ***tags, size_t *n, bool *more, wh_err *err);

/* Repositories in bytewise order after `last`, at most `limit`: names with
 * OCI tags or manifests and names of unyanked bindles.  Names that are not
 * valid repository names are the caller's to drop. */
int wh_meta_oci_repos(wh_meta *m, const char *last, size_t limit, char ***names,
                      size_t *n, bool *more, wh_err *err);

void wh_strings_free(char **v, size_t n);

/* A manifest whose subject is the given one (referrers API). */
typedef struct wh_oci_referrer {
    char sha256[65];
    char *media_type;
    char *artifact_type;       /* NULL when none */
    char *annotations;         /* JSON object text, NULL when none */
    uint64_t size;
} wh_oci_referrer;

void wh_oci_referrers_free(wh_oci_referrer *v, size_t n);

/* The manifests of repo whose subject is `subject`, ordered by digest;
 * only those of artifact_type when it is not NULL. */
int wh_meta_oci_referrers(wh_meta *m, const char *repo, const char *subject,
                          const char *artifact_type, wh_oci_referrer **out, size_t *n,
                          wh_err *err);

/* Records that a blob is stored and belongs to repo (an upload or a mount
 * finished), in one transaction with its parcel row. */
int wh_meta_oci_blob_link(wh_meta *m, const char *repo, const char *sha256,
                          uint64_t size, wh_err *err);

/* 1 when blob sha256 may be read through repo: it is stored and it was
 * uploaded or mounted there, or a manifest of repo or a bindle named repo
 * references it; 0 when not (the caller answers BLOB_UNKNOWN). */
int wh_meta_oci_blob_visible(wh_meta *m, const char *repo, const char *sha256,
                             wh_err *err);

/* Blob uploads in progress: which repository each belongs to. */
int wh_meta_oci_upload_add(wh_meta *m, const char *id, const char *repo, wh_err *err);
/* 1 with *repo (malloc'd) when the upload exists, 0 when not. */
int wh_meta_oci_upload_get(wh_meta *m, const char *id, char **repo, wh_err *err);
int wh_meta_oci_upload_remove(wh_meta *m, const char *id, wh_err *err);
/* Forgets uploads started before cutoff whose bytes are gone (`alive`
 * says false for the id: the store expired the session by its last write,
 * so an upload still being written keeps its record); returns how many. */
int wh_meta_oci_upload_expire(wh_meta *m, int64_t cutoff,
                              bool (*alive)(const char *id, void *ctx), void *ctx,
                              wh_err *err);

/*
 * Garbage collection of OCI uploads that nothing references.
 * wh_meta_oci_gc_candidates lists up to `limit` blobs whose every oci_blobs
 * link is older than `cutoff` and that no manifest, invoice or AOT build
 * references (*out: n entries of 65 bytes, the caller's to free()).
 * wh_meta_oci_gc_drop checks the same again inside a write transaction and,
 * when it still holds, deletes the links and the parcel row: 1 when
 * dropped (the caller then removes the bytes), 0 when the blob is in use
 * or young again.
 */
int wh_meta_oci_gc_candidates(wh_meta *m, int64_t cutoff, size_t limit,
                              char (**out)[65], size_t *n, wh_err *err);
int wh_meta_oci_gc_drop(wh_meta *m, const char *sha256, int64_t cutoff, wh_err *err);

/* Number of search terms accepted in one query. */
#define WH_META_MAX_TERMS 16

#endif
