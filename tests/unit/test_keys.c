/*
 * test_keys.c - keys, keyrings and secret-key files: Bindle's own key files
 * load, every malformed field is refused with a message saying which, the
 * 0600 rule holds on load and on save, and emit -> parse round trips.
 *
 * Fixtures are found under $WHARF_FIXTURES (default ../shared/fixtures).
 * Files written by the tests live in one mkdtemp directory, removed at the
 * end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/base64.h"
#include "schema/keys.h"
#include "tests/unit/unit.h"

static const char *fixture_key =
    "Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=";
static const char *fixture_label = "Starfleet Command <starfleet@ufp.com>";

static char g_dir[] = "/tmp/wh-test-keys-XXXXXX";

static const char *fixtures_dir(void)
{
    const char *d = getenv("WHARF_FIXTURES");
    return d && *d ? d : "../shared/fixtures";
}

static void fixture_path(char *buf, size_t cap, const char *rel)
{
    snprintf(buf, cap, "%s/bindle/%s", fixtures_dir(), rel);
}

/* Writes text to g_dir/name with that mode; returns the path (static). */
static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return path;
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

static int parse_ring(const char *text, wh_err *err)
{
    wh_keyring *kr = NULL;
    int rc = wh_keyring_parse(text, strlen(text), NULL, &kr, err);
    CHECK(rc == 0 ? kr != NULL : kr == NULL);
    wh_keyring_free(kr);
    return rc;
}

static int parse_secret(const char *text, wh_err *err)
{
    wh_secret_keys *sk = NULL;
    int rc = wh_secret_keys_parse(text, strlen(text), NULL, &sk, err);
    CHECK(rc == 0 ? sk != NULL : sk == NULL);
    wh_secret_keys_free(sk);
    return rc;
}

