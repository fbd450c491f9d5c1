/*
 * test_signature.c - Bindle-compatible invoice signatures: every invoice
 * Bindle signed in the fixtures verifies, any change to what is signed
 * breaks it (and a change to `at` does not), sign -> verify round trips,
 * the yank signature, and each of the six strategies passing and failing.
 *
 * Fixtures are found under $WHARF_FIXTURES (default ../shared/fixtures).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/invoice.h"
#include "schema/keys.h"
#include "schema/signature.h"
#include "tests/unit/unit.h"

static const char *signed_fixtures[] = {
    "scaffolds/valid_v1/invoice.toml",
    "scaffolds/valid_v2/invoice.toml",
    "scaffolds/lotsa_parcels/invoice.toml",
    "scaffolds/incomplete/invoice.toml",
    "scaffolds/invalid/invoice.toml",
    "standalone/1927aefa8fdc8327499e918300e2e49ecb271321530cc5881fcd069ca8372dcd/invoice.toml",
};
#define N_FIXTURES (sizeof signed_fixtures / sizeof signed_fixtures[0])

static const char *fixtures_dir(void)
{
    const char *d = getenv("WHARF_FIXTURES");
    return d && *d ? d : "../shared/fixtures";
}

static wh_invoice *load_invoice(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bindle/%s", fixtures_dir(), rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open %s\n", path);
        return NULL;
    }
    static char buf[64 * 1024];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    wh_invoice *inv = NULL;
    wh_err err = {0};
    if (wh_invoice_parse_toml(buf, n, NULL, &inv, &err)) {
        fprintf(stderr, "  %s: %s\n", path, err.msg);
        return NULL;
    }
    return inv;
}

static wh_keyring *load_keyring(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bindle/keyring.toml", fixtures_dir());
    wh_keyring *kr = NULL;
    wh_err err = {0};
    if (wh_keyring_load(path, NULL, &kr, &err))
        fprintf(stderr, "  %s\n", err.msg);
    return kr;
}

static wh_strategy strat(const char *s)
{
    wh_strategy st = {0};
    wh_err err = {0};
    if (wh_strategy_parse(s, &st, &err)) {
        fprintf(stderr, "  strategy %s: %s\n", s, err.msg);
        unit_cur_failed++;
    }
    return st;
}

/* 0 or the code of verifying inv under the strategy named s. */
static int verify_with(const wh_invoice *inv, const wh_keyring *kr,
                       const char *s, wh_err *err)
{
    wh_strategy st = strat(s);
    return wh_sig_verify_invoice(inv, kr, &st, err);
}

static const char *all_strategies[] = {
    "CreativeIntegrity",
    "AuthoritativeIntegrity",
    "GreedyVerification",
    "ExhaustiveVerification",
    "MultipleAttestation[Creator]",
    "MultipleAttestationGreedy[Creator]",
};

static void test_fixtures_verify(void)
{
    wh_keyring *kr = load_keyring();
    CHECK(kr != NULL);
    for (size_t i = 0; kr && i < N_FIXTURES; i++) {
        wh_invoice *inv = load_invoice(signed_fixtures[i]);
        CHECK(inv != NULL);
        if (!inv)
            continue;
        CHECK_INT(inv->n_signatures, 1);
        wh_err err = {0};
        int rc = wh_sig_verify(inv, &inv->signatures[0], &err);
        if (rc)
            fprintf(stderr, "  %s: %s\n", signed_fixtures[i], err.msg);
        CHECK_INT(rc, 0);
        /* A lone creator signature by a known key satisfies every
         * strategy but those that ask for another role. */
        for (size_t s = 0; s < sizeof all_strategies / sizeof all_strategies[0]; s++) {
            rc = verify_with(inv, kr, all_strategies[s], &err);
            if (rc)
                fprintf(stderr, "  %s / %s: %s\n", signed_fixtures[i],
                        all_strategies[s], err.msg);
            CHECK_INT(rc, 0);
        }
        CHECK_INT(verify_with(inv, kr, "MultipleAttestation[Creator,Approver]", &err),
                  WH_EINVAL);
        CHECK_CONTAINS(err.msg, "no valid signature in role approver");
        CHECK_INT(verify_with(inv, kr, "MultipleAttestationGreedy[Host]", &err),
                  WH_EINVAL);
        wh_invoice_free(inv);
    }
    /* An empty keyring knows nobody. */
    wh_keyring *empty = wh_keyring_new();
    wh_invoice *inv = load_invoice(signed_fixtures[0]);
    wh_err err = {0};
    CHECK(inv && verify_with(inv, empty, "CreativeIntegrity", &err) == WH_EINVAL);
    CHECK_CONTAINS(err.msg, "key not in the keyring");
    CHECK_CONTAINS(err.msg, "signature 0 (by \"Starfleet Command <starfleet@ufp.com>\", role creator)");
    CHECK(inv && verify_with(inv, empty, "AuthoritativeIntegrity", &err) == WH_EINVAL);
    CHECK_CONTAINS(err.msg, "no signature in role creator, approver is made by a key in the keyring");
    wh_invoice_free(inv);
    wh_keyring_free(empty);
    wh_keyring_free(kr);
}

