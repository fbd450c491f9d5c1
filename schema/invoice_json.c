/*
 * invoice_json.c - reading an invoice: json_t -> wh_invoice, and the TOML /
 * JSON parse functions of invoice.h on top of it; see invoice_json.h.
 * Writing is in invoice_emit.c; the two share no code, and this is the half
 * that faces untrusted input, so it is where every limit is enforced.
 *
 * The mapper walks the tree with a path ("parcel[2].label.size") kept in a
 * fixed buffer, so that every error names exactly where it was found.  Every
 * string is copied into the invoice's arena after its length has been
 * checked against the limits, and every array is sized from the checked
 * count, so a hostile document cannot make the invoice grow past them.
 */
#include "invoice_json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

/* ------------------------------------------------------------------ */
/* JSON -> invoice                                                     */
/* ------------------------------------------------------------------ */

typedef struct mapper {
    wh_arena *arena;
    const wh_invoice_limits *lim;
    wh_err *err;
    char path[256];
    size_t plen;
} mapper;

/* Appends a path component; returns the old length for path_pop. */
__attribute__((format(printf, 2, 3)))
static size_t path_push(mapper *m, const char *fmt, ...)
{
    size_t old = m->plen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->path + m->plen, sizeof m->path - m->plen, fmt, ap);
    va_end(ap);
    if (n > 0) {
        m->plen += (size_t)n;
        if (m->plen >= sizeof m->path) {
            /* vsnprintf cut the component; drop a character it cut in
             * half, since messages must stay UTF-8. */
            size_t end = sizeof m->path - 1, i = end;
            while (i > old && ((unsigned char)m->path[i - 1] & 0xC0) == 0x80)
                i--;
            if (i > old) {
                unsigned char lead = (unsigned char)m->path[i - 1];
                size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
                if (end - (i - 1) < need)
                    end = i - 1;
            }
            m->plen = end;
            m->path[end] = '\0';
        }
    }
    return old;
}

static void path_pop(mapper *m, size_t old)
{
    m->plen = old;
    m->path[old] = '\0';
}

__attribute__((format(printf, 3, 4)))
static int fail(mapper *m, int code, const char *fmt, ...)
{
    char what[WH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return wh_err_set(m->err, code, "%s: %s", m->plen ? m->path : "top level",
                      what);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "table";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "float";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* The error for a value of the wrong type at the current path. */
static int wrong_type(mapper *m, const json_t *v, const char *expected)
{
    return fail(m, WH_EINVAL, "expected %s, got %s", expected, type_name(v));
}

static void *alloc_array(mapper *m, size_t n, size_t size)
{
    if (n == 0)
        return NULL;
    if (n > SIZE_MAX / size)
        return NULL;
    return wh_arena_alloc(m->arena, n * size);
}

/* Refuses any member of `obj` whose key is not in the NULL-ended `known`. */
static int check_fields(mapper *m, const json_t *obj, const char *const *known)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i;
        for (i = 0; known[i]; i++)
            if (strcmp(key, known[i]) == 0)
                break;
        if (!known[i]) {
            char q[WH_QUOTE_MAX];
            return fail(m, WH_EINVAL, "unknown field %s", wh_str_quote(key, q));
        }
        (void)v;
    }
    return 0;
}

/* Copies a string value at the current path after the limit checks. */
static int take_string(mapper *m, const json_t *v, char **out)
{
    if (!json_is_string(v))
        return wrong_type(m, v, "a string");
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n > m->lim->max_string)
        return fail(m, WH_ETOOBIG,
                    "a string of %zu bytes is over the limit max_string = %zu",
                    n, m->lim->max_string);
    if (memchr(s, '\0', n))
        return fail(m, WH_EINVAL, "the string holds a NUL character");
    *out = wh_arena_strndup(m->arena, s, n);
    if (!*out)
        return wh_err_set(m->err, WH_ENOMEM, "out of memory");
    return 0;
}

/* Keys are strings too, and count against max_string the same way.  They
 * name things (annotations, features) rather than carry text, so control
 * characters and single quotes are refused: the latter also because the
 * TOML writer cannot quote a key that holds one (see toml.cpp). */
static int check_key(mapper *m, const char *key)
{
    size_t n = strlen(key);
    if (n > m->lim->max_string)
        return fail(m, WH_ETOOBIG,
                    "a key of %zu bytes is over the limit max_string = %zu", n,
                    m->lim->max_string);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c < 0x20 || c == 0x7F || c == '\'') {
            char q[WH_QUOTE_MAX];
            return fail(m, WH_EINVAL,
                        "the key %s holds a control character or a single quote",
                        wh_str_quote(key, q));
        }
    }
    return 0;
}

