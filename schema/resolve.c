/*
 * resolve.c - runtime profiles and the resolver of SPEC.md section 1
 * (rules 1-4).  See resolve.h for the grammar of a profile and the
 * decisions taken where the SPEC is silent.
 *
 * The resolver is a fixed point over groups: a group becomes required at
 * most once, and a parcel is selected at most once, so a worklist of newly
 * required groups ends after at most one visit per group however the
 * `requires` edges are drawn, cycles included.  Which parcels a required
 * group selects depends only on eligibility and on the profile, never on
 * what else was selected, so the result does not depend on the order the
 * worklist is drained in; the errors of rule 4 are looked for in a fixed
 * order (requested groups, then parcels, then cycles, then groups) so the
 * message is deterministic too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "group_graph.h"
#include "invoice_json.h"
#include "resolve.h"
#include "utf8.h"

/* ------------------------------------------------------------------ */
/* Profiles                                                            */
/* ------------------------------------------------------------------ */

void wh_profile_init(wh_profile *p)
{
    memset(p, 0, sizeof *p);
}

void wh_profile_clear(wh_profile *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_features; i++) {
        free(p->features[i].section);
        free(p->features[i].name);
        free(p->features[i].value);
    }
    free(p->features);
    for (size_t i = 0; i < p->n_groups; i++)
        free(p->groups[i]);
    free(p->groups);
    free(p->target);
    wh_profile_init(p);
}

static bool has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return true;
    return false;
}

static int check_part(const char *text, const char *what, size_t len,
                      wh_err *err)
{
    char q[WH_QUOTE_MAX];
    if (len > WH_PROFILE_MAX_PART)
        return wh_err_set(err, WH_EINVAL,
                          "feature %s: its %s is %zu bytes long; at most %d are "
                          "allowed", wh_str_quote(text, q), what, len,
                          WH_PROFILE_MAX_PART);
    return 0;
}

int wh_profile_add_feature(wh_profile *p, const char *text, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    if (!p || !text)
        return wh_err_set(err, WH_EINVAL, "no feature given");
    size_t n = strlen(text);
    if (!wh_utf8_valid(text, n))
        return wh_err_set(err, WH_EINVAL, "feature %s is not UTF-8",
                          wh_str_quote(text, q));
    const char *eq = strchr(text, '=');
    if (!eq)
        return wh_err_set(err, WH_EINVAL,
                          "feature %s is not SECTION.NAME=VALUE: it has no '='",
                          wh_str_quote(text, q));
    const char *dot = memchr(text, '.', (size_t)(eq - text));
    if (!dot)
        return wh_err_set(err, WH_EINVAL,
                          "feature %s is not SECTION.NAME=VALUE: there is no "
                          "'.' before the '='", wh_str_quote(text, q));
    size_t slen = (size_t)(dot - text);
    size_t nlen = (size_t)(eq - dot - 1);
    size_t vlen = n - (size_t)(eq - text) - 1;
    if (slen == 0)
        return wh_err_set(err, WH_EINVAL,
                          "feature %s is not SECTION.NAME=VALUE: SECTION (before "
                          "the first '.') is empty", wh_str_quote(text, q));
    if (nlen == 0)
        return wh_err_set(err, WH_EINVAL,
                          "feature %s is not SECTION.NAME=VALUE: NAME (between "
                          "the first '.' and the first '=') is empty",
                          wh_str_quote(text, q));
    int rc;
    if ((rc = check_part(text, "SECTION", slen, err)) ||
        (rc = check_part(text, "NAME", nlen, err)) ||
        (rc = check_part(text, "VALUE", vlen, err)))
        return rc;
    if (has_control(text, (size_t)(eq - text)))
        return wh_err_set(err, WH_EINVAL,
                          "feature %s: SECTION and NAME must not hold control "
                          "characters", wh_str_quote(text, q));

    char *value = strndup(eq + 1, vlen);
    if (!value)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->n_features; i++) {
        wh_profile_feature *f = &p->features[i];
        if (strlen(f->section) == slen && memcmp(f->section, text, slen) == 0 &&
            strlen(f->name) == nlen && memcmp(f->name, dot + 1, nlen) == 0) {
            free(f->value);
            f->value = value;
            return 0;
        }
    }
    char *section = NULL, *name = NULL;
    if (p->n_features >= WH_PROFILE_MAX_FEATURES) {
        rc = wh_err_set(err, WH_EINVAL,
                        "feature %s is one too many: a profile sets at most %d "
                        "features", wh_str_quote(text, q), WH_PROFILE_MAX_FEATURES);
        goto fail;
    }
    wh_profile_feature *grown =
        realloc(p->features, (p->n_features + 1) * sizeof *grown);
    if (!grown)
        goto oom;
    p->features = grown;
    section = strndup(text, slen);
    name = strndup(dot + 1, nlen);
    if (!section || !name)
        goto oom;
    p->features[p->n_features++] = (wh_profile_feature){section, name, value};
    return 0;
