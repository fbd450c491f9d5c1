/*
 * strategy.c - Bindle's verification strategies: which signatures of an
 * invoice must be valid, which must be made by a key in the keyring, and
 * which roles must be present.
 *
 * Read from Bindle's VerificationStrategy (src/invoice/verification.rs in
 * deislabs/bindle) and its tests: each strategy is a set of target roles
 * plus three switches, and one loop applies them all.
 */
#include "signature.h"

#include "oci.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct rules {
    unsigned roles;   /* the target roles */
    bool all_valid;   /* check signatures outside the target roles too */
    bool all_known;   /* every checked signature's key must be known */
    bool all_roles;   /* each target role needs at least one signature */
} rules;

static rules rules_of(const wh_strategy *st)
{
    switch (st->kind) {
    case WH_STRATEGY_CREATIVE_INTEGRITY:
        return (rules){WH_ROLE_CREATOR, false, true, true};
    case WH_STRATEGY_AUTHORITATIVE_INTEGRITY:
        return (rules){WH_ROLE_CREATOR | WH_ROLE_APPROVER, false, false, false};
    case WH_STRATEGY_GREEDY_VERIFICATION:
        return (rules){WH_ROLE_CREATOR, true, true, true};
    case WH_STRATEGY_EXHAUSTIVE_VERIFICATION:
        return (rules){WH_ROLE_ALL, true, true, false};
    case WH_STRATEGY_MULTIPLE_ATTESTATION:
        return (rules){st->roles, false, true, true};
    case WH_STRATEGY_MULTIPLE_ATTESTATION_GREEDY:
        return (rules){st->roles, true, true, true};
    }
    return (rules){WH_ROLE_ALL, true, true, true};
}

static const struct {
    wh_strategy_kind kind;
    const char *name;
    bool has_roles;
} names[] = {
    {WH_STRATEGY_CREATIVE_INTEGRITY, "CreativeIntegrity", false},
    {WH_STRATEGY_AUTHORITATIVE_INTEGRITY, "AuthoritativeIntegrity", false},
    {WH_STRATEGY_GREEDY_VERIFICATION, "GreedyVerification", false},
    {WH_STRATEGY_EXHAUSTIVE_VERIFICATION, "ExhaustiveVerification", false},
    {WH_STRATEGY_MULTIPLE_ATTESTATION, "MultipleAttestation", true},
    {WH_STRATEGY_MULTIPLE_ATTESTATION_GREEDY, "MultipleAttestationGreedy", true},
};

/* Parses "Role, Role" (without the brackets) into a role mask. */
static int parse_roles(const char *s, size_t n, unsigned *out, wh_err *err)
{
    *out = 0;
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < n && s[i] != ',')
            i++;
        size_t a = start, b = i;
        while (a < b && isspace((unsigned char)s[a]))
            a++;
        while (b > a && isspace((unsigned char)s[b - 1]))
            b--;
        char role[16];
        if (b == a)
            return wh_err_set(err, WH_EINVAL, "strategy: empty role in the list");
        if (b - a >= sizeof role)
            return wh_err_set(err, WH_EINVAL, "strategy: unknown role");
        memcpy(role, s + a, b - a);
        role[b - a] = '\0';
        unsigned bit;
        int rc = wh_role_parse(role, &bit, err);
        if (rc) {
            wh_err_prefix(err, "strategy");
            return rc;
        }
        *out |= bit;
        if (i == n)
            return 0;
        i++;
    }
}

