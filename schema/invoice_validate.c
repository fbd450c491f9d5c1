/*
 * invoice_validate.c - the semantic rules of SPEC.md section 1 (and the
 * one-signature-per-key rule of section 2), checked on a parsed invoice.
 *
 * The parsers only check shape, so that Bindle's fixtures with made-up
 * hashes still load; everything that decides whether Wharf will store an
 * invoice is here.  Every message names the field by its path and quotes the
 * offending value through wh_str_quote, which escapes control characters and
 * cuts long values, because these messages end up in HTTP error bodies.
 *
 * Work is kept near-linear in the invoice's size (sorting instead of
 * pairwise comparison, bitsets for the group graph) so that a maximal
 * invoice validates in milliseconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group_graph.h"
#include "invoice.h"
#include "utf8.h"
#include "invoice_json.h"
#include "semver.h"

#define NAME_MAX_BYTES 255
#define FIELD_MAX_BYTES 255

/* ------------------------------------------------------------------ */
/* UTF-8 and quoting                                                   */
/* ------------------------------------------------------------------ */

/* Code points that must not be echoed raw into a message or a terminal:
 * controls, invisible format characters and spaces that do not look like
 * one. */
static bool invisible_cp(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202F) || (cp >= 0x205F && cp <= 0x206F) ||
           cp == 0x3000 || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB);
}

