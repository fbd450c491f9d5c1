/*
 * oci.h - OCI image manifests and indexes (image-spec 1.1), the names the
 * distribution API uses (repositories, tags, digests), and the two
 * conversions between an OCI manifest and a bindle invoice that make one
 * store readable through both APIs (docs/oci.md).
 *
 * Both conversions are pure: they take documents and give documents, so the
 * server (a manifest pushed with a SemVer tag becomes a bindle; a bindle is
 * served as a manifest) and the client (`wharf mirror`) run the same code
 * and get the same bytes.
 *
 * Ownership: a wh_oci_manifest owns everything reachable from it through its
 * arena (wh_oci_manifest_free).  Buffers handed out by the conversions are
 * malloc'd and the caller's (free()).  Invoices are the caller's
 * (wh_invoice_free).
 *
 * Untrusted input: wh_oci_manifest_parse is the only parser here; it takes
 * at most WH_OCI_MAX_MANIFEST bytes, WH_OCI_MAX_DESCRIPTORS descriptors and
 * WH_OCI_MAX_ANNOTATIONS annotations per map, and checks every digest.
 */
#ifndef WH_OCI_H
#define WH_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "invoice.h"

#define WH_OCI_MAX_MANIFEST (4u << 20)     /* bytes of one manifest or index */
#define WH_OCI_MAX_DESCRIPTORS 10000       /* layers, or manifests of an index */
#define WH_OCI_MAX_ANNOTATIONS 1000        /* entries of one annotations map */
#define WH_OCI_MAX_REPO 255                /* bytes of a repository name */
#define WH_OCI_MAX_TAG 128                 /* bytes of a tag */

/* Media types this module names. */
#define WH_OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define WH_OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define WH_OCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define WH_OCI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define WH_OCI_MT_EMPTY "application/vnd.oci.empty.v1+json"
#define WH_OCI_MT_WASM_CONFIG "application/vnd.wasm.config.v0+json"
#define WH_OCI_MT_WASM_CONFIG_V1 "application/vnd.wasm.config.v1+json"
#define WH_OCI_MT_WASM_LAYER "application/wasm"
#define WH_OCI_MT_WASM_LAYER_V1 "application/vnd.wasm.content.layer.v1+wasm"
/* The config of a bindle shown as an OCI artifact: its invoice. */
#define WH_OCI_MT_INVOICE "application/vnd.wharf.bindle.invoice.v1+toml"
#define WH_OCI_ARTIFACT_BINDLE "application/vnd.wharf.bindle.v1"

/* Annotation keys Wharf writes into invoices made from manifests. */
#define WH_OCI_ANN_MANIFEST "wharf.oci.manifest"          /* "sha256:<hex>" of the manifest */
#define WH_OCI_ANN_MEDIA_TYPE "wharf.oci.mediaType"       /* the manifest's media type */
#define WH_OCI_ANN_ROLE "wharf.oci.role"                  /* on labels: "config" or "layer" */
#define WH_OCI_ANN_SOURCE "wharf.mirror.source"           /* HOST/REPO@sha256:<hex> (mirror) */
#define WH_OCI_ANN_TITLE "org.opencontainers.image.title"
/* The group that holds the config parcel of an invoice made from a
 * manifest: not required, so bindle pulls skip it by default. */
#define WH_OCI_CONFIG_GROUP "oci-config"

/* A content descriptor. */
typedef struct wh_oci_desc {
    char *media_type;
    char sha256[65];           /* lowercase hex of a "sha256:" digest */
    uint64_t size;
    char *artifact_type;       /* NULL when absent */
    wh_kvmap annotations;      /* sorted by key, n == 0 when absent */
    char *platform_os;         /* index entries: platform.os, else NULL */
    char *platform_arch;       /* index entries: platform.architecture, else NULL */
} wh_oci_desc;

/* An image manifest (is_index false) or an image index (is_index true). */
typedef struct wh_oci_manifest {
    wh_arena arena;
    char *media_type;          /* the document's mediaType, else the Content-Type given */
    bool is_index;
    char *artifact_type;       /* NULL when absent */
    bool has_config;           /* image manifests always have one */
    wh_oci_desc config;
    wh_oci_desc *layers;       /* image manifest: n_layers, may be 0 */
    size_t n_layers;
    wh_oci_desc *manifests;    /* index: n_manifests */
    size_t n_manifests;
    bool has_subject;          /* the referrers API keys on subject */
    wh_oci_desc subject;
    wh_kvmap annotations;
} wh_oci_manifest;

/*
 * Parses a manifest or index of `len` bytes.  `content_type` is the
 * Content-Type it came with (NULL when unknown): it must agree with the
 * document's mediaType when both are present, and decides the kind when the
 * document has none.  Accepts OCI image manifests and indexes (schemaVersion
 * 2) and Docker schema 2 manifests and manifest lists; refuses schema 1 and
 * anything else with WH_EINVAL saying why.  Digests other than sha256 are
 * refused (WH_EINVAL, "unsupported digest algorithm").  *out is the
 * caller's (wh_oci_manifest_free); NULL on failure.
 */
