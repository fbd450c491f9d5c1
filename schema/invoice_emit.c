/*
 * invoice_emit.c - writing an invoice: wh_invoice -> json_t, and the TOML /
 * JSON emit functions of invoice.h on top of it; see invoice_json.h.
 * Reading is in invoice_json.c.  The two share no code: the writer trusts
 * its input (an invoice already in memory), so it needs none of the reader's
 * limits or error paths, and either can be read without the other.
 */
#include "invoice_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

/* ------------------------------------------------------------------ */
/* invoice -> JSON                                                     */
/* ------------------------------------------------------------------ */

/* Each helper returns -1 when the value cannot be built (out of memory or
 * not UTF-8); the public functions turn that into NULL. */

static int put_new(json_t *obj, const char *key, json_t *v)
{
    return v ? json_object_set_new(obj, key, v) : -1;
}

static int put_string(json_t *obj, const char *key, const char *s)
{
    return s ? put_new(obj, key, json_string(s)) : 0;
}

static json_t *strlist_json(const wh_strlist *l)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        if (json_array_append_new(a, json_string(l->items[i]))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *kvmap_json(const wh_kvmap *map)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < map->n; i++) {
        if (put_string(o, map->items[i].key, map->items[i].value)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *features_json(const wh_label *l)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < l->n_features; i++) {
        const wh_feature *f = &l->features[i];
        json_t *sec = json_object_get(o, f->section);
        if (!sec) {
            sec = json_object();
            if (put_new(o, f->section, sec))
                goto fail;
        }
        if (put_string(sec, f->name, f->value))
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

json_t *wh_label_to_json(const wh_label *l)
{
    if (l->size > (uint64_t)INT64_MAX)
        return NULL;
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (put_string(o, "sha256", l->sha256) ||
        put_string(o, "mediaType", l->media_type) ||
        put_string(o, "name", l->name) ||
        put_new(o, "size", json_integer((json_int_t)l->size)) ||
        ((l->has_annotations || l->annotations.n) &&
         put_new(o, "annotations", kvmap_json(&l->annotations))) ||
        (l->n_features && put_new(o, "feature", features_json(l))) ||
        put_string(o, "origin", l->origin)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *wh_signature_to_json(const wh_signature *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (put_string(o, "by", s->by) ||
        put_string(o, "signature", s->signature) ||
        put_string(o, "key", s->key) || put_string(o, "role", s->role) ||
        put_new(o, "at", json_integer((json_int_t)s->at))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *parcel_json(const wh_parcel *p)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (put_new(o, "label", wh_label_to_json(&p->label)))
        goto fail;
    if (p->has_conditions || p->has_member_of || p->has_requires ||
        p->member_of.n || p->requires.n) {
        json_t *c = json_object();
        if (put_new(o, "conditions", c))
            goto fail;
        if (((p->has_member_of || p->member_of.n) &&
             put_new(c, "memberOf", strlist_json(&p->member_of))) ||
            ((p->has_requires || p->requires.n) &&
             put_new(c, "requires", strlist_json(&p->requires))))
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

static const char *satisfied_by_name(wh_satisfied_by s)
{
    switch (s) {
    case WH_SATISFIED_ONE_OF: return "oneOf";
    case WH_SATISFIED_OPTIONAL: return "optional";
    case WH_SATISFIED_ALL_OF: break;
    }
    return "allOf";
}

static json_t *group_json(const wh_group *g)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (put_string(o, "name", g->name) ||
        ((g->has_required || g->required) &&
         put_new(o, "required", json_boolean(g->required))) ||
        ((g->has_satisfied_by || g->satisfied_by != WH_SATISFIED_ALL_OF) &&
         put_string(o, "satisfiedBy", satisfied_by_name(g->satisfied_by)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Builds the array of `n` elements made by `fn` and stores it under key. */
#define PUT_ARRAY(obj, key, items, n, fn)                                    \
    do {                                                                     \
        json_t *a_ = json_array();                                           \
        if (put_new((obj), (key), a_))                                       \
            goto fail;                                                       \
        for (size_t i_ = 0; i_ < (n); i_++)                                  \
            if (json_array_append_new(a_, fn(&(items)[i_])))                 \
                goto fail;                                                   \
    } while (0)

json_t *wh_invoice_to_json(const wh_invoice *inv)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (put_string(o, "bindleVersion", inv->bindle_version))
        goto fail;
    if ((inv->has_yanked || inv->yanked) &&
        put_new(o, "yanked", json_boolean(inv->yanked)))
        goto fail;
    if (put_string(o, "yanked_reason", inv->yanked_reason))
        goto fail;
    if (inv->has_yanked_signatures || inv->n_yanked_signatures)
        PUT_ARRAY(o, "yanked_signature", inv->yanked_signatures,
                  inv->n_yanked_signatures, wh_signature_to_json);

    json_t *b = json_object();
    if (put_new(o, "bindle", b) ||
        put_string(b, "name", inv->bindle.name) ||
        put_string(b, "version", inv->bindle.version) ||
        ((inv->bindle.has_authors || inv->bindle.authors.n) &&
         put_new(b, "authors", strlist_json(&inv->bindle.authors))) ||
        put_string(b, "description", inv->bindle.description))
        goto fail;
    if ((inv->has_annotations || inv->annotations.n) &&
        put_new(o, "annotations", kvmap_json(&inv->annotations)))
        goto fail;
    if (inv->n_parcels)
        PUT_ARRAY(o, "parcel", inv->parcels, inv->n_parcels, parcel_json);
    if (inv->n_groups)
        PUT_ARRAY(o, "group", inv->groups, inv->n_groups, group_json);
    if (inv->n_signatures)
        PUT_ARRAY(o, "signature", inv->signatures, inv->n_signatures,
                  wh_signature_to_json);
    return o;
fail:
    json_decref(o);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* The public emitters of invoice.h                                    */
/* ------------------------------------------------------------------ */

/* The only way to_json fails on a well-formed invoice is memory; say which
 * field made it fail otherwise, since a caller-built invoice can hold
 * anything. */
static int explain_to_json_failure(const wh_invoice *inv, wh_err *err)
{
    for (size_t i = 0; i < inv->n_parcels; i++)
        if (inv->parcels[i].label.size > (uint64_t)INT64_MAX)
            return wh_err_set(err, WH_EINVAL,
                              "parcel[%zu].label.size: %llu is over 2^63-1", i,
                              (unsigned long long)inv->parcels[i].label.size);
    return wh_err_set(err, WH_ENOMEM,
                      "cannot build the invoice's JSON: out of memory or a "
                      "string that is not valid UTF-8");
}

/* The compact JSON text of a tree, in one pass (json_dumps sizes as it
 * writes; json_dumpb would need a first pass to learn the size). */
static int dump_json(const json_t *root, char **out, size_t *len, wh_err *err)
{
    char *buf = json_dumps(root, JSON_COMPACT);
    if (!buf)
        return wh_err_set(err, WH_ENOMEM, "out of memory writing JSON");
    *out = buf;
    if (len)
        *len = strlen(buf);
    return 0;
}

int wh_invoice_emit_both(const wh_invoice *inv, char **toml, size_t *toml_len, char **json,
                         size_t *json_len, wh_err *err)
{
    *toml = *json = NULL;
    json_t *root = wh_invoice_to_json(inv);
    if (!root)
        return explain_to_json_failure(inv, err);
    int rc = wh_toml_emit(root, toml, toml_len, err);
    if (!rc)
        rc = dump_json(root, json, json_len, err);
    if (rc) {
        free(*toml);
        *toml = NULL;
    }
    json_decref(root);
    return rc;
}

int wh_invoice_emit_toml(const wh_invoice *inv, char **out, size_t *len,
                         wh_err *err)
{
    *out = NULL;
    if (len)
        *len = 0;
    json_t *root = wh_invoice_to_json(inv);
    if (!root)
        return explain_to_json_failure(inv, err);
    int rc = wh_toml_emit(root, out, len, err);
    json_decref(root);
    return rc;
}

int wh_invoice_emit_json(const wh_invoice *inv, char **out, size_t *len,
                         wh_err *err)
{
    *out = NULL;
    if (len)
        *len = 0;
    json_t *root = wh_invoice_to_json(inv);
    if (!root)
        return explain_to_json_failure(inv, err);
    int rc = dump_json(root, out, len, err);
    json_decref(root);
    return rc;
}
