/*
 * routes_keys.c - GET /v1/bindle-keys: the server's public keys as a
 * Bindle keyring (`version = "1.0"`, [[key]] with label, roles, key), so a
 * client can verify the host signatures this server adds.  `?roles=a,b`
 * keeps the keys that hold any of those roles; an unknown role is 400.
 */
#include <string.h>

#include "schema/base64.h"
#include "server.h"

/* Parses "host,creator" into a WH_ROLE_* mask. */
static int parse_roles(const char *s, unsigned *mask, wh_err *err)
{
    *mask = 0;
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return wh_err_set(err, WH_EINVAL, "roles is too long");
    strcpy(buf, s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned r;
        int rc = wh_role_parse(tok, &r, err);
        if (rc)
            return rc;
        *mask |= r;
    }
    return 0;
}

static json_t *roles_json(unsigned roles)
{
    static const unsigned all[] = {WH_ROLE_CREATOR, WH_ROLE_APPROVER, WH_ROLE_PROXY, WH_ROLE_HOST};
    json_t *a = json_array();
    for (size_t i = 0; a && i < sizeof all / sizeof all[0]; i++)
        if (roles & all[i])
            json_array_append_new(a, json_string(wh_role_name(all[i])));
    return a;
}

void wh_route_keys(wh_req *req)
{
    wh_err e;
    unsigned want = ~0u;
    const char *roles = wh_req_arg(req, "roles");
    if (roles && *roles && parse_roles(roles, &want, &e) != 0)
        return wh_reply_err(req, &e);
    const wh_secret_key *k = req->srv->host_key;
    json_t *keys = json_array();
    if (keys && (k->roles & want)) {
        char b64[64];
        wh_base64_encode(k->pub, sizeof k->pub, b64);
        json_array_append_new(keys, json_pack("{s:s, s:o, s:s}", "label", k->label,
                                              "roles", roles_json(k->roles), "key", b64));
    }
    wh_reply_doc(req, MHD_HTTP_OK,
                 keys ? json_pack("{s:s, s:o}", "version", "1.0", "key", keys) : NULL);
}