static int take_key(mapper *m, const char *key, char **out)
{
    int rc = check_key(m, key);
    if (rc)
        return rc;
    *out = wh_arena_strdup(m->arena, key);
    if (!*out)
        return wh_err_set(m->err, WH_ENOMEM, "out of memory");
    return 0;
}

/* Looks up `key` in `obj`; a missing required field is an error, a missing
 * optional one leaves *v NULL. */
static int member(mapper *m, const json_t *obj, const char *key, bool required,
                  json_t **v)
{
    *v = json_object_get(obj, key);
    if (!*v && required)
        return fail(m, WH_EINVAL, "missing required field \"%s\"", key);
    return 0;
}

static int get_string(mapper *m, const json_t *obj, const char *key,
                      bool required, char **out)
{
    json_t *v;
    int rc = member(m, obj, key, required, &v);
    if (rc || !v)
        return rc;
    size_t old = path_push(m, m->plen ? ".%s" : "%s", key);
    rc = take_string(m, v, out);
    path_pop(m, old);
    return rc;
}

static int get_bool(mapper *m, const json_t *obj, const char *key, bool *out,
                    bool *has)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        size_t old = path_push(m, m->plen ? ".%s" : "%s", key);
        int rc = wrong_type(m, v, "a boolean");
        path_pop(m, old);
        return rc;
    }
    *out = json_is_true(v);
    *has = true;
    return 0;
}

static int check_count(mapper *m, size_t n, size_t limit, const char *name)
{
    if (n > limit)
        return fail(m, WH_ETOOBIG, "%zu entries are over the limit %s = %zu",
                    n, name, limit);
    return 0;
}

static int get_strlist(mapper *m, const json_t *obj, const char *key,
                       wh_strlist *out, bool *has)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    size_t old = path_push(m, m->plen ? ".%s" : "%s", key);
    int rc = 0;
    if (!json_is_array(v)) {
        rc = wrong_type(m, v, "an array of strings");
        goto done;
    }
    size_t n = json_array_size(v);
    if ((rc = check_count(m, n, m->lim->max_list, "max_list")))
        goto done;
    out->items = alloc_array(m, n, sizeof *out->items);
    if (n && !out->items) {
        rc = wh_err_set(m->err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        size_t o2 = path_push(m, "[%zu]", i);
        rc = take_string(m, json_array_get(v, i), &out->items[i]);
        path_pop(m, o2);
        if (rc)
            goto done;
    }
    out->n = n;
    *has = true;
done:
    path_pop(m, old);
    return rc;
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const wh_kv *)a)->key, ((const wh_kv *)b)->key);
}

static int get_kvmap(mapper *m, const json_t *obj, const char *key,
                     wh_kvmap *out, bool *has)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    size_t old = path_push(m, m->plen ? ".%s" : "%s", key);
    int rc = 0;
    if (!json_is_object(v)) {
        rc = wrong_type(m, v, "a table of strings");
        goto done;
    }
    size_t n = json_object_size(v);
    if ((rc = check_count(m, n, m->lim->max_list, "max_list")))
        goto done;
    out->items = alloc_array(m, n, sizeof *out->items);
    if (n && !out->items) {
        rc = wh_err_set(m->err, WH_ENOMEM, "out of memory");
        goto done;
    }
    const char *k;
    json_t *val;
    size_t i = 0;
    json_object_foreach(v, k, val) {
        if ((rc = take_key(m, k, &out->items[i].key)))
            goto done;
        size_t o2 = path_push(m, ".%s", k);
        rc = take_string(m, val, &out->items[i].value);
        path_pop(m, o2);
        if (rc)
            goto done;
        i++;
    }
    if (i > 1)
        qsort(out->items, i, sizeof *out->items, kv_cmp);
    out->n = i;
    *has = true;
done:
    path_pop(m, old);
    return rc;
}

/* Looks up an array-of-tables member and checks its count. */
static int get_table_array(mapper *m, const json_t *obj, const char *key,
                           size_t limit, const char *limit_name, json_t **v,
                           size_t *n)
{
    *v = json_object_get(obj, key);
    *n = 0;
    if (!*v)
        return 0;
    size_t old = path_push(m, "%s", key);
    int rc = 0;
    if (!json_is_array(*v))
        rc = wrong_type(m, *v, "an array of tables");
    else if (!(rc = check_count(m, json_array_size(*v), limit, limit_name)))
        *n = json_array_size(*v);
    path_pop(m, old);
    return rc;
}

