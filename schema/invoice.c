/*
 * invoice.c - the life cycle of a wh_invoice, its lookups and its
 * structural equality; see invoice.h.  The codecs live in invoice_json.c
 * (reading) and invoice_emit.c (writing), the rules in invoice_validate.c.
 */
#include "invoice.h"

#include <stdlib.h>
#include <string.h>

const wh_invoice_limits wh_invoice_default_limits = {
    .max_bytes = 1024 * 1024,
    .max_parcels = 10000,
    .max_groups = 1000,
    .max_signatures = 100,
    .max_string = 64 * 1024,
    .max_list = 1000,
};

wh_invoice *wh_invoice_new(void)
{
    wh_invoice *inv = calloc(1, sizeof *inv);
    if (inv)
        wh_arena_init(&inv->arena, 0);
    return inv;
}

void wh_invoice_free(wh_invoice *inv)
{
    if (!inv)
        return;
    wh_arena_free(&inv->arena);
    free(inv);
}

const char *wh_kvmap_get(const wh_kvmap *m, const char *key)
{
    for (size_t i = 0; m && i < m->n; i++)
        if (strcmp(m->items[i].key, key) == 0)
            return m->items[i].value;
    return NULL;
}

const wh_parcel *wh_invoice_find_parcel(const wh_invoice *inv,
                                        const char *sha256)
{
    if (!inv || !sha256)
        return NULL;
    for (size_t i = 0; i < inv->n_parcels; i++) {
        const char *s = inv->parcels[i].label.sha256;
        if (s && strcmp(s, sha256) == 0)
            return &inv->parcels[i];
    }
    return NULL;
}

/* Two absent strings are equal; an absent and an empty one are not. */
static bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool strlist_eq(const wh_strlist *a, const wh_strlist *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!str_eq(a->items[i], b->items[i]))
            return false;
    return true;
}

static bool kvmap_eq(const wh_kvmap *a, const wh_kvmap *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!str_eq(a->items[i].key, b->items[i].key) ||
            !str_eq(a->items[i].value, b->items[i].value))
            return false;
    return true;
}

static bool label_eq(const wh_label *a, const wh_label *b)
{
    if (!str_eq(a->sha256, b->sha256) || !str_eq(a->media_type, b->media_type) ||
        !str_eq(a->name, b->name) || a->size != b->size ||
        a->has_annotations != b->has_annotations ||
        !kvmap_eq(&a->annotations, &b->annotations) ||
        a->n_features != b->n_features || !str_eq(a->origin, b->origin))
        return false;
    for (size_t i = 0; i < a->n_features; i++) {
        const wh_feature *x = &a->features[i], *y = &b->features[i];
        if (!str_eq(x->section, y->section) || !str_eq(x->name, y->name) ||
            !str_eq(x->value, y->value))
            return false;
    }
    return true;
}

static bool parcel_eq(const wh_parcel *a, const wh_parcel *b)
{
    return label_eq(&a->label, &b->label) &&
           a->has_conditions == b->has_conditions &&
           a->has_member_of == b->has_member_of &&
           strlist_eq(&a->member_of, &b->member_of) &&
           a->has_requires == b->has_requires &&
           strlist_eq(&a->requires, &b->requires);
}

static bool group_eq(const wh_group *a, const wh_group *b)
{
    return str_eq(a->name, b->name) && a->required == b->required &&
           a->has_required == b->has_required &&
           a->satisfied_by == b->satisfied_by &&
           a->has_satisfied_by == b->has_satisfied_by;
}

static bool signature_eq(const wh_signature *a, const wh_signature *b)
{
    return str_eq(a->by, b->by) && str_eq(a->signature, b->signature) &&
           str_eq(a->key, b->key) && str_eq(a->role, b->role) && a->at == b->at;
}

bool wh_invoice_equal(const wh_invoice *a, const wh_invoice *b)
{
    if (!a || !b)
        return a == b;
    if (!str_eq(a->bindle_version, b->bindle_version) ||
        a->yanked != b->yanked || a->has_yanked != b->has_yanked ||
        !str_eq(a->yanked_reason, b->yanked_reason) ||
        a->has_yanked_signatures != b->has_yanked_signatures ||
        a->n_yanked_signatures != b->n_yanked_signatures ||
        !str_eq(a->bindle.name, b->bindle.name) ||
        !str_eq(a->bindle.version, b->bindle.version) ||
        a->bindle.has_authors != b->bindle.has_authors ||
        !strlist_eq(&a->bindle.authors, &b->bindle.authors) ||
        !str_eq(a->bindle.description, b->bindle.description) ||
        a->has_annotations != b->has_annotations ||
        !kvmap_eq(&a->annotations, &b->annotations) ||
        a->n_parcels != b->n_parcels || a->n_groups != b->n_groups ||
        a->n_signatures != b->n_signatures)
        return false;
    for (size_t i = 0; i < a->n_yanked_signatures; i++)
        if (!signature_eq(&a->yanked_signatures[i], &b->yanked_signatures[i]))
            return false;
    for (size_t i = 0; i < a->n_parcels; i++)
        if (!parcel_eq(&a->parcels[i], &b->parcels[i]))
            return false;
    for (size_t i = 0; i < a->n_groups; i++)
        if (!group_eq(&a->groups[i], &b->groups[i]))
            return false;
    for (size_t i = 0; i < a->n_signatures; i++)
        if (!signature_eq(&a->signatures[i], &b->signatures[i]))
            return false;
    return true;
}
