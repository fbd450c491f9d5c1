/*
 * fuzz_resolve.c - wh_resolve on whatever wh_invoice_parse_toml accepts,
 * never validated first, so that the resolver's own checks (undefined
 * groups, cycles) are what stands between it and a crash or a loop.
 *
 * The profile comes from the input too, two ways:
 *  - comment lines "#f S.N=V", "#g GROUP" and "#t TRIPLE" go through the
 *    profile parsers as they are (TOML ignores them);
 *  - the input's last bytes, read backwards as bits, decide for each label
 *    feature in turn whether the profile sets it to the label's value, to
 *    another one, or not at all, and for each group whether it is
 *    requested, so that the resolver sees profiles that fit the invoice.
 *
 * Invariants: a refusal leaves nothing selected and carries a proper
 * message; a success selects only parcels eligible under rule 1 (checked
 * here independently of the resolver), selects every eligible parcel of the
 * global group, and is the same when asked twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/invoice.h"
#include "schema/resolve.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bits taken from the end of the input backwards; zeros once it runs out. */
typedef struct bits {
    const uint8_t *data;
    size_t left;
    unsigned cur, n;
} bits;

static unsigned take(bits *b, unsigned n)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!b->n) {
            b->cur = b->left ? b->data[--b->left] : 0;
            b->n = 8;
        }
        v = (v << 1) | (b->cur & 1);
        b->cur >>= 1;
        b->n--;
    }
    return v;
}

static void expect_ok_or_message(int rc, const wh_err *err)
{
    if (rc)
        check_message(err);
}

/* The "#f", "#g" and "#t" comment lines, at most 16 of them. */
static void profile_from_comments(wh_profile *p, const uint8_t *data, size_t size)
{
    char line[600];
    size_t used = 0;
    for (size_t i = 0; i < size && used < 16;) {
        size_t end = i;
        while (end < size && data[end] != '\n')
            end++;
        size_t len = end - i;
        if (len >= 3 && data[i] == '#' && data[i + 2] == ' ' &&
            (data[i + 1] == 'f' || data[i + 1] == 'g' || data[i + 1] == 't') &&
            len - 3 < sizeof line && !memchr(data + i, '\0', len)) {
            memcpy(line, data + i + 3, len - 3);
            line[len - 3] = '\0';
            wh_err err = {0};
            int rc = data[i + 1] == 'f'   ? wh_profile_add_feature(p, line, &err)
                     : data[i + 1] == 'g' ? wh_profile_add_group(p, line, &err)
                                          : wh_profile_set_target(p, line, &err);
            expect_ok_or_message(rc, &err);
            used++;
        }
        i = end + 1;
    }
}

/* Profile choices that fit the invoice, steered by the input's last bytes. */
static void profile_from_bits(wh_profile *p, const wh_invoice *inv,
                              const uint8_t *data, size_t size)
{
    bits b = {data, size < 16 ? size : 16, 0, 0};
    char text[3 * 300];
    for (size_t i = 0; i < inv->n_parcels && i < 16; i++) {
        const wh_label *l = &inv->parcels[i].label;
        for (size_t j = 0; j < l->n_features && j < 4; j++) {
            const wh_feature *f = &l->features[j];
            unsigned how = take(&b, 2);
            if (how == 0 || !f->section || !f->name || !f->value)
                continue;
            snprintf(text, sizeof text, "%s.%s=%s%s", f->section, f->name, f->value,
                     how == 1 ? "-other" : "");
            wh_err err = {0};
            expect_ok_or_message(wh_profile_add_feature(p, text, &err), &err);
        }
    }
    for (size_t g = 0; g < inv->n_groups && g < 16; g++) {
        if (!take(&b, 1) || !inv->groups[g].name)
            continue;
        wh_err err = {0};
        expect_ok_or_message(wh_profile_add_group(p, inv->groups[g].name, &err), &err);
    }
}

/* Rule 1, written out again so that the resolver is not its own judge. */
static bool eligible(const wh_label *l, const wh_profile *p)
{
    for (size_t i = 0; i < l->n_features; i++) {
        const wh_feature *f = &l->features[i];
        bool ok = false;
        for (size_t j = 0; f->section && f->name && f->value && j < p->n_features; j++)
            if (!strcmp(p->features[j].section, f->section) &&
                !strcmp(p->features[j].name, f->name))
                ok = !strcmp(p->features[j].value, f->value);
        if (!ok)
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wh_invoice *inv = NULL;
    wh_err err = {0};
    if (wh_invoice_parse_toml((const char *)data, size, NULL, &inv, &err)) {
        check_message(&err);
        return 0;
    }
    wh_profile prof;
    wh_profile_init(&prof);
    profile_from_comments(&prof, data, size);
    profile_from_bits(&prof, inv, data, size);

    size_t n = inv->n_parcels;
    bool *sel = calloc(n + 1, sizeof *sel), *again = calloc(n + 1, sizeof *again);
    if (!sel || !again)
        abort();
    wh_err_clear(&err);
    int rc = wh_resolve(inv, &prof, sel, &err);
    if (rc) {
        check_message(&err);
        for (size_t i = 0; i < n; i++)
            if (sel[i])
                broken("a refusal left a parcel selected", &err);
    } else {
        for (size_t i = 0; i < n; i++) {
            const wh_parcel *p = &inv->parcels[i];
            bool ok = eligible(&p->label, &prof);
            if (sel[i] && !ok)
                broken("selected a parcel that rule 1 makes ineligible", &err);
            if (!sel[i] && ok && p->member_of.n == 0)
                broken("left out an eligible parcel of the global group", &err);
        }
    }
    wh_err err2 = {0};
    if (wh_resolve(inv, &prof, again, &err2) != rc || memcmp(sel, again, n) != 0 ||
        strcmp(err.msg, err2.msg) != 0)
        broken("a second resolution differs", &err2);
    free(sel);
    free(again);
    wh_profile_clear(&prof);
    wh_invoice_free(inv);
    return 0;
}