oom:
    rc = wh_err_set(err, WH_ENOMEM, "out of memory");
fail:
    free(section);
    free(name);
    free(value);
    return rc;
}

int wh_profile_add_group(wh_profile *p, const char *name, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    if (!p || !name)
        return wh_err_set(err, WH_EINVAL, "no group given");
    size_t n = strlen(name);
    if (n == 0)
        return wh_err_set(err, WH_EINVAL, "the requested group name is empty");
    if (n > WH_PROFILE_MAX_PART)
        return wh_err_set(err, WH_EINVAL,
                          "group %s is %zu bytes long; at most %d are allowed",
                          wh_str_quote(name, q), n, WH_PROFILE_MAX_PART);
    if (!wh_utf8_valid(name, n) || has_control(name, n))
        return wh_err_set(err, WH_EINVAL,
                          "group %s must be UTF-8 without control characters",
                          wh_str_quote(name, q));
    for (size_t i = 0; i < p->n_groups; i++)
        if (strcmp(p->groups[i], name) == 0)
            return 0;
    if (p->n_groups >= WH_PROFILE_MAX_GROUPS)
        return wh_err_set(err, WH_EINVAL,
                          "group %s is one too many: a profile requests at most "
                          "%d groups", wh_str_quote(name, q), WH_PROFILE_MAX_GROUPS);
    char **grown = realloc(p->groups, (p->n_groups + 1) * sizeof *grown);
    if (!grown)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    p->groups = grown;
    if (!(p->groups[p->n_groups] = strdup(name)))
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    p->n_groups++;
    return 0;
}

int wh_profile_set_target(wh_profile *p, const char *triple, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    if (!p || !triple)
        return wh_err_set(err, WH_EINVAL, "no target given");
    size_t n = strlen(triple);
    if (n == 0 || n > WH_PROFILE_MAX_TARGET)
        return wh_err_set(err, WH_EINVAL,
                          "target %s is %zu bytes long; a target triple is 1 to "
                          "%d bytes", wh_str_quote(triple, q), n,
                          WH_PROFILE_MAX_TARGET);
    for (size_t i = 0; i < n; i++) {
        char c = triple[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '+' || c == '-'))
            return wh_err_set(err, WH_EINVAL,
                              "target %s holds a character other than a-z, 0-9, "
                              "'_', '.', '+' and '-' at byte %zu",
                              wh_str_quote(triple, q), i);
    }
    char *copy = strdup(triple);
    if (!copy)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    free(p->target);
    p->target = copy;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Rule 1: eligibility                                                 */
/* ------------------------------------------------------------------ */

static const char *profile_value(const wh_profile *prof, const char *section,
                                 const char *name)
{
    for (size_t i = 0; prof && i < prof->n_features; i++)
        if (strcmp(prof->features[i].section, section) == 0 &&
            strcmp(prof->features[i].name, name) == 0)
            return prof->features[i].value;
    return NULL;
}

