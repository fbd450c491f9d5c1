/*
 * oci_test.h - what test_oci.c and test_oci_convert.c share: made-up
 * digests, macros that write small manifests, and helpers to parse,
 * convert and inspect them.  Helpers are static inline so that each test
 * file compiles only what it uses without unused-function warnings.
 */
#ifndef WH_OCI_TEST_H
#define WH_OCI_TEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/invoice.h"
#include "schema/oci.h"
#include "unit.h"

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"
#define D5 "5555555555555555555555555555555555555555555555555555555555555555"
#define MSHA "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd"

#define DESC(mt, d, size) "{\"mediaType\":\"" mt "\",\"digest\":\"sha256:" d "\",\"size\":" #size "}"
#define DESC_T(mt, d, size, title)                                                 \
    "{\"mediaType\":\"" mt "\",\"digest\":\"sha256:" d "\",\"size\":" #size          \
    ",\"annotations\":{\"org.opencontainers.image.title\":\"" title "\"}}"
#define OCI_MANIFEST(layers)                                                       \
    "{\"schemaVersion\":2,\"mediaType\":\"" WH_OCI_MT_MANIFEST "\",\"config\":"       \
    DESC(WH_OCI_MT_EMPTY, D5, 2) ",\"layers\":[" layers "]}"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

typedef struct strbuf {
    char *s;
    size_t n, cap;
} strbuf;

__attribute__((format(printf, 2, 3)))
static inline void sb_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->n + (size_t)need + 1 > b->cap) {
        b->cap = (b->n + (size_t)need + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

static inline wh_oci_manifest *parse_ok(const char *json, const char *ct)
{
    wh_oci_manifest *m = NULL;
    wh_err err = {0};
    if (wh_oci_manifest_parse(json, strlen(json), ct, &m, &err)) {
        fprintf(stderr, "  unexpected refusal: %s\n", err.msg);
        return NULL;
    }
    return m;
}

/* Refused with WH_EINVAL and a message holding `want`. */
#define PARSE_ERR(json, ct, want)                                              \
    do {                                                                       \
        wh_oci_manifest *m_ = (wh_oci_manifest *)1;                            \
        wh_err e_ = {0};                                                       \
        const char *j_ = (json);                                               \
        CHECK_INT(wh_oci_manifest_parse(j_, strlen(j_), (ct), &m_, &e_), WH_EINVAL); \
        CHECK(m_ == NULL);                                                     \
        CHECK_CONTAINS(e_.msg, (want));                                        \
    } while (0)

static inline wh_invoice *to_invoice(const char *json, const wh_kvmap *extra, wh_err *err)
{
    wh_oci_manifest *m = NULL;
    wh_invoice *inv = NULL;
    if (wh_oci_manifest_parse(json, strlen(json), NULL, &m, err) == 0)
        wh_oci_manifest_to_invoice(m, MSHA, "example/app", "1.2.3", extra, &inv, err);
    wh_oci_manifest_free(m);
    return inv;
}

static inline const char *ann(const wh_kvmap *m, const char *key)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].key, key) == 0)
            return m->items[i].value;
    return NULL;
}

static inline bool sorted(const wh_kvmap *m)
{
    for (size_t i = 1; i < m->n; i++)
        if (strcmp(m->items[i - 1].key, m->items[i].key) >= 0)
            return false;
    return true;
}

/* The invoice survives TOML exactly, under the default limits. */
static inline bool toml_round_trip(const wh_invoice *inv)
{
    char *toml = NULL;
    size_t len = 0;
    wh_invoice *back = NULL;
    wh_err err = {0};
    bool ok = wh_invoice_emit_toml(inv, &toml, &len, &err) == 0 &&
              wh_invoice_parse_toml(toml, len, NULL, &back, &err) == 0 &&
              wh_invoice_equal(inv, back) && wh_invoice_validate(back, &err) == 0;
    if (!ok)
        fprintf(stderr, "  round trip: %s\n", err.msg);
    free(toml);
    wh_invoice_free(back);
    return ok;
}

static inline wh_invoice *invoice_from_toml(const char *toml)
{
    wh_invoice *inv = NULL;
    wh_err err = {0};
    if (wh_invoice_parse_toml(toml, strlen(toml), NULL, &inv, &err))
        fprintf(stderr, "  invoice: %s\n", err.msg);
    return inv;
}

#endif