int wh_oci_manifest_parse(const char *buf, size_t len, const char *content_type,
                          wh_oci_manifest **out, wh_err *err);

void wh_oci_manifest_free(wh_oci_manifest *m);

/* Whether `name` is a repository name of the distribution spec
 * ([a-z0-9]+ separated by ".", "_", "__", "-"s, components joined by "/"),
 * at most WH_OCI_MAX_REPO bytes. */
bool wh_oci_repo_valid(const char *name);

/* Whether `tag` matches [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. */
bool wh_oci_tag_valid(const char *tag);

/* The SHA-256 of len bytes as 64 lowercase hex digits (65 with the NUL):
 * how a manifest or config is named. */
int wh_oci_sha256_hex(const void *buf, size_t len, char hex[65], wh_err *err);

/* "sha256:<64 lowercase hex>" into hex (65 bytes with the NUL).  WH_EINVAL
 * for a malformed digest, and "unsupported digest algorithm" for others. */
int wh_oci_digest_parse(const char *digest, char sha256[65], wh_err *err);

/*
 * Bindle versions and OCI tags.  A tag cannot hold '+', so a version's
 * build metadata is written after '_' instead ("1.0.0+b.1" is tag
 * "1.0.0_b.1"); SemVer identifiers never contain '_', so the mapping goes
 * both ways without ambiguity.  wh_oci_tag_from_version returns WH_EINVAL
 * when the result would not be a valid tag (too long).
 * wh_oci_version_from_tag returns true and fills `version` when the tag
 * is a strict SemVer version once mapped, false otherwise (an OCI-only tag
 * such as "latest").
 */
int wh_oci_tag_from_version(const char *version, char *tag, size_t cap, wh_err *err);
bool wh_oci_version_from_tag(const char *tag, char *version, size_t cap);

/*
 * A manifest pushed (or mirrored) under repository `name` and SemVer
 * `version`, as a bindle invoice (unsigned: the caller signs it):
 *
 * - the parcels are the config blob (labelled WH_OCI_ANN_ROLE = "config",
 *   member of the optional group WH_OCI_CONFIG_GROUP) and the layers in
 *   order (WH_OCI_ANN_ROLE = "layer"), each blob once even when listed
 *   twice; media types and sizes from the descriptors, descriptor
 *   annotations kept on the labels, label names from the
 *   org.opencontainers.image.title annotation when it is a usable file name,
 *   else "layer-N" with an extension for the media type, made unique;
 * - the invoice's annotations are the manifest's, plus WH_OCI_ANN_MANIFEST
 *   (`manifest_sha256` as a digest), WH_OCI_ANN_MEDIA_TYPE and every entry
 *   of `extra` (e.g. WH_OCI_ANN_SOURCE from the mirror);
 * - authors and description come from org.opencontainers.image.authors and
 *   .description when present.
 *
 * Indexes are refused (WH_EINVAL): they reference manifests, not blobs.  The
 * result passes wh_invoice_validate or this returns WH_EINVAL saying why.
 * *out is the caller's.
 */
int wh_oci_manifest_to_invoice(const wh_oci_manifest *m, const char *manifest_sha256,
                               const char *name, const char *version,
                               const wh_kvmap *extra, wh_invoice **out, wh_err *err);

/* The OCI view of a bindle: a manifest and the config blob it names. */
typedef struct wh_oci_view {
    char *manifest;            /* the manifest's bytes (malloc'd) */
    size_t manifest_len;
    char manifest_sha256[65];
    char *config;              /* the config blob's bytes (malloc'd) */
    size_t config_len;
    char config_sha256[65];
} wh_oci_view;

/*
 * The deterministic OCI manifest of a bindle (the same invoice always gives
 * the same bytes and digest):
 *
 * - a bindle whose only parcel is a wasm module (application/wasm) takes
 *   the CNCF wasm artifact layout: config WH_OCI_MT_WASM_CONFIG
 *   ({"architecture":"wasm","os":"wasip2" when `component`, else
 *   "wasip1","layerDigests":[...]}) and one application/wasm layer;
 * - any other bindle is an artifact (artifactType WH_OCI_ARTIFACT_BINDLE)
 *   whose config is the invoice document `invoice_toml` (WH_OCI_MT_INVOICE)
 *   and whose layers are its parcels in order, titled by label name.
 *
 * Both carry the annotations org.opencontainers.image.version (the
 * version) and "wharf.bindle" (NAME/VERSION).  The caller releases the
 * buffers with wh_oci_view_clear.
 */
int wh_oci_view_from_invoice(const wh_invoice *inv, const char *invoice_toml,
                             size_t invoice_len, bool component, wh_oci_view *out,
                             wh_err *err);

void wh_oci_view_clear(wh_oci_view *v);

#endif