bool wh_resolve_eligible(const wh_label *label, const wh_profile *prof)
{
    for (size_t i = 0; i < label->n_features; i++) {
        const wh_feature *f = &label->features[i];
        /* Only an unvalidated invoice has holes; nothing can match them. */
        if (!f->section || !f->name || !f->value)
            return false;
        const char *v = profile_value(prof, f->section, f->name);
        if (!v || strcmp(v, f->value) != 0)
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* The resolver's state                                                */
/* ------------------------------------------------------------------ */

typedef struct gref {
    const char *name;
    size_t idx;
} gref;

/* Lists of indices per item, packed: item i's are at[off[i] .. off[i+1]). */
typedef struct packed {
    size_t *off;
    size_t *at;
} packed;

typedef struct resolver {
    const wh_invoice *inv;
    const wh_profile *prof;
    size_t ng;
    gref *index;          /* defined group names, sorted, for lookups */
    size_t n_index;
    packed member;        /* per parcel: the groups it is a member of */
    packed needs;         /* per parcel: the groups it requires */
    packed parcels;       /* per group: its member parcels, invoice order */
    bool *eligible;       /* per parcel */
    bool *requested;      /* per group */
    bool *required;       /* per group */
    size_t *work;         /* groups required but not yet applied */
    size_t n_work;
    bool *selected;       /* the caller's */
} resolver;

static int gref_cmp(const void *a, const void *b)
{
    const gref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The index of the first [[group]] with that name; -1 when none. */
static long find_group(const resolver *r, const char *name)
{
    if (!name)
        return -1;
    size_t lo = 0, hi = r->n_index;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(r->index[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < r->n_index && strcmp(r->index[lo].name, name) == 0)
        return (long)r->index[lo].idx;
    return -1;
}

static void *alloc_array(size_t n, size_t size)
{
    return calloc(n ? n : 1, size);
}

static int build_index(resolver *r, wh_err *err)
{
    r->index = alloc_array(r->ng, sizeof *r->index);
    if (!r->index)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t g = 0; g < r->ng; g++)
        if (r->inv->groups[g].name)
            r->index[r->n_index++] = (gref){r->inv->groups[g].name, g};
    qsort(r->index, r->n_index, sizeof *r->index, gref_cmp);
    return 0;
}

static int check_requested(resolver *r, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    for (size_t i = 0; r->prof && i < r->prof->n_groups; i++) {
        long g = find_group(r, r->prof->groups[i]);
        if (g < 0)
            return wh_err_set(err, WH_EINVAL,
                              "the profile requests group %s, which this invoice "
                              "does not define", wh_str_quote(r->prof->groups[i], q));
        r->requested[g] = true;
    }
    return 0;
}

/* Packs the group indices that one list per parcel names (memberOf or
 * requires), refusing a name that no [[group]] defines. */
static int pack_lists(resolver *r, packed *pk, bool requires, wh_err *err)
{
    const wh_invoice *inv = r->inv;
    size_t total = 0;
    for (size_t i = 0; i < inv->n_parcels; i++) {
        const wh_parcel *p = &inv->parcels[i];
        total += requires ? p->requires.n : p->member_of.n;
    }
    pk->off = calloc(inv->n_parcels + 1, sizeof *pk->off);
    pk->at = alloc_array(total, sizeof *pk->at);
    if (!pk->off || !pk->at)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < inv->n_parcels; i++) {
        const wh_parcel *p = &inv->parcels[i];
        const wh_strlist *l = requires ? &p->requires : &p->member_of;
        for (size_t j = 0; j < l->n; j++) {
            long g = find_group(r, l->items[j]);
            if (g < 0) {
                char qn[WH_QUOTE_MAX], qg[WH_QUOTE_MAX];
                return wh_err_set(err, WH_EINVAL,
                                  "parcel[%zu] (name %s): conditions.%s names "
                                  "group %s, which no [[group]] defines",
                                  i, wh_str_quote(p->label.name, qn),
                                  requires ? "requires" : "memberOf",
                                  wh_str_quote(l->items[j], qg));
            }
            pk->at[k++] = (size_t)g;
        }
        pk->off[i + 1] = k;
    }
    return 0;
}

/* Inverts `member` into the parcels of each group, keeping invoice order. */
static int pack_group_parcels(resolver *r, wh_err *err)
{
    size_t np = r->inv->n_parcels, total = r->member.off[np];
    r->parcels.off = calloc(r->ng + 1, sizeof *r->parcels.off);
    r->parcels.at = alloc_array(total, sizeof *r->parcels.at);
    size_t *fill = alloc_array(r->ng, sizeof *fill);
    int rc = 0;
    if (!r->parcels.off || !r->parcels.at || !fill) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < total; k++)
        r->parcels.off[r->member.at[k] + 1]++;
    for (size_t g = 0; g < r->ng; g++) {
        r->parcels.off[g + 1] += r->parcels.off[g];
        fill[g] = r->parcels.off[g];
    }
    for (size_t i = 0; i < np; i++)
        for (size_t k = r->member.off[i]; k < r->member.off[i + 1]; k++)
            r->parcels.at[fill[r->member.at[k]]++] = i;
done:
    free(fill);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Rule 4: cycles of requires                                          */
/* ------------------------------------------------------------------ */

/* "group "a" is in a cycle of requires: "a" -> "b" -> "a"", with whole
 * names only, so that a long ring is cut cleanly. */
static int cycle_error(const resolver *r, const size_t *cycle, size_t len, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    char path[WH_ERR_MSG_MAX - 2 * WH_QUOTE_MAX];
    size_t o = 0;
    bool cut = false;
    path[0] = '\0';
    for (size_t k = 0; k <= len && !cut; k++) {
        size_t g = cycle[k < len ? k : 0];
        const char *sep = k < len ? " -> " : "";
        size_t need = strlen(wh_str_quote(r->inv->groups[g].name, q)) + strlen(sep);
        if (o + need + 4 >= sizeof path) {
            memcpy(path + o, "...", 4);
            cut = true;
        } else {
            memcpy(path + o, q, strlen(q));
            memcpy(path + o + strlen(q), sep, strlen(sep) + 1);
            o += need;
        }
    }
    return wh_err_set(err, WH_EINVAL, "group %s is in a cycle of requires: %s",
                      wh_str_quote(r->inv->groups[cycle[0]].name, q), path);
}

/* Refuses a cycle of requires (group_graph.h): the first in group order. */
static int check_cycles(const resolver *r, wh_err *err)
{
    size_t ng = r->ng, np = r->inv->n_parcels;
    wh_group_graph g;
    size_t *cycle = NULL, len = 0;
    int rc = wh_group_graph_init(&g, ng, err);
    if (rc || ng == 0)
        return rc;
    for (size_t i = 0; i < np; i++)
        for (size_t m = r->member.off[i]; m < r->member.off[i + 1]; m++)
            for (size_t q = r->needs.off[i]; q < r->needs.off[i + 1]; q++)
                wh_group_graph_edge(&g, r->member.at[m], r->needs.at[q]);
    cycle = malloc(ng * sizeof *cycle);
    rc = cycle ? wh_group_graph_cycle(&g, cycle, &len, err)
               : wh_err_set(err, WH_ENOMEM, "out of memory");
    if (rc == 1)
        rc = cycle_error(r, cycle, len, err);
    free(cycle);
    wh_group_graph_free(&g);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Rules 2 and 3: the fixed point                                      */
/* ------------------------------------------------------------------ */

static void require_group(resolver *r, size_t g)
{
    if (r->required[g])
        return;
    r->required[g] = true;
    r->work[r->n_work++] = g;
}

static void select_parcel(resolver *r, size_t i)
{
    if (r->selected[i])
        return;
    r->selected[i] = true;
    for (size_t k = r->needs.off[i]; k < r->needs.off[i + 1]; k++)
        require_group(r, r->needs.at[k]);
}

/* The oneOf choice: the eligible member whose label carries the most
 * features (all of which the profile matches, since it is eligible), the
 * first in invoice order on a tie.  SIZE_MAX when none is eligible. */
static size_t one_of_choice(const resolver *r, size_t g)
{
    size_t best = SIZE_MAX, best_score = 0;
    for (size_t k = r->parcels.off[g]; k < r->parcels.off[g + 1]; k++) {
        size_t i = r->parcels.at[k];
        size_t score = r->inv->parcels[i].label.n_features;
        if (r->eligible[i] && (best == SIZE_MAX || score > best_score)) {
            best = i;
            best_score = score;
        }
    }
    return best;
}

static void apply_group(resolver *r, size_t g)
{
    switch (r->inv->groups[g].satisfied_by) {
    case WH_SATISFIED_ONE_OF: {
        size_t i = one_of_choice(r, g);
        if (i != SIZE_MAX)
            select_parcel(r, i);
        return;
    }
    case WH_SATISFIED_OPTIONAL:
        if (!r->requested[g])
            return;
        break;
    case WH_SATISFIED_ALL_OF:
    default:
        break;
    }
    for (size_t k = r->parcels.off[g]; k < r->parcels.off[g + 1]; k++)
        if (r->eligible[r->parcels.at[k]])
            select_parcel(r, r->parcels.at[k]);
}

static int fixed_point(resolver *r, wh_err *err)
{
    const wh_invoice *inv = r->inv;
    char q[WH_QUOTE_MAX];
    for (size_t g = 0; g < r->ng; g++)
        if (inv->groups[g].required || r->requested[g])
            require_group(r, g);
    /* The global group: always required, allOf. */
    for (size_t i = 0; i < inv->n_parcels; i++)
        if (r->member.off[i] == r->member.off[i + 1] && r->eligible[i])
            select_parcel(r, i);
    while (r->n_work)
        apply_group(r, r->work[--r->n_work]);
    for (size_t g = 0; g < r->ng; g++) {
        if (!r->required[g] || inv->groups[g].satisfied_by != WH_SATISFIED_ONE_OF ||
            one_of_choice(r, g) != SIZE_MAX)
            continue;
        size_t members = r->parcels.off[g + 1] - r->parcels.off[g];
        return wh_err_set(err, WH_EINVAL,
                          "group %s is required and oneOf, but none of its %zu "
                          "parcel%s is eligible under this profile (each needs "
                          "features that the profile does not set to the "
                          "label's values)",
                          wh_str_quote(inv->groups[g].name, q), members,
                          members == 1 ? "" : "s");
    }
    return 0;
}

int wh_resolve(const wh_invoice *inv, const wh_profile *prof, bool *selected,
               wh_err *err)
{
    if (!inv)
        return wh_err_set(err, WH_EINVAL, "no invoice to resolve");
    if (!selected && inv->n_parcels)
        return wh_err_set(err, WH_EINVAL, "no array for the selected parcels");
    if (inv->n_parcels)
        memset(selected, 0, inv->n_parcels * sizeof *selected);
    resolver r = {.inv = inv, .prof = prof, .ng = inv->n_groups, .selected = selected};
    int rc = build_index(&r, err);
    if (rc)
        goto done;
    r.eligible = alloc_array(inv->n_parcels, sizeof *r.eligible);
    r.requested = alloc_array(r.ng, sizeof *r.requested);
    r.required = alloc_array(r.ng, sizeof *r.required);
    r.work = alloc_array(r.ng, sizeof *r.work);
    if (!r.eligible || !r.requested || !r.required || !r.work) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = check_requested(&r, err)) ||
        (rc = pack_lists(&r, &r.member, false, err)) ||
        (rc = pack_lists(&r, &r.needs, true, err)) ||
        (rc = pack_group_parcels(&r, err)) ||
        (rc = check_cycles(&r, err)))
        goto done;
    for (size_t i = 0; i < inv->n_parcels; i++)
        r.eligible[i] = wh_resolve_eligible(&inv->parcels[i].label, prof);
    rc = fixed_point(&r, err);
done:
    if (rc && inv->n_parcels)
        memset(selected, 0, inv->n_parcels * sizeof *selected);
    free(r.index);
    free(r.member.off);
    free(r.member.at);
    free(r.needs.off);
    free(r.needs.at);
    free(r.parcels.off);
    free(r.parcels.at);
    free(r.eligible);
    free(r.requested);
    free(r.required);
    free(r.work);
    return rc;
}