int wh_strategy_parse(const char *s, wh_strategy *out, wh_err *err)
{
    size_t n = strlen(s);
    if (n > 256)
        return wh_err_set(err, WH_EINVAL, "strategy: %zu bytes is too long", n);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    if (n == 0)
        return wh_err_set(err, WH_EINVAL, "strategy: empty");
    const char *br = memchr(s, '[', n);
    size_t name_len = br ? (size_t)(br - s) : n;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) != name_len ||
            strncasecmp(s, names[i].name, name_len) != 0)
            continue;
        out->kind = names[i].kind;
        out->roles = 0;
        if (!names[i].has_roles) {
            if (br)
                return wh_err_set(err, WH_EINVAL,
                                  "strategy: %s takes no role list",
                                  names[i].name);
            return 0;
        }
        if (!br)
            return wh_err_set(err, WH_EINVAL,
                              "strategy: %s needs a role list, as in "
                              "%s[Creator,Approver]",
                              names[i].name, names[i].name);
        if (s[n - 1] != ']')
            return wh_err_set(err, WH_EINVAL,
                              "strategy: missing the closing ']'");
        const char *list = br + 1;
        size_t list_len = (size_t)(s + n - 1 - list);
        if (memchr(list, '[', list_len) || memchr(list, ']', list_len))
            return wh_err_set(err, WH_EINVAL, "strategy: stray bracket");
        return parse_roles(list, list_len, &out->roles, err);
    }
    return wh_err_set(err, WH_EINVAL,
                      "strategy: unknown (expected CreativeIntegrity, "
                      "AuthoritativeIntegrity, GreedyVerification, "
                      "ExhaustiveVerification, MultipleAttestation[Roles] or "
                      "MultipleAttestationGreedy[Roles])");
}

void wh_strategy_format(const wh_strategy *st, char *buf, size_t cap)
{
    static const char *const role_names[] = {"Creator", "Approver", "Proxy",
                                             "Host"};
    size_t used = 0;
    const char *name = "?";
    bool has_roles = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].kind == st->kind) {
            name = names[i].name;
            has_roles = names[i].has_roles;
        }
    }
    if (cap == 0)
        return;
    buf[0] = '\0';
#define PUT(...)                                                            \
    do {                                                                    \
        int w_ = snprintf(buf + used, cap - used, __VA_ARGS__);             \
        if (w_ < 0 || (size_t)w_ >= cap - used)                             \
            return;                                                         \
        used += (size_t)w_;                                                 \
    } while (0)
    PUT("%s", name);
    if (!has_roles)
        return;
    PUT("[");
    bool first = true;
    for (unsigned i = 0; i < 4; i++) {
        if (st->roles & (1u << i)) {
            PUT("%s%s", first ? "" : ",", role_names[i]);
            first = false;
        }
    }
    PUT("]");
#undef PUT
}

/* Prefixes err with which signature failed. */
static int blame(wh_err *err, const char *strategy, size_t i,
                 const wh_signature *s)
{
    char by[96], role[32];
    wh_keys_shorten(by, sizeof by, s->by ? s->by : "");
    wh_keys_shorten(role, sizeof role, s->role ? s->role : "");
    wh_err_prefix(err, "%s: signature %zu (by \"%s\", role %s)", strategy, i,
                  by, role);
    return WH_EINVAL;
}

/* Roles the rules need and no checked signature filled, as "a, b". */
static void missing_roles(unsigned need, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned bit = 1; bit <= WH_ROLE_HOST; bit <<= 1) {
        if (!(need & bit))
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s", used ? ", " : "",
                         wh_role_name(bit));
        if (w < 0 || (size_t)w >= cap - used)
            return;
        used += (size_t)w;
    }
}