static void test_roles(void)
{
    unsigned r = 0;
    wh_err err = {0};
    CHECK_INT(wh_role_parse("creator", &r, &err), 0);
    CHECK_INT(r, WH_ROLE_CREATOR);
    CHECK_INT(wh_role_parse("Approver", &r, &err), 0);
    CHECK_INT(r, WH_ROLE_APPROVER);
    CHECK_INT(wh_role_parse("PROXY", &r, &err), 0);
    CHECK_INT(r, WH_ROLE_PROXY);
    CHECK_INT(wh_role_parse("host", &r, &err), 0);
    CHECK_INT(r, WH_ROLE_HOST);
    CHECK_INT(wh_role_parse("owner", &r, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "owner");
    CHECK_INT(wh_role_parse("", &r, &err), WH_EINVAL);
    CHECK_STR(wh_role_name(WH_ROLE_HOST), "host");
    CHECK_STR(wh_role_name(WH_ROLE_CREATOR), "creator");
    CHECK(wh_role_name(WH_ROLE_HOST | WH_ROLE_PROXY) == NULL);
    CHECK(wh_role_name(0) == NULL);
}

static void test_base64(void)
{
    unsigned char out[64];
    size_t n = 0;
    wh_err err = {0};
    char enc[16];
    wh_base64_encode((const unsigned char *)"ab", 2, enc);
    CHECK_STR(enc, "YWI=");
    CHECK_INT(wh_base64_encoded_len(32), WH_PUBLIC_B64_LEN);
    CHECK_INT(wh_base64_encoded_len(64), WH_SIG_B64_LEN);
    CHECK_INT(wh_base64_decode("YWI=", 4, out, sizeof out, &n, "x", &err), 0);
    CHECK_INT(n, 2);
    CHECK(memcmp(out, "ab", 2) == 0);
    CHECK_INT(wh_base64_decode("YWJj", 4, out, sizeof out, &n, "x", &err), 0);
    CHECK_INT(n, 3);
    /* Missing padding, whitespace, bad characters, bits under padding. */
    CHECK_INT(wh_base64_decode("YWI", 3, out, sizeof out, &n, "x", &err),
              WH_EINVAL);
    CHECK_INT(wh_base64_decode(" YWI=", 5, out, sizeof out, &n, "x", &err),
              WH_EINVAL);
    CHECK_INT(wh_base64_decode("YW*=", 4, out, sizeof out, &n, "x", &err),
              WH_EINVAL);
    CHECK_INT(wh_base64_decode("YWJ=", 4, out, sizeof out, &n, "x", &err),
              WH_EINVAL);
    CHECK_CONTAINS(err.msg, "canonical");
    CHECK_INT(wh_base64_decode("Y===", 4, out, sizeof out, &n, "x", &err),
              WH_EINVAL);
    CHECK_INT(wh_base64_decode("YWJj", 4, out, 2, &n, "thing", &err),
              WH_EINVAL);
    CHECK_CONTAINS(err.msg, "thing");
}

static void test_fixture_keyring(void)
{
    char path[512];
    wh_err err = {0};
    wh_keyring *kr = NULL;
    fixture_path(path, sizeof path, "keyring.toml");
    CHECK_INT(wh_keyring_load(path, NULL, &kr, &err), 0);
    if (!kr) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK_INT(kr->n, 1);
    CHECK_STR(kr->keys[0].label, fixture_label);
    CHECK_INT(kr->keys[0].roles, WH_ROLE_CREATOR);
    CHECK(kr->keys[0].label_signature != NULL);
    unsigned char key[32];
    CHECK_INT(wh_key_decode(fixture_key, key, 32, "key", &err), 0);
    CHECK(wh_keyring_find(kr, key) == &kr->keys[0]);
    key[0] ^= 1;
    CHECK(wh_keyring_find(kr, key) == NULL);

    /* Bindle's labelSignature is the key's own signature over its label. */
    unsigned char sig[64];
    CHECK_INT(wh_key_decode(kr->keys[0].label_signature, sig, 64, "sig", &err),
              0);
    CHECK_INT(wh_ed25519_verify(kr->keys[0].key, fixture_label,
                                strlen(fixture_label), sig, &err),
              0);

    /* scaffolds/keys holds the same key. */
    wh_keyring *kr2 = NULL;
    fixture_path(path, sizeof path, "scaffolds/keys/keyring.toml");
    CHECK_INT(wh_keyring_load(path, NULL, &kr2, &err), 0);
    CHECK(kr2 && kr2->n == 1 &&
          memcmp(kr2->keys[0].key, kr->keys[0].key, 32) == 0);
    wh_keyring_free(kr2);
    wh_keyring_free(kr);
}

static void test_fixture_secret_keys(void)
{
    char path[512], copy[512];
    wh_err err = {0};
    wh_keyring *kr = NULL;
    wh_secret_keys *sk = NULL;
    fixture_path(path, sizeof path, "keyring.toml");
    CHECK_INT(wh_keyring_load(path, NULL, &kr, &err), 0);

    /* The fixture's mode is whatever the checkout gave it: parse the
     * buffer, and load a 0600 copy. */
    fixture_path(path, sizeof path, "secret_keys.toml");
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char text[4096] = {0};
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    CHECK(n > 0);
    snprintf(copy, sizeof copy, "%s", write_file("fixture_secret.toml", text, 0600));
    CHECK_INT(wh_secret_keys_load(copy, NULL, &sk, &err), 0);
    if (!sk || !kr) {
        fprintf(stderr, "  %s\n", err.msg);
        wh_keyring_free(kr);
        wh_secret_keys_free(sk);
        return;
    }
    CHECK_INT(sk->n, 1);
    CHECK_STR(sk->keys[0].label, fixture_label);
    CHECK_INT(sk->keys[0].roles, WH_ROLE_CREATOR);
    /* The secret key's public half is the keyring's key. */
    CHECK(memcmp(sk->keys[0].pub, kr->keys[0].key, 32) == 0);
    CHECK(wh_keyring_find(kr, sk->keys[0].pub) != NULL);
    CHECK(wh_secret_keys_find_role(sk, WH_ROLE_CREATOR) == &sk->keys[0]);
    CHECK(wh_secret_keys_find_role(sk, WH_ROLE_HOST) == NULL);

    /* Signing the label again gives the fixture's labelSignature
     * (Ed25519 is deterministic). */
    wh_keyring *kr2 = wh_keyring_new();
    CHECK_INT(wh_keyring_add_secret(kr2, &sk->keys[0], &err), 0);
    CHECK(kr2->n == 1 && kr2->keys[0].label_signature &&
          strcmp(kr2->keys[0].label_signature, kr->keys[0].label_signature) == 0);
    wh_keyring_free(kr2);

    wh_secret_keys *sk2 = NULL;
    fixture_path(path, sizeof path, "scaffolds/keys/secret_keys.toml");
    f = fopen(path, "r");
    memset(text, 0, sizeof text);
    n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    CHECK_INT(wh_secret_keys_parse(text, n, NULL, &sk2, &err), 0);
    CHECK(sk2 && sk2->n == 1 && memcmp(sk2->keys[0].pub, sk->keys[0].pub, 32) == 0);
    wh_secret_keys_free(sk2);
    wh_secret_keys_free(sk);
    wh_keyring_free(kr);
}

#define RING_HEAD "version = \"1.0\"\n[[key]]\nlabel = \"L\"\nroles = [\"creator\"]\n"

static void test_keyring_refusals(void)
{
    wh_err err = {0};
    /* The minimal good one, so that each refusal below is about one field. */
    CHECK_INT(parse_ring(RING_HEAD "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=\"\n",
                         &err), 0);
    CHECK_INT(parse_ring("version = \"1.0\"\n", &err), 0);

    /* Wrong lengths: 31 and 33 bytes, and a 64-byte keypair in `key`. */
    CHECK_INT(parse_ring(RING_HEAD "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1w==\"\n",
                         &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "key 0");
    CHECK_CONTAINS(err.msg, "31 bytes, expected 32");
    CHECK_INT(parse_ring(RING_HEAD "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1szM\"\n",
                         &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "33 bytes");
    CHECK_INT(parse_ring(RING_HEAD "key = \"Ii3Ou5nAZWaLaOsY9duTsVuTpOqvbrcd837ELsxPWhspyzVNIUOQ350QPRjo2nR88Gqa9TPQQBQsiVSyeVTWzA==\"\n",
                         &err), WH_EINVAL);
    /* Bad base64. */
    CHECK_INT(parse_ring(RING_HEAD "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw\"\n",
                         &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "multiple of 4");
    CHECK_INT(parse_ring(RING_HEAD "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1s!=\"\n",
                         &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "not base64");
    CHECK_INT(parse_ring(RING_HEAD "key = 12\n", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "key must be a string");
    CHECK_INT(parse_ring(RING_HEAD, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "missing key");
    CHECK_INT(parse_ring(RING_HEAD "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=\"\n"
                         "labelSignature = \"YWI=\"\n", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "labelSignature");

    /* Unknown fields, at the top and in an entry. */
    CHECK_INT(parse_ring(RING_HEAD "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=\"\n"
                         "keypair = \"x\"\n", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown field \"keypair\"");
    CHECK_INT(parse_ring("version = \"1.0\"\nowner = \"me\"\n", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown field \"owner\"");

    /* Bad roles, labels, versions. */
    const char *k = "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=\"\n";
    char doc[1024];
    snprintf(doc, sizeof doc, "version = \"1.0\"\n[[key]]\nlabel = \"L\"\nroles = [\"owner\"]\n%s", k);
    CHECK_INT(parse_ring(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown role \"owner\"");
    snprintf(doc, sizeof doc, "version = \"1.0\"\n[[key]]\nlabel = \"L\"\nroles = []\n%s", k);
    CHECK_INT(parse_ring(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "roles is empty");
    snprintf(doc, sizeof doc, "version = \"1.0\"\n[[key]]\nlabel = \"L\"\nroles = \"creator\"\n%s", k);
    CHECK_INT(parse_ring(doc, &err), WH_EINVAL);
    snprintf(doc, sizeof doc, "version = \"1.0\"\n[[key]]\nlabel = \"L\"\n%s", k);
    CHECK_INT(parse_ring(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "missing roles");
    snprintf(doc, sizeof doc, "version = \"1.0\"\n[[key]]\nlabel = \"\"\nroles = [\"host\"]\n%s", k);
    CHECK_INT(parse_ring(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "label is empty");
    snprintf(doc, sizeof doc, "version = \"1.0\"\n[[key]]\nlabel = \"a\\u0000b\"\nroles = [\"host\"]\n%s", k);
    CHECK_INT(parse_ring(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "NUL");
    snprintf(doc, sizeof doc, "version = \"2.0\"\n[[key]]\nlabel = \"L\"\nroles = [\"host\"]\n%s", k);
    CHECK_INT(parse_ring(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "version");
    snprintf(doc, sizeof doc, "[[key]]\nlabel = \"L\"\nroles = [\"host\"]\n%s", k);
    CHECK_INT(parse_ring(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "missing version");
    /* The same key twice. */
    snprintf(doc, sizeof doc, RING_HEAD "%s[[key]]\nlabel = \"M\"\nroles = [\"host\"]\n%s", k, k);
    CHECK_INT(parse_ring(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "key 1");
    CHECK_CONTAINS(err.msg, "twice");
    /* Not TOML at all. */
    CHECK_INT(parse_ring("version = \n", &err), WH_EINVAL);
}

static void test_keyring_limits(void)
{
    wh_err err = {0};
    wh_keyring *kr = NULL;
    const char *k = "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=\"\n";
    char doc[1024];
    snprintf(doc, sizeof doc, "version = \"1.0\"\n[[key]]\nlabel = \"0123456789\"\nroles = [\"host\"]\n%s", k);
    wh_keys_limits lim = {.max_bytes = 4096, .max_keys = 4, .max_label = 10};
    CHECK_INT(wh_keyring_parse(doc, strlen(doc), &lim, &kr, &err), 0);
    wh_keyring_free(kr);
    lim.max_label = 9;
    CHECK_INT(wh_keyring_parse(doc, strlen(doc), &lim, &kr, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "label is 10 bytes");
    lim.max_label = 10;
    lim.max_bytes = strlen(doc) - 1;
    CHECK_INT(wh_keyring_parse(doc, strlen(doc), &lim, &kr, &err), WH_ETOOBIG);
    lim.max_bytes = 4096;
    lim.max_keys = 0;
    CHECK_INT(wh_keyring_parse(doc, strlen(doc), &lim, &kr, &err), WH_ETOOBIG);
    CHECK_CONTAINS(err.msg, "1 keys");
    CHECK(kr == NULL);
}

static void test_keyring_load_errors(void)
{
    wh_err err = {0};
    wh_keyring *kr = NULL;
    char path[600];
    snprintf(path, sizeof path, "%s/nope.toml", g_dir);
    CHECK_INT(wh_keyring_load(path, NULL, &kr, &err), WH_ENOTFOUND);
    CHECK_CONTAINS(err.msg, path);
    const char *p = write_file("badring.toml", RING_HEAD "key = \"xx\"\n", 0644);
    CHECK_INT(wh_keyring_load(p, NULL, &kr, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, p);
    CHECK_CONTAINS(err.msg, "key 0");
    CHECK_INT(wh_keyring_load(g_dir, NULL, &kr, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "not a regular file");
    CHECK(kr == NULL);
}

static void test_keyring_emit_add(void)
{
    wh_err err = {0};
    wh_keyring *kr = wh_keyring_new();
    wh_secret_keys *sk = wh_secret_keys_new();
    const wh_secret_key *a = NULL, *b = NULL;
    CHECK_INT(wh_secret_keys_generate(sk, "Alice <a@x>", WH_ROLE_CREATOR, &a, &err), 0);
    CHECK_INT(wh_secret_keys_generate(sk, "Host \"h\"", WH_ROLE_HOST | WH_ROLE_PROXY, &b, &err), 0);
    a = &sk->keys[0];
    CHECK_INT(wh_keyring_add_secret(kr, a, &err), 0);
    CHECK_INT(wh_keyring_add(kr, b->label, b->roles, b->pub, NULL, &err), 0);
    CHECK_INT(wh_keyring_add(kr, "again", WH_ROLE_HOST, a->pub, NULL, &err), WH_EEXIST);
    CHECK_INT(wh_keyring_add(kr, "", WH_ROLE_HOST, a->pub, NULL, &err), WH_EINVAL);
    CHECK_INT(wh_keyring_add(kr, "x", 0, a->pub, NULL, &err), WH_EINVAL);
    CHECK_INT(kr->n, 2);
    char *text = NULL;
    size_t len = 0;
    CHECK_INT(wh_keyring_emit(kr, &text, &len, &err), 0);
    wh_keyring *back = NULL;
    CHECK_INT(wh_keyring_parse(text, len, NULL, &back, &err), 0);
    CHECK(back && back->n == 2);
    if (back && back->n == 2) {
        CHECK_STR(back->keys[0].label, "Alice <a@x>");
        CHECK_STR(back->keys[1].label, "Host \"h\"");
        CHECK_INT(back->keys[1].roles, WH_ROLE_HOST | WH_ROLE_PROXY);
        CHECK(memcmp(back->keys[0].key, a->pub, 32) == 0);
        CHECK_STR(back->keys[0].label_signature, kr->keys[0].label_signature);
        CHECK(back->keys[1].label_signature == NULL);
        char *again = NULL;
        size_t len2 = 0;
        CHECK_INT(wh_keyring_emit(back, &again, &len2, &err), 0);
        CHECK(again && len2 == len && memcmp(text, again, len) == 0);
        free(again);
    }
    CHECK_CONTAINS(text, "version = \"1.0\"");
    free(text);
    wh_keyring_free(back);
    wh_keyring_free(kr);
    wh_secret_keys_free(sk);
}

#define SECRET_KP "Ii3Ou5nAZWaLaOsY9duTsVuTpOqvbrcd837ELsxPWhspyzVNIUOQ350QPRjo2nR88Gqa9TPQQBQsiVSyeVTWzA=="

static void test_secret_refusals(void)
{
    wh_err err = {0};
    char doc[1024];
    snprintf(doc, sizeof doc, "[[key]]\nlabel = \"L\"\nroles = [\"creator\"]\nkeypair = \"%s\"\n", SECRET_KP);
    CHECK_INT(parse_secret(doc, &err), 0);  /* version is optional here */
    /* A 32-byte public key where a keypair belongs. */
    CHECK_INT(parse_secret("[[key]]\nlabel = \"L\"\nroles = [\"creator\"]\n"
                           "keypair = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=\"\n", &err),
              WH_EINVAL);
    CHECK_CONTAINS(err.msg, "keypair: 32 bytes, expected 64");
    /* A public half that does not match the seed (last byte flipped). */
    CHECK_INT(parse_secret("[[key]]\nlabel = \"L\"\nroles = [\"creator\"]\n"
                           "keypair = \"Ii3Ou5nAZWaLaOsY9duTsVuTpOqvbrcd837ELsxPWhspyzVNIUOQ350QPRjo2nR88Gqa9TPQQBQsiVSyeVTWzQ==\"\n", &err),
              WH_EINVAL);
    CHECK_CONTAINS(err.msg, "public half");
    /* Bad base64. */
    CHECK_INT(parse_secret("[[key]]\nlabel = \"L\"\nroles = [\"creator\"]\n"
                           "keypair = \"Ii3Ou5nAZWaLaOsY9duTsVuTpOqvbrcd837ELsxPWhspyzVNIUOQ350QPRjo2nR88Gqa9TPQQBQsiVSyeVTWzA\"\n", &err),
              WH_EINVAL);
    /* Unknown field: a keyring's `key` in a secret file. */
    snprintf(doc, sizeof doc, "[[key]]\nlabel = \"L\"\nroles = [\"creator\"]\nkeypair = \"%s\"\n"
             "key = \"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=\"\n", SECRET_KP);
    CHECK_INT(parse_secret(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown field \"key\"");
    snprintf(doc, sizeof doc, "[[key]]\nlabel = \"L\"\nroles = [\"creator\", \"janitor\"]\nkeypair = \"%s\"\n", SECRET_KP);
    CHECK_INT(parse_secret(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "janitor");
    snprintf(doc, sizeof doc, "version = \"1.1\"\n[[key]]\nlabel = \"L\"\nroles = [\"creator\"]\nkeypair = \"%s\"\n", SECRET_KP);
    CHECK_INT(parse_secret(doc, &err), WH_EINVAL);
    snprintf(doc, sizeof doc, "[[key]]\nlabel = \"L\"\nroles = [\"creator\"]\nkeypair = \"%s\"\n"
             "[[key]]\nlabel = \"M\"\nroles = [\"host\"]\nkeypair = \"%s\"\n", SECRET_KP, SECRET_KP);
    CHECK_INT(parse_secret(doc, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "key 1");
    CHECK_INT(parse_secret("key = 3\n", &err), WH_EINVAL);
    CHECK_INT(parse_secret("key = [1]\n", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "not a table");
}

static void test_secret_permissions(void)
{
    wh_err err = {0};
    wh_secret_keys *sk = NULL;
    char doc[1024];
    snprintf(doc, sizeof doc, "version = \"1.0\"\n[[key]]\nlabel = \"L\"\nroles = [\"creator\"]\nkeypair = \"%s\"\n", SECRET_KP);
    static const mode_t bad[] = {0644, 0640, 0604, 0620, 0602, 0660, 0666};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = write_file("perm.toml", doc, bad[i]);
        CHECK_INT(wh_secret_keys_load(p, NULL, &sk, &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, p);
        CHECK_CONTAINS(err.msg, "mode");
        CHECK(sk == NULL);
    }
    const char *p = write_file("perm.toml", doc, 0600);
    CHECK_INT(wh_secret_keys_load(p, NULL, &sk, &err), 0);
    wh_secret_keys_free(sk);
    p = write_file("perm.toml", doc, 0400);
    CHECK_INT(wh_secret_keys_load(p, NULL, &sk, &err), 0);
    wh_secret_keys_free(sk);
    /* A parse error on load names the file too. */
    p = write_file("perm2.toml", "[[key]]\nlabel = 1\n", 0600);
    CHECK_INT(wh_secret_keys_load(p, NULL, &sk, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, p);
    CHECK_CONTAINS(err.msg, "label must be a string");
}

static void test_secret_save_load(void)
{
    wh_err err = {0};
    wh_secret_keys *sk = wh_secret_keys_new(), *back = NULL;
    CHECK_INT(wh_secret_keys_generate(sk, "Host One", WH_ROLE_HOST, NULL, &err), 0);
    CHECK_INT(wh_secret_keys_generate(sk, "Creator Two", WH_ROLE_CREATOR | WH_ROLE_APPROVER, NULL, &err), 0);
    CHECK_INT(wh_secret_keys_generate(sk, "", WH_ROLE_HOST, NULL, &err), WH_EINVAL);
    CHECK_INT(wh_secret_keys_generate(sk, "x", 0, NULL, &err), WH_EINVAL);
    CHECK_INT(sk->n, 2);
    CHECK(memcmp(sk->keys[0].pub, sk->keys[1].pub, 32) != 0);
    unsigned char pub[32];
    CHECK_INT(wh_ed25519_public(sk->keys[1].seed, pub, &err), 0);
    CHECK(memcmp(pub, sk->keys[1].pub, 32) == 0);

    char path[600];
    snprintf(path, sizeof path, "%s/saved.toml", g_dir);
    mode_t old = umask(0);  /* a lax umask must not leak into the file */
    CHECK_INT(wh_secret_keys_save(sk, path, &err), 0);
    umask(old);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 07777, 0600);
    CHECK_INT(wh_secret_keys_load(path, NULL, &back, &err), 0);
    CHECK(back && back->n == 2);
    if (back && back->n == 2) {
        for (size_t i = 0; i < 2; i++) {
            CHECK_STR(back->keys[i].label, sk->keys[i].label);
            CHECK_INT(back->keys[i].roles, sk->keys[i].roles);
            CHECK(memcmp(back->keys[i].seed, sk->keys[i].seed, 32) == 0);
            CHECK(memcmp(back->keys[i].pub, sk->keys[i].pub, 32) == 0);
        }
    }
    wh_secret_keys_free(back);
    back = NULL;
    /* Saving again replaces the file (still 0600) and leaves no temp. */
    CHECK_INT(wh_secret_keys_generate(sk, "Third", WH_ROLE_PROXY, NULL, &err), 0);
    chmod(path, 0644);
    CHECK_INT(wh_secret_keys_save(sk, path, &err), 0);
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 07777, 0600);
    CHECK_INT(wh_secret_keys_load(path, NULL, &back, &err), 0);
    CHECK(back && back->n == 3);
    wh_secret_keys_free(back);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", g_dir);
    CHECK(system(cmd) != 0);
    /* A directory that does not exist: refused, naming the path. */
    snprintf(path, sizeof path, "%s/no/such/dir.toml", g_dir);
    CHECK_INT(wh_secret_keys_save(sk, path, &err), WH_EIO);
    CHECK_CONTAINS(err.msg, path);
    wh_secret_keys_free(sk);
}

static void test_ed25519(void)
{
    wh_err err = {0};
    wh_secret_keys *sk = wh_secret_keys_new();
    const wh_secret_key *k = NULL;
    CHECK_INT(wh_secret_keys_generate(sk, "k", WH_ROLE_HOST, &k, &err), 0);
    unsigned char sig[64];
    CHECK_INT(wh_ed25519_sign(k->seed, "hello", 5, sig, &err), 0);
    CHECK_INT(wh_ed25519_verify(k->pub, "hello", 5, sig, &err), 0);
    CHECK_INT(wh_ed25519_verify(k->pub, "hellO", 5, sig, &err), WH_EINVAL);
    sig[10] ^= 0x40;
    CHECK_INT(wh_ed25519_verify(k->pub, "hello", 5, sig, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "bad signature");
    wh_secret_keys_free(sk);
}

int main(void)
{
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_roles);
    RUN(test_base64);
    RUN(test_ed25519);
    RUN(test_fixture_keyring);
    RUN(test_fixture_secret_keys);
    RUN(test_keyring_refusals);
    RUN(test_keyring_limits);
    RUN(test_keyring_load_errors);
    RUN(test_keyring_emit_add);
    RUN(test_secret_refusals);
    RUN(test_secret_permissions);
    RUN(test_secret_save_load);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    return unit_done("keys");
}
