/*
 * invoice.h - the Bindle 1.0 data model: invoice, label, group, conditions,
 * signature (SPEC.md section 1), and the codecs between it and TOML / JSON.
 *
 * Ownership: every pointer reachable from a wh_invoice (strings, arrays,
 * nested structs) belongs to the invoice's arena.  wh_invoice_free releases
 * all of it at once; callers never free a field.  To change a field, allocate
 * the new value from `inv->arena` (wh_arena_strdup etc.).
 *
 * Optional fields: a NULL pointer or a zero count means "absent", and the
 * emitters leave absent fields out, so a parse -> emit -> parse round trip is
 * exact.  Booleans that Bindle marks optional carry a has_* flag so that an
 * explicit `yanked = false` survives the round trip too.
 *
 * Untrusted input: the parsers take a wh_invoice_limits; every size and count
 * is checked while parsing, and nothing is allocated beyond the limits.
 */
#ifndef WH_INVOICE_H
#define WH_INVOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"

/* An ordered string -> string map (annotations). Keys are unique; the
 * parsers keep them sorted bytewise (see invoice_json.h). */
typedef struct wh_kv {
    char *key;
    char *value;
} wh_kv;

typedef struct wh_kvmap {
    wh_kv *items;
    size_t n;
} wh_kvmap;

/* A list of strings (authors, memberOf, requires). */
typedef struct wh_strlist {
    char **items;
    size_t n;
} wh_strlist;

/* One feature entry of a label: `[label.feature.SECTION] NAME = "VALUE"`. */
typedef struct wh_feature {
    char *section;
    char *name;
    char *value;
} wh_feature;

typedef struct wh_label {
    char *sha256;        /* 64 lowercase hex digits once validated */
    char *media_type;    /* TOML/JSON key `mediaType` */
    char *name;
    uint64_t size;
    wh_kvmap annotations;      /* absent when n == 0 && !has_annotations */
    bool has_annotations;
    wh_feature *features;      /* flattened, sorted by section then name */
    size_t n_features;
    char *origin;              /* NULL when absent */
} wh_label;

typedef struct wh_parcel {
    wh_label label;
    bool has_conditions;       /* a `conditions` table was present */
    wh_strlist member_of;      /* `conditions.memberOf` */
    bool has_member_of;
    wh_strlist requires;       /* `conditions.requires` */
    bool has_requires;
} wh_parcel;

typedef enum wh_satisfied_by {
    WH_SATISFIED_ALL_OF = 0,   /* "allOf", the default */
    WH_SATISFIED_ONE_OF,       /* "oneOf" */
    WH_SATISFIED_OPTIONAL      /* "optional" */
} wh_satisfied_by;

typedef struct wh_group {
    char *name;
    bool required;
    bool has_required;
    wh_satisfied_by satisfied_by;
    bool has_satisfied_by;
} wh_group;

typedef struct wh_signature {
    char *by;
    char *signature;           /* base64 */
    char *key;                 /* base64 public key */
    char *role;                /* creator | approver | proxy | host */
    int64_t at;                /* unix seconds */
} wh_signature;

typedef struct wh_invoice {
    wh_arena arena;            /* owns everything below */

    char *bindle_version;      /* "1.0.0" */
    bool yanked;
    bool has_yanked;
    char *yanked_reason;       /* NULL when absent */
    wh_signature *yanked_signatures;
    size_t n_yanked_signatures;
    bool has_yanked_signatures;

    struct {
        char *name;
        char *version;
        wh_strlist authors;
        bool has_authors;
        char *description;     /* NULL when absent */
    } bindle;

    wh_kvmap annotations;
    bool has_annotations;

    wh_parcel *parcels;
    size_t n_parcels;
    wh_group *groups;
    size_t n_groups;
    wh_signature *signatures;
    size_t n_signatures;
} wh_invoice;

/* Limits applied while parsing untrusted invoices. */
typedef struct wh_invoice_limits {
    size_t max_bytes;          /* the document's size */
    size_t max_parcels;
    size_t max_groups;
    size_t max_signatures;
    size_t max_string;         /* any one string value */
    size_t max_list;           /* any one list or map (authors, annotations...) */
} wh_invoice_limits;

/* The defaults: 1 MiB, 10000 parcels, 1000 groups, 100 signatures,
 * 64 KiB strings, 1000 list entries. */
extern const wh_invoice_limits wh_invoice_default_limits;

/* Allocates an empty invoice with its arena; NULL when out of memory.
 * Free with wh_invoice_free. */
wh_invoice *wh_invoice_new(void);

/* Frees the invoice and everything it owns. NULL is a no-op. */
void wh_invoice_free(wh_invoice *inv);

/*
 * Parses a TOML (wh_invoice_parse_toml) or JSON (wh_invoice_parse_json)
 * document of `len` bytes into a new invoice in *out (the caller owns it and
 * frees it with wh_invoice_free).  Checks the document's shape: types,
 * required fields, unknown fields (refused, as Bindle does), and the limits;
 * `limits` NULL means the defaults.  Semantic rules (names, SemVer, hashes,
 * groups) are wh_invoice_validate's job, so that the fixtures with made-up
 * hashes still parse.  On failure *out is NULL and err says what and where.
 */
int wh_invoice_parse_toml(const char *buf, size_t len,
                          const wh_invoice_limits *limits,
                          wh_invoice **out, wh_err *err);
int wh_invoice_parse_json(const char *buf, size_t len,
                          const wh_invoice_limits *limits,
                          wh_invoice **out, wh_err *err);

/*
 * Emits the invoice as TOML or JSON into a new malloc'd, NUL-terminated
 * buffer in *out (the caller frees it with free()); *len gets its length
 * without the NUL.  The output is canonical: the same invoice always gives
 * the same bytes, and parsing them gives back an equal invoice.
 */
int wh_invoice_emit_toml(const wh_invoice *inv, char **out, size_t *len,
                         wh_err *err);
int wh_invoice_emit_json(const wh_invoice *inv, char **out, size_t *len,
                         wh_err *err);

/* Both at once, from one conversion (what the server stores for each
 * invoice); on failure neither is handed out. */
int wh_invoice_emit_both(const wh_invoice *inv, char **toml, size_t *toml_len, char **json,
                         size_t *json_len, wh_err *err);

/*
 * Checks every rule of SPEC.md section 1 and returns WH_EINVAL with a precise
 * message on the first one broken: bindleVersion, the bindle name rules,
 * strict SemVer, 64-hex lowercase sha256, sizes, duplicate parcels (the same
 * sha256 twice), label names, groups named twice, unknown group names in
 * memberOf / requires, cycles of requires between groups.
 */
int wh_invoice_validate(const wh_invoice *inv, wh_err *err);

/* Checks a bindle name alone (SPEC.md section 1). */
int wh_name_validate(const char *name, wh_err *err);

/* True when `s` is exactly 64 lowercase hex digits. */
bool wh_sha256_hex_valid(const char *s);

/* The value of `key` in an annotation map (an invoice's or a label's), or
 * NULL; borrowed from the map. */
const char *wh_kvmap_get(const wh_kvmap *m, const char *key);

/* Finds the parcel with that sha256; NULL when the invoice lists none. */
const wh_parcel *wh_invoice_find_parcel(const wh_invoice *inv,
                                        const char *sha256);

/* Structural equality of two invoices (every field, in order). */
bool wh_invoice_equal(const wh_invoice *a, const wh_invoice *b);

#endif