int wh_sig_verify_invoice(const wh_invoice *inv, const wh_keyring *kr,
                          const wh_strategy *st, wh_err *err)
{
    rules r = rules_of(st);
    char sname[WH_STRATEGY_NAME_MAX];
    wh_strategy_format(st, sname, sizeof sname);
    if (r.roles == 0)
        return wh_err_set(err, WH_EINVAL, "%s: the strategy names no role",
                          sname);
    if (inv->n_signatures == 0)
        return wh_err_set(err, WH_EINVAL,
                          "%s: the invoice has no signature; at least one is "
                          "required",
                          sname);
    /* Checks that hold whatever the strategy, so that an ignored signature
     * cannot hide a malformed role or a key counted twice. */
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        unsigned bit;
        if (!s->role || wh_role_parse(s->role, &bit, NULL) ||
            strcmp(wh_role_name(bit), s->role) != 0) {
            wh_err_set(err, WH_EINVAL, "unknown role");
            return blame(err, sname, i, s);
        }
        for (size_t j = 0; j < i; j++) {
            if (s->key && inv->signatures[j].key &&
                strcmp(s->key, inv->signatures[j].key) == 0) {
                wh_err_set(err, WH_EINVAL,
                           "key signed twice (also signature %zu)", j);
                return blame(err, sname, i, s);
            }
        }
    }
    bool any_known = false;
    unsigned filled = 0;
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        unsigned bit;
        wh_role_parse(s->role, &bit, NULL);
        bool target = (r.roles & bit) != 0;
        if (!r.all_valid && !target)
            continue;
        if (wh_sig_verify(inv, s, err))
            return blame(err, sname, i, s);
        if (!target && !r.all_known)
            continue;
        filled |= bit;
        unsigned char pub[WH_ED25519_PUBLIC_LEN];
        if (wh_key_decode(s->key, pub, sizeof pub, "key", err))
            return blame(err, sname, i, s);
        if (wh_keyring_find(kr, pub)) {
            any_known = true;
        } else if (r.all_known) {
            wh_err_set(err, WH_EINVAL, "key not in the keyring");
            return blame(err, sname, i, s);
        }
    }
    if (!any_known) {
        char want[64];
        missing_roles(r.roles, want, sizeof want);
        return wh_err_set(err, WH_EINVAL,
                          "%s: no signature in role %s is made by a key in "
                          "the keyring",
                          sname, want);
    }
    if (r.all_roles && (r.roles & ~filled)) {
        char want[64];
        missing_roles(r.roles & ~filled, want, sizeof want);
        return wh_err_set(err, WH_EINVAL,
                          "%s: no valid signature in role %s", sname, want);
    }
    return 0;
}

/* A mirror: an invoice made from another registry's manifest (`wharf
 * mirror`), which says where it came from. */
bool wh_invoice_is_mirror(const wh_invoice *inv)
{
    return wh_kvmap_get(&inv->annotations, WH_OCI_ANN_SOURCE) != NULL;
}

/*
 * The strategy a mirror is held to when the configured one refuses it: the
 * same with the proxy role where it asks for a creator.  Whoever mirrors
 * vouches for the copy, and the upstream author signed nothing that a
 * Bindle signature could check.  AuthoritativeIntegrity (creator or
 * approver, keys checked only as far as one being known) has no
 * counterpart for proxy; a mirror is then held to the stricter
 * MultipleAttestation[Proxy].  false when the strategy asks for no
 * creator: it already counts proxy signatures as it means to.
 */
bool wh_strategy_for_mirror(const wh_strategy *st, wh_strategy *out)
{
    *out = *st;
    switch (st->kind) {
    case WH_STRATEGY_CREATIVE_INTEGRITY:
    case WH_STRATEGY_AUTHORITATIVE_INTEGRITY:
        out->kind = WH_STRATEGY_MULTIPLE_ATTESTATION;
        out->roles = WH_ROLE_PROXY;
        return true;
    case WH_STRATEGY_GREEDY_VERIFICATION:
        out->kind = WH_STRATEGY_MULTIPLE_ATTESTATION_GREEDY;
        out->roles = WH_ROLE_PROXY;
        return true;
    case WH_STRATEGY_MULTIPLE_ATTESTATION:
    case WH_STRATEGY_MULTIPLE_ATTESTATION_GREEDY:
        if (!(st->roles & WH_ROLE_CREATOR))
            return false;
        out->roles = (st->roles & ~WH_ROLE_CREATOR) | WH_ROLE_PROXY;
        return true;
    case WH_STRATEGY_EXHAUSTIVE_VERIFICATION:
        return false;
    }
    return false;
}