const char *wh_str_quote(const char *s, char buf[WH_QUOTE_MAX])
{
    /* Room kept at the end for the closing quote, "..." and the NUL. */
    const size_t budget = WH_QUOTE_MAX - 6;
    if (!s) {
        snprintf(buf, WH_QUOTE_MAX, "(null)");
        return buf;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), o = 0;
    buf[o++] = '"';
    bool cut = false;
    while (n) {
        char piece[16];
        size_t plen;
        uint32_t cp;
        size_t len = wh_utf8_next(p, n, &cp);
        if (len == 0) {
            plen = (size_t)snprintf(piece, sizeof piece, "\\x%02X", p[0]);
            len = 1;
        } else if (cp == '"' || cp == '\\') {
            piece[0] = '\\';
            piece[1] = (char)cp;
            plen = 2;
        } else if (invisible_cp(cp)) {
            plen = (size_t)(cp < 0x100
                                ? snprintf(piece, sizeof piece, "\\x%02X", (unsigned)cp)
                                : snprintf(piece, sizeof piece, "\\u%04X", (unsigned)cp));
        } else {
            memcpy(piece, p, len);
            plen = len;
        }
        if (o + plen > budget) {
            cut = true;
            break;
        }
        memcpy(buf + o, piece, plen);
        o += plen;
        p += len;
        n -= len;
    }
    buf[o++] = '"';
    if (cut) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

/*
 * Why a non-ASCII code point is not a letter or digit, or NULL when it may
 * be one.  Full Unicode tables would be overkill for names; this refuses
 * the blocks that are obviously controls, spaces, invisible format
 * characters, punctuation, symbols, private use or non-characters, and
 * accepts the rest, which is letters and digits of every script.
 */
static const char *non_letter_reason(uint32_t cp)
{
    static const struct {
        uint32_t lo, hi;
        const char *why;
    } refused[] = {
        {0x0080, 0x009F, "a control character"},
        {0x00A0, 0x00A0, "a space"},
        {0x00A1, 0x00A9, "punctuation or a symbol"},
        {0x00AB, 0x00AC, "punctuation or a symbol"},
        {0x00AD, 0x00AD, "an invisible format character"},
        {0x00AE, 0x00B4, "punctuation or a symbol"},
        {0x00B6, 0x00B9, "punctuation or a symbol"},
        {0x00BB, 0x00BF, "punctuation or a symbol"},
        {0x00D7, 0x00D7, "punctuation or a symbol"},
        {0x00F7, 0x00F7, "punctuation or a symbol"},
        {0x034F, 0x034F, "an invisible format character"},
        {0x061C, 0x061C, "an invisible format character"},
        {0x1680, 0x1680, "a space"},
        {0x180E, 0x180E, "an invisible format character"},
        {0x2000, 0x200A, "a space"},
        {0x200B, 0x200F, "an invisible format character"},
        {0x2010, 0x2027, "punctuation or a symbol"},
        {0x2028, 0x2029, "a line or paragraph separator"},
        {0x202A, 0x202E, "an invisible format character"},
        {0x202F, 0x202F, "a space"},
        {0x2030, 0x205E, "punctuation or a symbol"},
        {0x205F, 0x205F, "a space"},
        {0x2060, 0x206F, "an invisible format character"},
        {0x20A0, 0x20CF, "punctuation or a symbol"},
        {0x2190, 0x2BFF, "punctuation or a symbol"},
        {0x2E00, 0x2E7F, "punctuation or a symbol"},
        {0x3000, 0x3000, "a space"},
        {0x3001, 0x3004, "punctuation or a symbol"},
        {0x3008, 0x3020, "punctuation or a symbol"},
        {0x3030, 0x3030, "punctuation or a symbol"},
        {0x303D, 0x303D, "punctuation or a symbol"},
        {0xE000, 0xF8FF, "a private-use character"},
        {0xFDD0, 0xFDEF, "a non-character"},
        {0xFE00, 0xFE0F, "an invisible format character"},
        {0xFE10, 0xFE1F, "punctuation or a symbol"},
        {0xFE30, 0xFE6F, "punctuation or a symbol"},
        {0xFEFF, 0xFEFF, "an invisible format character"},
        {0xFF00, 0xFF0F, "punctuation or a symbol"},
        {0xFF1A, 0xFF20, "punctuation or a symbol"},
        {0xFF3B, 0xFF40, "punctuation or a symbol"},
        {0xFF5B, 0xFF65, "punctuation or a symbol"},
        {0xFFF0, 0xFFFF, "a special or non-character"},
        {0x1F000, 0x1FAFF, "punctuation or a symbol"},
        {0xE0000, 0xE0FFF, "an invisible format character"},
        {0xF0000, 0x10FFFF, "a private-use character"},
    };
    if ((cp & 0xFFFE) == 0xFFFE)
        return "a non-character";
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (cp >= refused[i].lo && cp <= refused[i].hi)
            return refused[i].why;
    return NULL;
}

int wh_name_validate(const char *name, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    if (!name)
        return wh_err_set(err, WH_EINVAL, "bindle name is missing");
    size_t n = strlen(name);
    if (n == 0)
        return wh_err_set(err, WH_EINVAL, "bindle name is empty");
    if (n > NAME_MAX_BYTES)
        return wh_err_set(err, WH_EINVAL,
                          "bindle name %s is %zu bytes long; at most %d are allowed",
                          wh_str_quote(name, q), n, NAME_MAX_BYTES);
    if (name[0] == '/')
        return wh_err_set(err, WH_EINVAL, "bindle name %s starts with '/'",
                          wh_str_quote(name, q));
    if (name[n - 1] == '/')
        return wh_err_set(err, WH_EINVAL, "bindle name %s ends with '/'",
                          wh_str_quote(name, q));
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '/' && s[i + 1] == '/')
            return wh_err_set(err, WH_EINVAL, "bindle name %s contains \"//\"",
                              wh_str_quote(name, q));
        if (c == '.' && s[i + 1] == '.')
            return wh_err_set(err, WH_EINVAL, "bindle name %s contains \"..\"",
                              wh_str_quote(name, q));
        if (c == '@' || c == ':')
            return wh_err_set(err, WH_EINVAL,
                              "bindle name %s contains '%c', which is reserved",
                              wh_str_quote(name, q), c);
        if (c < 0x20 || c == 0x7F)
            return wh_err_set(err, WH_EINVAL,
                              "bindle name %s contains the control character "
                              "0x%02X at byte %zu",
                              wh_str_quote(name, q), c, i);
        if (c < 0x80) {
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
                  c == '/'))
                return wh_err_set(err, WH_EINVAL,
                                  "bindle name %s contains '%c'; only letters, "
                                  "digits, '_', '.', '-' and '/' are allowed",
                                  wh_str_quote(name, q), c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = wh_utf8_next(s + i, n - i, &cp);
        if (len == 0)
            return wh_err_set(err, WH_EINVAL,
                              "bindle name %s is not valid UTF-8 (byte %zu)",
                              wh_str_quote(name, q), i);
        const char *why = non_letter_reason(cp);
        if (why)
            return wh_err_set(err, WH_EINVAL,
                              "bindle name %s contains U+%04X, %s; only "
                              "letters, digits, '_', '.', '-' and '/' are allowed",
                              wh_str_quote(name, q), (unsigned)cp, why);
        i += len;
    }
    return 0;
}

bool wh_sha256_hex_valid(const char *s)
{
    if (!s)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[64] == '\0';
}

/* ------------------------------------------------------------------ */
/* Labels                                                              */
/* ------------------------------------------------------------------ */

/* A label name is a relative path that a client may write to disk, so
 * everything that could escape the target directory or confuse a file
 * system is refused. */