static int feature_cmp(const void *a, const void *b)
{
    const wh_feature *x = a, *y = b;
    int c = strcmp(x->section, y->section);
    return c ? c : strcmp(x->name, y->name);
}

/* `feature` is SECTION -> NAME -> string; stored flattened. */
static int map_features(mapper *m, const json_t *label, wh_label *l)
{
    json_t *v = json_object_get(label, "feature");
    if (!v)
        return 0;
    size_t old = path_push(m, ".feature");
    int rc = 0;
    if (!json_is_object(v)) {
        rc = wrong_type(m, v, "a table of tables");
        goto done;
    }
    size_t total = 0;
    const char *sec;
    json_t *tbl;
    json_object_foreach(v, sec, tbl) {
        if ((rc = check_key(m, sec)))
            goto done;
        size_t o2 = path_push(m, ".%s", sec);
        if (!json_is_object(tbl))
            rc = wrong_type(m, tbl, "a table of strings");
        path_pop(m, o2);
        if (rc)
            goto done;
        total += json_object_size(tbl);
    }
    if ((rc = check_count(m, total, m->lim->max_list, "max_list")))
        goto done;
    l->features = alloc_array(m, total, sizeof *l->features);
    if (total && !l->features) {
        rc = wh_err_set(m->err, WH_ENOMEM, "out of memory");
        goto done;
    }
    size_t i = 0;
    json_object_foreach(v, sec, tbl) {
        char *section;
        if ((rc = take_key(m, sec, &section)))
            goto done;
        const char *name;
        json_t *val;
        json_object_foreach(tbl, name, val) {
            wh_feature *f = &l->features[i];
            f->section = section;
            if ((rc = take_key(m, name, &f->name)))
                goto done;
            size_t o2 = path_push(m, ".%s.%s", sec, name);
            rc = take_string(m, val, &f->value);
            path_pop(m, o2);
            if (rc)
                goto done;
            i++;
        }
    }
    if (i > 1)
        qsort(l->features, i, sizeof *l->features, feature_cmp);
    l->n_features = i;
done:
    path_pop(m, old);
    return rc;
}

static int map_label(mapper *m, const json_t *v, wh_label *l)
{
    static const char *const known[] = {"sha256", "mediaType", "name", "size",
                                        "annotations", "feature", "origin",
                                        NULL};
    int rc;
    if (!json_is_object(v))
        return wrong_type(m, v, "a table");
    if ((rc = check_fields(m, v, known)) ||
        (rc = get_string(m, v, "sha256", true, &l->sha256)) ||
        (rc = get_string(m, v, "mediaType", true, &l->media_type)) ||
        (rc = get_string(m, v, "name", true, &l->name)))
        return rc;
    json_t *size;
    if ((rc = member(m, v, "size", true, &size)))
        return rc;
    size_t old = path_push(m, ".size");
    if (!json_is_integer(size))
        rc = wrong_type(m, size, "a non-negative integer");
    else if (json_integer_value(size) < 0)
        rc = fail(m, WH_EINVAL, "expected a non-negative integer, got %lld",
                  (long long)json_integer_value(size));
    else
        l->size = (uint64_t)json_integer_value(size);
    path_pop(m, old);
    if (rc)
        return rc;
    if ((rc = get_kvmap(m, v, "annotations", &l->annotations,
                        &l->has_annotations)) ||
        (rc = map_features(m, v, l)) ||
        (rc = get_string(m, v, "origin", false, &l->origin)))
        return rc;
    return 0;
}

static int map_parcel(mapper *m, const json_t *v, wh_parcel *p)
{
    static const char *const known[] = {"label", "conditions", NULL};
    static const char *const cond_known[] = {"memberOf", "requires", NULL};
    int rc;
    if (!json_is_object(v))
        return wrong_type(m, v, "a table");
    if ((rc = check_fields(m, v, known)))
        return rc;
    json_t *label;
    if ((rc = member(m, v, "label", true, &label)))
        return rc;
    size_t old = path_push(m, ".label");
    rc = map_label(m, label, &p->label);
    path_pop(m, old);
    if (rc)
        return rc;
    json_t *cond = json_object_get(v, "conditions");
    if (!cond)
        return 0;
    old = path_push(m, ".conditions");
    if (!json_is_object(cond))
        rc = wrong_type(m, cond, "a table");
    else if (!(rc = check_fields(m, cond, cond_known)) &&
             !(rc = get_strlist(m, cond, "memberOf", &p->member_of,
                                &p->has_member_of)))
        rc = get_strlist(m, cond, "requires", &p->requires, &p->has_requires);
    path_pop(m, old);
    p->has_conditions = true;
    return rc;
}

