/*
 * pins.c - the pinned creator keys of pulled names (see pins.h).
 */
#include "pins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schema/base64.h"
#include "schema/file.h"
#include "schema/toml.h"

#define PINS_MAX_BYTES (16u << 20)

void wh_pins_free(wh_pins *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        free(p->v[i].label);
    }
    free(p->v);
    free(p->path);
    free(p);
}

static int pin_append(wh_pins *p, const char *name, const unsigned char *key,
                      const char *label, int64_t at, wh_err *err)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 8;
        wh_pin *nv = realloc(p->v, nc * sizeof *nv);
        if (!nv)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        p->v = nv;
        p->cap = nc;
    }
    wh_pin *e = &p->v[p->n];
    e->name = strdup(name);
    e->label = strdup(label ? label : "");
    memcpy(e->key, key, WH_ED25519_PUBLIC_LEN);
    e->at = at;
    if (!e->name || !e->label) {
        free(e->name);
        free(e->label);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    p->n++;
    return 0;
}

static int parse(wh_pins *p, const char *buf, size_t len, wh_err *err)
{
    json_t *root = NULL;
    int rc = wh_toml_parse(buf, len, &root, err);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        if (strcmp(k, "pin") != 0 || !json_is_array(v)) {
            rc = wh_err_set(err, WH_EINVAL, "unexpected key \"%s\" (only [[pin]] tables)", k);
            goto done;
        }
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(root, "pin"), i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *key = json_string_value(json_object_get(e, "key"));
        const char *label = json_string_value(json_object_get(e, "label"));
        json_t *at = json_object_get(e, "at");
        unsigned char raw[WH_ED25519_PUBLIC_LEN];
        if (!name || !key || (at && !json_is_integer(at))) {
            rc = wh_err_set(err, WH_EINVAL, "pin %zu: needs a name and a key", i);
            goto done;
        }
        rc = wh_key_decode(key, raw, sizeof raw, "key", err);
        if (!rc)
            rc = pin_append(p, name, raw, label, at ? json_integer_value(at) : 0, err);
        if (rc) {
            wh_err_prefix(err, "pin %zu", i);
            goto done;
        }
    }
done:
    json_decref(root);
    return rc;
}

int wh_pins_load(const wh_cli *cli, wh_pins **out, wh_err *err)
{
    *out = NULL;
    wh_pins *p = calloc(1, sizeof *p);
    if (!p)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    size_t n = strlen(cli->config_dir) + sizeof "/pins.toml";
    p->path = malloc(n);
    if (!p->path) {
        wh_pins_free(p);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    snprintf(p->path, n, "%s/pins.toml", cli->config_dir);
    char *buf = NULL;
    size_t len = 0;
    int rc = wh_file_read(p->path, PINS_MAX_BYTES, 0, &buf, &len, err);
    if (rc == WH_ENOTFOUND) {
        *out = p;
        return 0;
    }
    if (!rc)
        rc = parse(p, buf, len, err);
    free(buf);
    if (rc) {
        wh_err_prefix(err, "%s", p->path);
        wh_pins_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int wh_pins_add_to_keyring(const wh_pins *p, const char *name, wh_keyring *kr, size_t *n,
                           wh_err *err)
{
    *n = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->v[i].name, name) != 0)
            continue;
        (*n)++;
        if (wh_keyring_find(kr, p->v[i].key))
            continue;
        int rc = wh_keyring_add(kr, *p->v[i].label ? p->v[i].label : "(pinned)",
                                WH_ROLE_CREATOR, p->v[i].key, NULL, err);
        if (rc)
            return rc;
    }
    return 0;
}

int wh_pins_add(wh_pins *p, const char *name, const unsigned char key[WH_ED25519_PUBLIC_LEN],
                const char *label, int64_t at, wh_err *err)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].name, name) == 0 && memcmp(p->v[i].key, key, WH_ED25519_PUBLIC_LEN) == 0)
            return 0;
    return pin_append(p, name, key, label, at, err);
}

int wh_pins_save(const wh_pins *p, wh_err *err)
{
    json_t *list = json_array(), *root = json_object();
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    if (!list || !root) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < p->n; i++) {
        char b64[WH_PUBLIC_B64_LEN + 1];
        wh_base64_encode(p->v[i].key, WH_ED25519_PUBLIC_LEN, b64);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I}", "name", p->v[i].name,
                                              "key", b64, "label", p->v[i].label, "at",
                                              (json_int_t)p->v[i].at));
    }
    json_object_set(root, "pin", list);
    char *dir = NULL;
    rc = wh_toml_emit(root, &text, &len, err);
    if (!rc)
        rc = wh_cli_dirname(p->path, &dir, err);
    if (!rc)
        rc = wh_cli_mkdirs(dir, err);
    free(dir);
    if (!rc)
        rc = wh_cli_write_atomic(p->path, text, len, 0600, err);
done:
    free(text);
    json_decref(list);
    json_decref(root);
    return rc;
}