static int check_label_name(const char *name, size_t pi, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    if (!name)
        return wh_err_set(err, WH_EINVAL, "parcel[%zu].label.name is missing", pi);
    size_t n = strlen(name);
    if (n == 0)
        return wh_err_set(err, WH_EINVAL, "parcel[%zu].label.name is empty", pi);
    wh_str_quote(name, q);
    if (n > FIELD_MAX_BYTES)
        return wh_err_set(err, WH_EINVAL,
                          "parcel[%zu].label.name %s is %zu bytes long; at most "
                          "%d are allowed", pi, q, n, FIELD_MAX_BYTES);
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = wh_utf8_next(s + i, n - i, &cp);
        if (len == 0)
            return wh_err_set(err, WH_EINVAL,
                              "parcel[%zu].label.name %s is not valid UTF-8 "
                              "(byte %zu)", pi, q, i);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return wh_err_set(err, WH_EINVAL,
                              "parcel[%zu].label.name %s contains the control "
                              "character U+%04X at byte %zu", pi, q,
                              (unsigned)cp, i);
        if (cp == '\\')
            return wh_err_set(err, WH_EINVAL,
                              "parcel[%zu].label.name %s contains a backslash; "
                              "use '/' between path segments", pi, q);
        i += len;
    }
    if (name[0] == '/')
        return wh_err_set(err, WH_EINVAL,
                          "parcel[%zu].label.name %s is an absolute path; it "
                          "must be relative", pi, q);
    for (const char *seg = name;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0)
            return wh_err_set(err, WH_EINVAL,
                              "parcel[%zu].label.name %s has an empty path "
                              "segment", pi, q);
        if ((len == 1 && seg[0] == '.') ||
            (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return wh_err_set(err, WH_EINVAL,
                              "parcel[%zu].label.name %s has a \"%.*s\" path "
                              "segment", pi, q, (int)len, seg);
        if (!slash)
            break;
        seg = slash + 1;
    }
    return 0;
}

static int check_media_type(const char *mt, size_t pi, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    if (!mt)
        return wh_err_set(err, WH_EINVAL, "parcel[%zu].label.mediaType is missing",
                          pi);
    size_t n = strlen(mt);
    if (n == 0)
        return wh_err_set(err, WH_EINVAL, "parcel[%zu].label.mediaType is empty",
                          pi);
    if (n > FIELD_MAX_BYTES)
        return wh_err_set(err, WH_EINVAL,
                          "parcel[%zu].label.mediaType %s is %zu bytes long; at "
                          "most %d are allowed",
                          pi, wh_str_quote(mt, q), n, FIELD_MAX_BYTES);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)mt[i];
        if (c < 0x20 || c > 0x7E)
            return wh_err_set(err, WH_EINVAL,
                              "parcel[%zu].label.mediaType %s contains byte "
                              "0x%02X at %zu; only printable ASCII is allowed",
                              pi, wh_str_quote(mt, q), c, i);
    }
    return 0;
}

static int check_label(const wh_label *l, size_t pi, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    if (!l->sha256)
        return wh_err_set(err, WH_EINVAL, "parcel[%zu].label.sha256 is missing", pi);
    if (!wh_sha256_hex_valid(l->sha256))
        return wh_err_set(err, WH_EINVAL,
                          "parcel[%zu].label.sha256 %s is not a sha256: "
                          "expected 64 lowercase hex digits, got %zu characters",
                          pi, wh_str_quote(l->sha256, q), strlen(l->sha256));
    if (l->size > (uint64_t)INT64_MAX)
        return wh_err_set(err, WH_EINVAL,
                          "parcel[%zu].label.size %llu is over 2^63-1", pi,
                          (unsigned long long)l->size);
    int rc = check_media_type(l->media_type, pi, err);
    if (rc)
        return rc;
    return check_label_name(l->name, pi, err);
}

/* ------------------------------------------------------------------ */
/* Duplicates                                                          */
/* ------------------------------------------------------------------ */

typedef struct keyed {
    const char *key;
    size_t idx;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Sorts (key, index) pairs and finds the duplicate that comes first in
 * document order: the smallest index that repeats an earlier key.  Returns
 * true with *dup and *first set when there is one.
 */
static bool first_duplicate(keyed *k, size_t n, size_t *dup, size_t *first)
{
    bool found = false;
    qsort(k, n, sizeof *k, keyed_cmp);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(k[i].key, k[i - 1].key) != 0)
            continue;
        /* Within a run of equal keys, k[run start] is the earliest. */
        size_t start = i - 1;
        while (start > 0 && strcmp(k[start - 1].key, k[i].key) == 0)
            start--;
        if (!found || k[i].idx < *dup) {
            *dup = k[i].idx;
            *first = k[start].idx;
            found = true;
        }
        while (i + 1 < n && strcmp(k[i + 1].key, k[i].key) == 0)
            i++;
    }
    return found;
}