static int map_group(mapper *m, const json_t *v, wh_group *g)
{
    static const char *const known[] = {"name", "required", "satisfiedBy",
                                        NULL};
    int rc;
    if (!json_is_object(v))
        return wrong_type(m, v, "a table");
    if ((rc = check_fields(m, v, known)) ||
        (rc = get_string(m, v, "name", true, &g->name)) ||
        (rc = get_bool(m, v, "required", &g->required, &g->has_required)))
        return rc;
    json_t *sb = json_object_get(v, "satisfiedBy");
    if (!sb)
        return 0;
    size_t old = path_push(m, ".satisfiedBy");
    const char *s = json_string_value(sb);
    if (!json_is_string(sb)) {
        rc = wrong_type(m, sb, "a string");
    } else if (strcmp(s, "allOf") == 0) {
        g->satisfied_by = WH_SATISFIED_ALL_OF;
    } else if (strcmp(s, "oneOf") == 0) {
        g->satisfied_by = WH_SATISFIED_ONE_OF;
    } else if (strcmp(s, "optional") == 0) {
        g->satisfied_by = WH_SATISFIED_OPTIONAL;
    } else {
        char q[WH_QUOTE_MAX];
        rc = fail(m, WH_EINVAL,
                  "expected \"allOf\", \"oneOf\" or \"optional\", got %s",
                  wh_str_quote(s, q));
    }
    path_pop(m, old);
    g->has_satisfied_by = rc == 0;
    return rc;
}

static int map_signature(mapper *m, const json_t *v, wh_signature *s)
{
    static const char *const known[] = {"by", "signature", "key", "role", "at",
                                        NULL};
    int rc;
    if (!json_is_object(v))
        return wrong_type(m, v, "a table");
    if ((rc = check_fields(m, v, known)) ||
        (rc = get_string(m, v, "by", true, &s->by)) ||
        (rc = get_string(m, v, "signature", true, &s->signature)) ||
        (rc = get_string(m, v, "key", true, &s->key)) ||
        (rc = get_string(m, v, "role", true, &s->role)))
        return rc;
    json_t *at;
    if ((rc = member(m, v, "at", true, &at)))
        return rc;
    if (!json_is_integer(at)) {
        size_t old = path_push(m, ".at");
        rc = wrong_type(m, at, "an integer (unix seconds)");
        path_pop(m, old);
        return rc;
    }
    s->at = (int64_t)json_integer_value(at);
    return 0;
}

/* Maps every element of an array of tables with `fn`, naming each KEY[i]. */
#define MAP_TABLES(m, arr, key, items, n, fn)                                \
    do {                                                                     \
        (items) = alloc_array((m), (n), sizeof *(items));                    \
        if ((n) && !(items)) {                                               \
            rc = wh_err_set((m)->err, WH_ENOMEM, "out of memory");           \
            goto done;                                                       \
        }                                                                    \
        for (size_t i_ = 0; i_ < (n); i_++) {                                \
            size_t old_ = path_push((m), "%s[%zu]", (key), i_);              \
            rc = fn((m), json_array_get((arr), i_), &(items)[i_]);           \
            path_pop((m), old_);                                             \
            if (rc)                                                          \
                goto done;                                                   \
        }                                                                    \
    } while (0)

static int map_bindle(mapper *m, const json_t *v, wh_invoice *inv)
{
    static const char *const known[] = {"name", "version", "authors",
                                        "description", NULL};
    int rc;
    if (!json_is_object(v))
        return wrong_type(m, v, "a table");
    if ((rc = check_fields(m, v, known)) ||
        (rc = get_string(m, v, "name", true, &inv->bindle.name)) ||
        (rc = get_string(m, v, "version", true, &inv->bindle.version)) ||
        (rc = get_strlist(m, v, "authors", &inv->bindle.authors,
                          &inv->bindle.has_authors)) ||
        (rc = get_string(m, v, "description", false,
                         &inv->bindle.description)))
        return rc;
    return 0;
}