static void test_cleartext_exact(void)
{
    wh_invoice *inv = load_invoice("scaffolds/valid_v2/invoice.toml");
    CHECK(inv != NULL);
    if (!inv)
        return;
    char *clear = NULL;
    size_t len = 0;
    wh_err err = {0};
    CHECK_INT(wh_sig_cleartext(inv, "Me", "approver", &clear, &len, &err), 0);
    const char *want =
        "Me\nenterprise.com/warpcore\n2.0.0\napprover\n~\n"
        "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5\n"
        "5e244f1c791ee45ec9cc02b281e3b58524e757561e9dc39cdd7ec0f4d328a3d3";
    CHECK_STR(clear, want);
    CHECK_INT(len, strlen(want));
    free(clear);
    wh_invoice_free(inv);
}

/* Loads valid_v2, applies `edit` and says whether signature 0 still
 * verifies (0) or not. */
static int verify_after(void (*edit)(wh_invoice *))
{
    wh_invoice *inv = load_invoice("scaffolds/valid_v2/invoice.toml");
    if (!inv)
        return 99;
    wh_keyring *kr = load_keyring();
    edit(inv);
    wh_err err = {0};
    int rc = wh_sig_verify(inv, &inv->signatures[0], &err);
    int rc2 = kr ? verify_with(inv, kr, "GreedyVerification", &err) : 99;
    wh_keyring_free(kr);
    wh_invoice_free(inv);
    /* Both paths must agree. */
    return rc == rc2 ? rc : 98;
}

static char *dup_flip(wh_invoice *inv, const char *s, size_t at, char to)
{
    char *d = wh_arena_strdup(&inv->arena, s);
    d[at] = to;
    return d;
}

static void edit_none(wh_invoice *inv) { (void)inv; }
static void edit_name(wh_invoice *inv) { inv->bindle.name = dup_flip(inv, inv->bindle.name, 0, 'f'); }
static void edit_version(wh_invoice *inv) { inv->bindle.version = wh_arena_strdup(&inv->arena, "2.0.1"); }
static void edit_hash0(wh_invoice *inv)
{
    wh_label *l = &inv->parcels[0].label;
    l->sha256 = dup_flip(inv, l->sha256, 63, l->sha256[63] == '0' ? '1' : '0');
}
static void edit_hash1(wh_invoice *inv)
{
    wh_label *l = &inv->parcels[1].label;
    l->sha256 = dup_flip(inv, l->sha256, 0, l->sha256[0] == '0' ? '1' : '0');
}
static void edit_swap(wh_invoice *inv)
{
    wh_parcel p = inv->parcels[0];
    inv->parcels[0] = inv->parcels[1];
    inv->parcels[1] = p;
}
static void edit_drop(wh_invoice *inv) { inv->n_parcels = 1; }
static void edit_by(wh_invoice *inv)
{
    inv->signatures[0].by = wh_arena_strdup(&inv->arena, "Starfleet Command <starfleet@ufp.org>");
}
static void edit_sig(wh_invoice *inv)
{
    const char *s = inv->signatures[0].signature;
    inv->signatures[0].signature = dup_flip(inv, s, 20, s[20] == 'A' ? 'B' : 'A');
}
static void edit_key(wh_invoice *inv)
{
    const char *s = inv->signatures[0].key;
    inv->signatures[0].key = dup_flip(inv, s, 5, s[5] == 'A' ? 'B' : 'A');
}
static void edit_role(wh_invoice *inv) { inv->signatures[0].role = wh_arena_strdup(&inv->arena, "approver"); }
static void edit_role_case(wh_invoice *inv) { inv->signatures[0].role = wh_arena_strdup(&inv->arena, "Creator"); }
static void edit_at(wh_invoice *inv) { inv->signatures[0].at = 1; }
static void edit_unsigned(wh_invoice *inv)
{
    /* Fields outside the cleartext: description, authors, labels. */
    inv->bindle.description = wh_arena_strdup(&inv->arena, "changed");
    inv->parcels[0].label.name = wh_arena_strdup(&inv->arena, "other.txt");
    inv->parcels[0].label.size = 12345;
}