static int check_duplicate_parcels(const wh_invoice *inv, wh_err *err)
{
    if (inv->n_parcels < 2)
        return 0;
    keyed *k = malloc(inv->n_parcels * sizeof *k);
    if (!k)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t i = 0; i < inv->n_parcels; i++)
        k[i] = (keyed){inv->parcels[i].label.sha256, i};
    size_t dup, first;
    int rc = 0;
    if (first_duplicate(k, inv->n_parcels, &dup, &first))
        rc = wh_err_set(err, WH_EINVAL,
                        "parcel[%zu]: sha256 %s is already listed as parcel[%zu]",
                        dup, inv->parcels[dup].label.sha256, first);
    free(k);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Groups                                                              */
/* ------------------------------------------------------------------ */

typedef struct group_index {
    keyed *sorted;   /* group names, sorted, for lookups */
    size_t n;
} group_index;

static int find_group(const group_index *gi, const char *name)
{
    size_t lo = 0, hi = gi->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, gi->sorted[mid].key);
        if (c == 0)
            return (int)gi->sorted[mid].idx;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static int check_group_names(const wh_invoice *inv, group_index *gi,
                             wh_err *err)
{
    char q[WH_QUOTE_MAX];
    for (size_t i = 0; i < inv->n_groups; i++) {
        const char *name = inv->groups[i].name;
        if (!name)
            return wh_err_set(err, WH_EINVAL, "group[%zu].name is missing", i);
        if (!*name)
            return wh_err_set(err, WH_EINVAL, "group[%zu].name is empty", i);
        if (strlen(name) > FIELD_MAX_BYTES)
            return wh_err_set(err, WH_EINVAL,
                              "group[%zu].name %s is longer than %d bytes", i,
                              wh_str_quote(name, q), FIELD_MAX_BYTES);
        for (const unsigned char *c = (const unsigned char *)name; *c; c++)
            if (*c < 0x20 || *c == 0x7F)
                return wh_err_set(err, WH_EINVAL,
                                  "group[%zu].name %s contains a control "
                                  "character", i, wh_str_quote(name, q));
    }
    gi->n = inv->n_groups;
    if (!gi->n)
        return 0;
    gi->sorted = malloc(gi->n * sizeof *gi->sorted);
    if (!gi->sorted)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t i = 0; i < gi->n; i++)
        gi->sorted[i] = (keyed){inv->groups[i].name, i};
    size_t dup, first;
    if (first_duplicate(gi->sorted, gi->n, &dup, &first))
        return wh_err_set(err, WH_EINVAL,
                          "group[%zu]: the name %s is already used by group[%zu]",
                          dup, wh_str_quote(inv->groups[dup].name, q), first);
    return 0;
}

static int check_condition_list(const wh_invoice *inv, const group_index *gi,
                                size_t pi, const wh_strlist *l,
                                const char *field, wh_err *err)
{
    for (size_t j = 0; j < l->n; j++) {
        if (l->items[j] && find_group(gi, l->items[j]) >= 0)
            continue;
        char qn[WH_QUOTE_MAX], qg[WH_QUOTE_MAX];
        return wh_err_set(err, WH_EINVAL,
                          "parcel[%zu] (name %s): conditions.%s names group %s, "
                          "which no [[group]] defines",
                          pi, wh_str_quote(inv->parcels[pi].label.name, qn), field,
                          wh_str_quote(l->items[j], qg));
    }
    return 0;
}

/* Refuses a cycle of `requires` between groups (group_graph.h), naming
 * the groups of the first one found. */
static int check_group_cycles(const wh_invoice *inv, const group_index *gi,
                              wh_err *err)
{
    wh_group_graph g;
    size_t *cycle = NULL, len = 0;
    int rc = wh_group_graph_init(&g, inv->n_groups, err);
    if (rc || inv->n_groups == 0)
        return rc;
    for (size_t i = 0; i < inv->n_parcels; i++) {
        const wh_parcel *p = &inv->parcels[i];
        for (size_t j = 0; j < p->member_of.n; j++)
            for (size_t k = 0; k < p->requires.n; k++)
                wh_group_graph_edge(&g, (size_t)find_group(gi, p->member_of.items[j]),
                                    (size_t)find_group(gi, p->requires.items[k]));
    }
    cycle = malloc(inv->n_groups * sizeof *cycle);
    rc = cycle ? wh_group_graph_cycle(&g, cycle, &len, err)
               : wh_err_set(err, WH_ENOMEM, "out of memory");
    if (rc == 1) {
        /* Whole names only, so that a long ring is cut cleanly (and never
         * inside a UTF-8 sequence). */
        char msg[WH_ERR_MSG_MAX - 8];
        size_t o = (size_t)snprintf(msg, sizeof msg, "group cycle: ");
        bool cut = false;
        for (size_t k = 0; k <= len && !cut; k++) {
            const char *name = inv->groups[cycle[k < len ? k : 0]].name;
            int w = snprintf(msg + o, sizeof msg - o, "%s%s", name, k < len ? " -> " : "");
            if (w < 0 || (size_t)w >= sizeof msg - o) {
                msg[o] = '\0';
                cut = true;
            } else {
                o += (size_t)w;
            }
        }
        rc = wh_err_set(err, WH_EINVAL, "%s%s", msg, cut ? "..." : "");
    }
    free(cycle);
    wh_group_graph_free(&g);
    return rc;
}