int wh_invoice_from_json(const json_t *root, const wh_invoice_limits *limits,
                         wh_invoice **out, wh_err *err)
{
    static const char *const known[] = {
        "bindleVersion", "yanked", "yanked_reason", "yanked_signature",
        "bindle", "annotations", "parcel", "group", "signature", NULL};
    *out = NULL;
    wh_invoice *inv = wh_invoice_new();
    if (!inv)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    mapper mm = {.arena = &inv->arena,
                 .lim = limits ? limits : &wh_invoice_default_limits,
                 .err = err};
    mapper *m = &mm;
    int rc;
    if (!root || !json_is_object(root)) {
        rc = wh_err_set(err, WH_EINVAL, "an invoice must be a table, not %s",
                        root ? type_name(root) : "nothing");
        goto done;
    }
    if ((rc = check_fields(m, root, known)) ||
        (rc = get_string(m, root, "bindleVersion", true, &inv->bindle_version)) ||
        (rc = get_bool(m, root, "yanked", &inv->yanked, &inv->has_yanked)) ||
        (rc = get_string(m, root, "yanked_reason", false, &inv->yanked_reason)))
        goto done;

    json_t *arr;
    size_t n;
    if ((rc = get_table_array(m, root, "yanked_signature",
                              m->lim->max_signatures, "max_signatures", &arr,
                              &n)))
        goto done;
    if (arr) {
        MAP_TABLES(m, arr, "yanked_signature", inv->yanked_signatures, n,
                   map_signature);
        inv->n_yanked_signatures = n;
        inv->has_yanked_signatures = true;
    }

    json_t *bindle;
    if ((rc = member(m, root, "bindle", true, &bindle)))
        goto done;
    size_t old = path_push(m, "bindle");
    rc = map_bindle(m, bindle, inv);
    path_pop(m, old);
    if (rc)
        goto done;
    if ((rc = get_kvmap(m, root, "annotations", &inv->annotations,
                        &inv->has_annotations)))
        goto done;

    if ((rc = get_table_array(m, root, "parcel", m->lim->max_parcels,
                              "max_parcels", &arr, &n)))
        goto done;
    MAP_TABLES(m, arr, "parcel", inv->parcels, n, map_parcel);
    inv->n_parcels = n;

    if ((rc = get_table_array(m, root, "group", m->lim->max_groups,
                              "max_groups", &arr, &n)))
        goto done;
    MAP_TABLES(m, arr, "group", inv->groups, n, map_group);
    inv->n_groups = n;

    if ((rc = get_table_array(m, root, "signature", m->lim->max_signatures,
                              "max_signatures", &arr, &n)))
        goto done;
    MAP_TABLES(m, arr, "signature", inv->signatures, n, map_signature);
    inv->n_signatures = n;

done:
    if (rc) {
        wh_invoice_free(inv);
        return rc;
    }
    *out = inv;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The public parsers of invoice.h                                     */
/* ------------------------------------------------------------------ */

static int check_doc_size(size_t len, const wh_invoice_limits *lim,
                          wh_err *err)
{
    if (len > lim->max_bytes)
        return wh_err_set(err, WH_ETOOBIG,
                          "the invoice is %zu bytes, over the limit "
                          "max_bytes = %zu",
                          len, lim->max_bytes);
    return 0;
}

int wh_invoice_parse_toml(const char *buf, size_t len,
                          const wh_invoice_limits *limits, wh_invoice **out,
                          wh_err *err)
{
    const wh_invoice_limits *lim = limits ? limits : &wh_invoice_default_limits;
    json_t *root = NULL;
    *out = NULL;
    int rc = check_doc_size(len, lim, err);
    if (rc)
        return rc;
    rc = wh_toml_parse(buf, len, &root, err);
    if (rc) {
        wh_err_prefix(err, "invalid TOML");
        return rc;
    }
    rc = wh_invoice_from_json(root, lim, out, err);
    json_decref(root);
    return rc;
}

int wh_invoice_parse_json(const char *buf, size_t len,
                          const wh_invoice_limits *limits, wh_invoice **out,
                          wh_err *err)
{
    const wh_invoice_limits *lim = limits ? limits : &wh_invoice_default_limits;
    *out = NULL;
    int rc = check_doc_size(len, lim, err);
    if (rc)
        return rc;
    if (!buf)
        return wh_err_set(err, WH_EINVAL, "invalid JSON: no document");
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return wh_err_set(err, WH_ENOMEM, "out of memory parsing JSON");
        /* jansson quotes the input near the error byte for byte; keep the
         * message printable ASCII so that it can go into any response. */
        for (char *c = jerr.text; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7F)
                *c = '?';
        return wh_err_set(err, WH_EINVAL, "invalid JSON: line %d, column %d: %s",
                          jerr.line, jerr.column, jerr.text);
    }
    rc = wh_invoice_from_json(root, lim, out, err);
    json_decref(root);
    return rc;
}