static void test_tampering(void)
{
    CHECK_INT(verify_after(edit_none), 0);
    CHECK_INT(verify_after(edit_name), WH_EINVAL);
    CHECK_INT(verify_after(edit_version), WH_EINVAL);
    CHECK_INT(verify_after(edit_hash0), WH_EINVAL);
    CHECK_INT(verify_after(edit_hash1), WH_EINVAL);
    CHECK_INT(verify_after(edit_swap), WH_EINVAL);
    CHECK_INT(verify_after(edit_drop), WH_EINVAL);
    CHECK_INT(verify_after(edit_by), WH_EINVAL);
    CHECK_INT(verify_after(edit_sig), WH_EINVAL);
    CHECK_INT(verify_after(edit_key), WH_EINVAL);
    CHECK_INT(verify_after(edit_role), WH_EINVAL);
    CHECK_INT(verify_after(edit_role_case), WH_EINVAL);
    /* Not covered by the signature, as in Bindle. */
    CHECK_INT(verify_after(edit_at), 0);
    CHECK_INT(verify_after(edit_unsigned), 0);

    /* The message says which signature and why. */
    wh_invoice *inv = load_invoice("scaffolds/valid_v2/invoice.toml");
    wh_keyring *kr = load_keyring();
    wh_err err = {0};
    if (inv && kr) {
        edit_name(inv);
        CHECK_INT(verify_with(inv, kr, "CreativeIntegrity", &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, "CreativeIntegrity: signature 0 (by \"Starfleet Command <starfleet@ufp.com>\", role creator): bad signature");
    }
    wh_invoice_free(inv);
    wh_keyring_free(kr);
}

/* An invoice without signatures, and keys for each role plus one unknown
 * to the keyring. */
typedef struct world {
    wh_invoice *inv;
    wh_secret_keys *sk;
    wh_keyring *kr;
    const wh_secret_key *creator, *approver, *proxy, *host, *stranger;
} world;

static void world_init(world *w)
{
    memset(w, 0, sizeof *w);
    wh_err err = {0};
    w->inv = load_invoice("scaffolds/lotsa_parcels/invoice.toml");
    if (w->inv)
        w->inv->n_signatures = 0;
    w->sk = wh_secret_keys_new();
    w->kr = wh_keyring_new();
    CHECK_INT(wh_secret_keys_generate(w->sk, "Creator <c@x>", WH_ROLE_CREATOR, NULL, &err), 0);
    CHECK_INT(wh_secret_keys_generate(w->sk, "Approver <a@x>", WH_ROLE_APPROVER, NULL, &err), 0);
    CHECK_INT(wh_secret_keys_generate(w->sk, "Proxy <p@x>", WH_ROLE_PROXY, NULL, &err), 0);
    CHECK_INT(wh_secret_keys_generate(w->sk, "Host <h@x>", WH_ROLE_HOST, NULL, &err), 0);
    CHECK_INT(wh_secret_keys_generate(w->sk, "Stranger <s@x>", WH_ROLE_ALL, NULL, &err), 0);
    if (w->sk->n == 5) {
        w->creator = &w->sk->keys[0];
        w->approver = &w->sk->keys[1];
        w->proxy = &w->sk->keys[2];
        w->host = &w->sk->keys[3];
        w->stranger = &w->sk->keys[4];
        for (size_t i = 0; i < 4; i++)
            CHECK_INT(wh_keyring_add_secret(w->kr, &w->sk->keys[i], &err), 0);
    }
}

static void world_free(world *w)
{
    wh_invoice_free(w->inv);
    wh_secret_keys_free(w->sk);
    wh_keyring_free(w->kr);
}

static void sign(world *w, const wh_secret_key *k, unsigned role)
{
    wh_err err = {0};
    if (!w->inv || !k) {
        CHECK(0);
        return;
    }
    int rc = wh_sig_sign(w->inv, k, role, 1700000000, &err);
    if (rc)
        fprintf(stderr, "  sign: %s\n", err.msg);
    CHECK_INT(rc, 0);
}

static void test_sign_round_trip(void)
{
    world w;
    world_init(&w);
    if (!w.inv || !w.creator) {
        world_free(&w);
        CHECK(0);
        return;
    }
    wh_err err = {0};
    sign(&w, w.creator, WH_ROLE_CREATOR);
    CHECK_INT(w.inv->n_signatures, 1);
    wh_signature *s = &w.inv->signatures[0];
    CHECK_STR(s->by, "Creator <c@x>");
    CHECK_STR(s->role, "creator");
    CHECK_INT(s->at, 1700000000);
    CHECK_INT(strlen(s->key), WH_PUBLIC_B64_LEN);
    CHECK_INT(strlen(s->signature), WH_SIG_B64_LEN);
    CHECK_INT(wh_sig_verify(w.inv, s, &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "GreedyVerification", &err), 0);

    /* Through TOML and back, the signature still holds. */
    char *text = NULL;
    size_t len = 0;
    wh_invoice *back = NULL;
    CHECK_INT(wh_invoice_emit_toml(w.inv, &text, &len, &err), 0);
    CHECK_INT(wh_invoice_parse_toml(text, len, NULL, &back, &err), 0);
    CHECK(back && verify_with(back, w.kr, "GreedyVerification", &err) == 0);
    free(text);
    wh_invoice_free(back);

    /* The same key twice: refused, and nothing added. */
    CHECK_INT(wh_sig_sign(w.inv, w.creator, WH_ROLE_CREATOR, 1, &err), WH_EEXIST);
    CHECK_CONTAINS(err.msg, "already signed");
    CHECK_INT(w.inv->n_signatures, 1);
    /* A role the key does not hold, or not one role. */
    CHECK_INT(wh_sig_sign(w.inv, w.approver, WH_ROLE_HOST, 1, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "host");
    CHECK_INT(wh_sig_sign(w.inv, w.stranger, WH_ROLE_HOST | WH_ROLE_PROXY, 1, &err), WH_EINVAL);
    CHECK_INT(w.inv->n_signatures, 1);
    /* Several signatures: each verifies on its own. */
    sign(&w, w.approver, WH_ROLE_APPROVER);
    sign(&w, w.host, WH_ROLE_HOST);
    CHECK_INT(w.inv->n_signatures, 3);
    for (size_t i = 0; i < w.inv->n_signatures; i++)
        CHECK_INT(wh_sig_verify(w.inv, &w.inv->signatures[i], &err), 0);
    world_free(&w);
}

static void test_duplicate_key_in_invoice(void)
{
    world w;
    world_init(&w);
    if (!w.inv || !w.creator) {
        world_free(&w);
        CHECK(0);
        return;
    }
    wh_err err = {0};
    sign(&w, w.creator, WH_ROLE_CREATOR);
    sign(&w, w.approver, WH_ROLE_APPROVER);
    /* Someone copies the creator's signature block in again. */
    wh_signature *arr = wh_arena_alloc(&w.inv->arena, 3 * sizeof *arr);
    memcpy(arr, w.inv->signatures, 2 * sizeof *arr);
    arr[2] = arr[0];
    w.inv->signatures = arr;
    w.inv->n_signatures = 3;
    for (size_t s = 0; s < sizeof all_strategies / sizeof all_strategies[0]; s++) {
        CHECK_INT(verify_with(w.inv, w.kr, all_strategies[s], &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, "signature 2");
        CHECK_CONTAINS(err.msg, "key signed twice (also signature 0)");
    }
    world_free(&w);
}

static void test_strategies(void)
{
    wh_err err = {0};
    world w;

    world_init(&w);
    bool ready = w.inv && w.creator;
    world_free(&w);
    CHECK(ready);
    if (!ready)
        return;

    /* No signature at all fails every strategy. */
    world_init(&w);
    for (size_t s = 0; w.inv && s < sizeof all_strategies / sizeof all_strategies[0]; s++) {
        CHECK_INT(verify_with(w.inv, w.kr, all_strategies[s], &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, "no signature");
    }
    world_free(&w);

    /* Only the host signed. */
    world_init(&w);
    sign(&w, w.host, WH_ROLE_HOST);
    CHECK_INT(verify_with(w.inv, w.kr, "CreativeIntegrity", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "creator");
    CHECK_INT(verify_with(w.inv, w.kr, "AuthoritativeIntegrity", &err), WH_EINVAL);
    CHECK_INT(verify_with(w.inv, w.kr, "GreedyVerification", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "no valid signature in role creator");
    CHECK_INT(verify_with(w.inv, w.kr, "ExhaustiveVerification", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestationGreedy[Host]", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestationGreedy[Host,Proxy]", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "no valid signature in role proxy");
    world_free(&w);

    /* Approver and host: authoritative yes, creative no. */
    world_init(&w);
    sign(&w, w.host, WH_ROLE_HOST);
    sign(&w, w.approver, WH_ROLE_APPROVER);
    CHECK_INT(verify_with(w.inv, w.kr, "CreativeIntegrity", &err), WH_EINVAL);
    CHECK_INT(verify_with(w.inv, w.kr, "AuthoritativeIntegrity", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "GreedyVerification", &err), WH_EINVAL);
    CHECK_INT(verify_with(w.inv, w.kr, "ExhaustiveVerification", &err), 0);
    world_free(&w);

    /* Creator alone: MultipleAttestation[Creator,Approver] misses the
     * approver; adding it satisfies it. */
    world_init(&w);
    sign(&w, w.creator, WH_ROLE_CREATOR);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestation[Creator,Approver]", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "MultipleAttestation[Creator,Approver]: no valid signature in role approver");
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestationGreedy[Creator,Approver]", &err), WH_EINVAL);
    sign(&w, w.approver, WH_ROLE_APPROVER);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestation[Creator,Approver]", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestationGreedy[Creator,Approver]", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "AuthoritativeIntegrity", &err), 0);
    world_free(&w);

    /* An unknown creator. */
    world_init(&w);
    sign(&w, w.stranger, WH_ROLE_CREATOR);
    for (size_t s = 0; s < sizeof all_strategies / sizeof all_strategies[0]; s++) {
        CHECK_INT(verify_with(w.inv, w.kr, all_strategies[s], &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, "keyring");
    }
    /* ...beside a known approver: enough for AuthoritativeIntegrity, which
     * asks for one known key among creator and approver. */
    sign(&w, w.approver, WH_ROLE_APPROVER);
    CHECK_INT(verify_with(w.inv, w.kr, "AuthoritativeIntegrity", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "CreativeIntegrity", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "signature 0 (by \"Stranger <s@x>\", role creator): key not in the keyring");
    world_free(&w);

    /* Known creator and host, plus a valid approver signature by an unknown
     * key: the greedy strategies check every signer, the others ignore
     * roles they were not asked about. */
    world_init(&w);
    sign(&w, w.host, WH_ROLE_HOST);
    sign(&w, w.creator, WH_ROLE_CREATOR);
    sign(&w, w.stranger, WH_ROLE_APPROVER);
    CHECK_INT(verify_with(w.inv, w.kr, "CreativeIntegrity", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "AuthoritativeIntegrity", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestation[Host]", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestation[Creator,Host]", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "GreedyVerification", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "signature 2 (by \"Stranger <s@x>\", role approver): key not in the keyring");
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestationGreedy[Creator]", &err), WH_EINVAL);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestationGreedy[Host,Approver]", &err), WH_EINVAL);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestation[Approver]", &err), WH_EINVAL);
    CHECK_INT(verify_with(w.inv, w.kr, "ExhaustiveVerification", &err), WH_EINVAL);
    world_free(&w);

    /* An extra signature that does not verify (a known proxy whose
     * signature was damaged): only the greedy strategies look at it. */
    world_init(&w);
    sign(&w, w.creator, WH_ROLE_CREATOR);
    sign(&w, w.proxy, WH_ROLE_PROXY);
    if (w.inv && w.inv->n_signatures == 2) {
        char *s = wh_arena_strdup(&w.inv->arena, w.inv->signatures[1].signature);
        s[3] = s[3] == 'A' ? 'B' : 'A';
        w.inv->signatures[1].signature = s;
    }
    CHECK_INT(verify_with(w.inv, w.kr, "CreativeIntegrity", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestation[Creator]", &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "GreedyVerification", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "signature 1 (by \"Proxy <p@x>\", role proxy): bad signature");
    CHECK_INT(verify_with(w.inv, w.kr, "ExhaustiveVerification", &err), WH_EINVAL);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestationGreedy[Creator]", &err), WH_EINVAL);
    world_free(&w);

    /* Every role, every key known: everything passes. */
    world_init(&w);
    sign(&w, w.host, WH_ROLE_HOST);
    sign(&w, w.creator, WH_ROLE_CREATOR);
    sign(&w, w.proxy, WH_ROLE_PROXY);
    sign(&w, w.approver, WH_ROLE_APPROVER);
    for (size_t s = 0; s < sizeof all_strategies / sizeof all_strategies[0]; s++)
        CHECK_INT(verify_with(w.inv, w.kr, all_strategies[s], &err), 0);
    CHECK_INT(verify_with(w.inv, w.kr, "MultipleAttestationGreedy[Creator,Approver,Proxy,Host]", &err), 0);
    /* A role spelled out of Bindle's vocabulary is refused whatever the
     * strategy looks at. */
    w.inv->signatures[2].role = wh_arena_strdup(&w.inv->arena, "janitor");
    CHECK_INT(verify_with(w.inv, w.kr, "CreativeIntegrity", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "signature 2 (by \"Proxy <p@x>\", role janitor): unknown role");
    world_free(&w);
}

static void test_strategy_parse(void)
{
    static const struct {
        const char *in, *canonical;
    } good[] = {
        {"CreativeIntegrity", "CreativeIntegrity"},
        {"AuthoritativeIntegrity", "AuthoritativeIntegrity"},
        {"GreedyVerification", "GreedyVerification"},
        {"ExhaustiveVerification", "ExhaustiveVerification"},
        {"CrEaTiVeInTeGrItY", "CreativeIntegrity"},
        {"  greedyverification\t", "GreedyVerification"},
        {"MultipleAttestation[Creator, Host, Approver]", "MultipleAttestation[Creator,Approver,Host]"},
        {"  multipleAttestAtion[Creator, Host, Approver] ", "MultipleAttestation[Creator,Approver,Host]"},
        {"MultipleAttestationGreedy[proxy]", "MultipleAttestationGreedy[Proxy]"},
        {"MultipleAttestationGreedy[ Host ,host]", "MultipleAttestationGreedy[Host]"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        wh_strategy st;
        wh_err err = {0};
        char buf[WH_STRATEGY_NAME_MAX];
        int rc = wh_strategy_parse(good[i].in, &st, &err);
        if (rc)
            fprintf(stderr, "  \"%s\": %s\n", good[i].in, err.msg);
        CHECK_INT(rc, 0);
        wh_strategy_format(&st, buf, sizeof buf);
        CHECK_STR(buf, good[i].canonical);
        /* The canonical spelling parses to the same strategy. */
        wh_strategy again;
        CHECK_INT(wh_strategy_parse(buf, &again, &err), 0);
        CHECK(again.kind == st.kind && again.roles == st.roles);
    }
    static const char *bad[] = {
        "",
        "   ",
        "nopenopenope",
        "Creative Integrity",
        "MultipleAttestationCreator, Host, Approver]",
        "MultipleAttestation[Creator, Host, Approver",
        "MultipleAttestation[Blah, Host, Approver]",
        "MultipleAttestation",
        "MultipleAttestation[]",
        "MultipleAttestation[Creator,]",
        "MultipleAttestation[Creator]]",
        "MultipleAttestation[[Creator]",
        "CreativeIntegrity[Creator]",
        "GreedyVerification[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wh_strategy st;
        wh_err err = {0};
        if (wh_strategy_parse(bad[i], &st, &err) != WH_EINVAL) {
            fprintf(stderr, "  \"%s\" parsed\n", bad[i]);
            CHECK(0);
        }
        CHECK_CONTAINS(err.msg, "strategy");
    }
    wh_strategy st;
    wh_err err = {0};
    CHECK_INT(wh_strategy_parse("MultipleAttestation[Blah]", &st, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown role \"Blah\"");
    CHECK_INT(wh_strategy_parse("MultipleAttestation", &st, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "needs a role list");
}

static void test_yank(void)
{
    world w;
    world_init(&w);
    if (!w.inv || !w.host) {
        world_free(&w);
        CHECK(0);
        return;
    }
    wh_err err = {0};
    /* Not yanked: nothing to sign. */
    CHECK_INT(wh_sig_sign_yank(w.inv, w.host, 1700000001, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "not yanked");
    w.inv->yanked = true;
    w.inv->has_yanked = true;
    w.inv->yanked_reason = wh_arena_strdup(&w.inv->arena, "CVE-1");
    CHECK_INT(wh_sig_sign_yank(w.inv, w.creator, 1700000001, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "host role");

    char *clear = NULL;
    size_t len = 0;
    CHECK_INT(wh_sig_yank_cleartext(w.inv, "Host <h@x>", 1700000001, &clear, &len, &err), 0);
    CHECK_STR(clear, "Host <h@x>\nenterprise.com/cargobay\n1.0.0\nhost\n1700000001\ntrue\n~\nCVE-1");
    free(clear);

    CHECK_INT(wh_sig_sign_yank(w.inv, w.host, 1700000001, &err), 0);
    CHECK_INT(w.inv->n_yanked_signatures, 1);
    CHECK(w.inv->has_yanked_signatures);
    CHECK_INT(w.inv->n_signatures, 0);
    wh_signature *s = &w.inv->yanked_signatures[0];
    CHECK_STR(s->role, "host");
    CHECK_INT(s->at, 1700000001);
    CHECK_INT(wh_sig_verify_yank(w.inv, s, &err), 0);
    CHECK_INT(wh_sig_sign_yank(w.inv, w.host, 1700000002, &err), WH_EEXIST);

    /* Through TOML and back. */
    char *text = NULL;
    wh_invoice *back = NULL;
    CHECK_INT(wh_invoice_emit_toml(w.inv, &text, &len, &err), 0);
    CHECK_INT(wh_invoice_parse_toml(text, len, NULL, &back, &err), 0);
    CHECK(back && back->n_yanked_signatures == 1 &&
          wh_sig_verify_yank(back, &back->yanked_signatures[0], &err) == 0);
    free(text);
    wh_invoice_free(back);

    /* `at`, the reason and the yanked flag are all covered. */
    s->at = 1700000002;
    CHECK_INT(wh_sig_verify_yank(w.inv, s, &err), WH_EINVAL);
    s->at = 1700000001;
    w.inv->yanked_reason = NULL;
    CHECK_INT(wh_sig_verify_yank(w.inv, s, &err), WH_EINVAL);
    w.inv->yanked_reason = wh_arena_strdup(&w.inv->arena, "CVE-1");
    CHECK_INT(wh_sig_verify_yank(w.inv, s, &err), 0);
    w.inv->yanked = false;
    CHECK_INT(wh_sig_verify_yank(w.inv, s, &err), WH_EINVAL);
    w.inv->yanked = true;
    /* An invoice signature is not a yank signature, nor the reverse. */
    sign(&w, w.creator, WH_ROLE_CREATOR);
    w.inv->signatures[0].role = wh_arena_strdup(&w.inv->arena, "host");
    CHECK_INT(wh_sig_verify_yank(w.inv, &w.inv->signatures[0], &err), WH_EINVAL);
    CHECK_INT(wh_sig_verify(w.inv, s, &err), WH_EINVAL);
    s->role = wh_arena_strdup(&w.inv->arena, "creator");
    CHECK_INT(wh_sig_verify_yank(w.inv, s, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "host role only");

    /* No reason: the last line is empty. */
    w.inv->yanked_reason = NULL;
    CHECK_INT(wh_sig_yank_cleartext(w.inv, "H", 5, &clear, &len, &err), 0);
    CHECK_STR(clear, "H\nenterprise.com/cargobay\n1.0.0\nhost\n5\ntrue\n~\n");
    free(clear);
    world_free(&w);
}

int main(void)
{
    RUN(test_fixtures_verify);
    RUN(test_cleartext_exact);
    RUN(test_tampering);
    RUN(test_sign_round_trip);
    RUN(test_duplicate_key_in_invoice);
    RUN(test_strategies);
    RUN(test_strategy_parse);
    RUN(test_yank);
    return unit_done("signature");
}