static int check_groups(const wh_invoice *inv, wh_err *err)
{
    group_index gi = {0};
    int rc = check_group_names(inv, &gi, err);
    if (rc)
        goto done;
    for (size_t i = 0; i < inv->n_parcels && !rc; i++) {
        const wh_parcel *p = &inv->parcels[i];
        rc = check_condition_list(inv, &gi, i, &p->member_of, "memberOf", err);
        if (!rc)
            rc = check_condition_list(inv, &gi, i, &p->requires, "requires", err);
    }
    if (!rc)
        rc = check_group_cycles(inv, &gi, err);
done:
    free(gi.sorted);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Signatures                                                          */
/* ------------------------------------------------------------------ */

static int check_signatures(const wh_signature *sigs, size_t n,
                            const char *field, wh_err *err)
{
    static const char *const roles[] = {"creator", "approver", "proxy", "host"};
    char q[WH_QUOTE_MAX];
    for (size_t i = 0; i < n; i++) {
        const wh_signature *s = &sigs[i];
        if (!s->by || !s->signature || !s->key || !s->role)
            return wh_err_set(err, WH_EINVAL,
                              "%s[%zu]: by, signature, key and role are all "
                              "required", field, i);
        size_t r;
        for (r = 0; r < sizeof roles / sizeof roles[0]; r++)
            if (strcmp(s->role, roles[r]) == 0)
                break;
        if (r == sizeof roles / sizeof roles[0])
            return wh_err_set(err, WH_EINVAL,
                              "%s[%zu].role %s: expected creator, approver, "
                              "proxy or host", field, i, wh_str_quote(s->role, q));
        /* Bindle lets one key sign an invoice once; lists are short (at
         * most max_signatures), so pairwise is fine. */
        for (size_t j = 0; j < i; j++)
            if (strcmp(sigs[j].key, s->key) == 0)
                return wh_err_set(err, WH_EINVAL,
                                  "%s[%zu]: key %s already signed as %s[%zu]",
                                  field, i, wh_str_quote(s->key, q), field, j);
    }
    return 0;
}

/* ------------------------------------------------------------------ */

int wh_invoice_validate(const wh_invoice *inv, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    int rc;
    if (!inv)
        return wh_err_set(err, WH_EINVAL, "no invoice");
    if (!inv->bindle_version)
        return wh_err_set(err, WH_EINVAL, "bindleVersion is missing");
    if (strcmp(inv->bindle_version, "1.0.0") != 0)
        return wh_err_set(err, WH_EINVAL,
                          "bindleVersion %s is not supported; expected \"1.0.0\"",
                          wh_str_quote(inv->bindle_version, q));
    if ((rc = wh_name_validate(inv->bindle.name, err)))
        return rc;
    if (!inv->bindle.version)
        return wh_err_set(err, WH_EINVAL, "bindle.version is missing");
    wh_semver sv;
    wh_err serr = {0};
    if (wh_semver_parse(inv->bindle.version, &sv, &serr))
        return wh_err_set(err, WH_EINVAL, "bindle.version %s is not strict SemVer 2.0: %s",
                          wh_str_quote(inv->bindle.version, q), serr.msg);
    for (size_t i = 0; i < inv->n_parcels; i++)
        if ((rc = check_label(&inv->parcels[i].label, i, err)))
            return rc;
    if ((rc = check_duplicate_parcels(inv, err)) ||
        (rc = check_groups(inv, err)) ||
        (rc = check_signatures(inv->signatures, inv->n_signatures, "signature",
                               err)) ||
        (rc = check_signatures(inv->yanked_signatures, inv->n_yanked_signatures,
                               "yanked_signature", err)))
        return rc;
    return 0;
}
