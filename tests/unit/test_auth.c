/*
 * test_auth.c - the two parsers behind wharfd's authentication: token
 * scopes (what each pattern grants and what it must not, every refusal and
 * its message, the limits, the canonical text) and htpasswd files (Bindle's
 * fixture verifies, every malformed line is refused naming SOURCE:LINE,
 * hashes made here with libxcrypt verify, unknown users cost bcrypt time,
 * concurrent checks agree).
 *
 * Fixtures are found under $WHARF_FIXTURES (default ../shared/fixtures).
 */
#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/htpasswd.h"
#include "server/scope.h"
#include "tests/unit/unit.h"

/* ------------------------------------------------------------------ */
/* scopes */

static wh_scopes *parse_ok(const char *text)
{
    wh_scopes *s = NULL;
    wh_err err = {0};
    int rc = wh_scopes_parse(text, &s, &err);
    if (rc) {
        fprintf(stderr, "  parse of \"%s\" failed: %s\n", text, err.msg);
        CHECK_INT(rc, 0);
    }
    return s;
}

/* Parses text that must be refused with WH_EINVAL; returns the message
 * (static). */
static const char *parse_bad(const char *text)
{
    static wh_err err;
    wh_scopes *s = (wh_scopes *)&err; /* anything but NULL */
    wh_err_clear(&err);
    CHECK_INT(wh_scopes_parse(text, &s, &err), WH_EINVAL);
    CHECK(s == NULL);
    CHECK_INT(err.code, WH_EINVAL);
    return err.msg;
}

static void test_scope_each_action(void)
{
    wh_scopes *s = parse_ok("read:r push:p yank:y *:all");
    CHECK(s && s->n == 4);
    if (!s)
        return;
    CHECK_INT(s->v[0].actions, WH_SCOPE_READ);
    CHECK_INT(s->v[1].actions, WH_SCOPE_PUSH);
    CHECK_INT(s->v[2].actions, WH_SCOPE_YANK);
    CHECK_INT(s->v[3].actions, WH_SCOPE_ALL);
    CHECK_STR(s->v[0].pattern, "r");
    CHECK(!s->v[0].prefix);

    CHECK(wh_scopes_allow(s, WH_SCOPE_READ, "r"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "r"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_YANK, "r"));
    CHECK(wh_scopes_allow(s, WH_SCOPE_PUSH, "p"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_READ, "p"));
    CHECK(wh_scopes_allow(s, WH_SCOPE_YANK, "y"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "y"));
    CHECK(wh_scopes_allow(s, WH_SCOPE_READ, "all"));
    CHECK(wh_scopes_allow(s, WH_SCOPE_PUSH, "all"));
    CHECK(wh_scopes_allow(s, WH_SCOPE_YANK, "all"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_READ, "other"));

    /* An action is one bit: a combination or nothing grants nothing. */
    CHECK(!wh_scopes_allow(s, WH_SCOPE_ALL, "all"));
    CHECK(!wh_scopes_allow(s, 0, "all"));
    CHECK(!wh_scopes_allow(s, 8, "all"));
    CHECK(!wh_scopes_allow(NULL, WH_SCOPE_READ, "r"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_READ, NULL));
    wh_scopes_free(s);
}

static void test_scope_star(void)
{
    wh_scopes *s = parse_ok("read:*");
    CHECK(s && s->n == 1);
    if (!s)
        return;
    CHECK(s->v[0].prefix);
    CHECK_STR(s->v[0].pattern, "");
    CHECK(wh_scopes_allow(s, WH_SCOPE_READ, "example.com/app"));
    CHECK(wh_scopes_allow(s, WH_SCOPE_READ, "x"));
    CHECK(wh_scopes_allow(s, WH_SCOPE_READ, "\xC3\xA9t\xC3\xA9/app"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "x"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_YANK, "x"));
    /* Even `*` never covers something that is not a bindle name. */
    CHECK(!wh_scopes_allow(s, WH_SCOPE_READ, ""));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_READ, "a/../b"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_READ, "/etc/passwd"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_READ, "a/1.0.0@abc"));
    wh_scopes_free(s);

    s = parse_ok("*:*");
    CHECK(s && s->v[0].actions == WH_SCOPE_ALL);
    CHECK(wh_scopes_allow(s, WH_SCOPE_YANK, "any/thing"));
    wh_scopes_free(s);
}

static void test_scope_prefix(void)
{
    wh_scopes *s = parse_ok("push:example.com/*");
    CHECK(s && s->n == 1);
    if (!s)
        return;
    CHECK(s->v[0].prefix);
    CHECK_STR(s->v[0].pattern, "example.com/");
    CHECK(wh_scopes_allow(s, WH_SCOPE_PUSH, "example.com/app"));
    CHECK(wh_scopes_allow(s, WH_SCOPE_PUSH, "example.com/a/b"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "example.com"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "example.community/x"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "example.co/app"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "Example.com/app"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "other/example.com/app"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_READ, "example.com/app"));
    /* A name that climbs out of the prefix is not a name at all. */
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "example.com/../other"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_PUSH, "example.com//x"));
    wh_scopes_free(s);

    /* Without the '/', a prefix is a plain string prefix, as written. */
    s = parse_ok("read:example.com*");
    CHECK(wh_scopes_allow(s, WH_SCOPE_READ, "example.com"));
    CHECK(wh_scopes_allow(s, WH_SCOPE_READ, "example.community/x"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_READ, "example.co"));
    wh_scopes_free(s);
}

static void test_scope_exact(void)
{
    wh_scopes *s = parse_ok("yank:example.com/app");
    CHECK(s && !s->v[0].prefix);
    CHECK(wh_scopes_allow(s, WH_SCOPE_YANK, "example.com/app"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_YANK, "example.com/app2"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_YANK, "example.com/ap"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_YANK, "example.com/app/x"));
    CHECK(!wh_scopes_allow(s, WH_SCOPE_YANK, "example.com"));
    wh_scopes_free(s);
}

static void test_scope_separators(void)
{
    wh_scopes *s = parse_ok(" read:a,push:b\tyank:c , ,*:d\n");
    CHECK(s && s->n == 4);
    if (s) {
        CHECK_STR(s->v[3].pattern, "d");
        CHECK(wh_scopes_allow(s, WH_SCOPE_YANK, "c"));
    }
    wh_scopes_free(s);
}

static void test_scope_any(void)
{
    wh_scopes *s = parse_ok("push:example.com/app read:x*");
    CHECK(wh_scopes_any(s, WH_SCOPE_PUSH));
    CHECK(wh_scopes_any(s, WH_SCOPE_READ));
    CHECK(!wh_scopes_any(s, WH_SCOPE_YANK));
    CHECK(!wh_scopes_any(s, WH_SCOPE_ALL));
    CHECK(!wh_scopes_any(NULL, WH_SCOPE_READ));
    wh_scopes_free(s);
}

static void test_scope_bad_actions(void)
{
    const char *m = parse_bad("Read:x");
    CHECK_CONTAINS(m, "\"Read:x\"");
    CHECK_CONTAINS(m, "unknown action \"Read\"");
    CHECK_CONTAINS(m, "expected ACTION:PATTERN");
    CHECK_CONTAINS(m, "(actions are lowercase)");
    m = parse_bad("read:a pull:x");
    CHECK_CONTAINS(m, "unknown action \"pull\"");
    CHECK(!strstr(m, "lowercase"));
    CHECK_CONTAINS(parse_bad("PUSH:x"), "(actions are lowercase)");
    CHECK_CONTAINS(parse_bad("**:x"), "unknown action");
    CHECK_CONTAINS(parse_bad(":x"), "unknown action \"\"");
    m = parse_bad("read");
    CHECK_CONTAINS(m, "\"read\" has no ':'");
    CHECK_CONTAINS(m, "expected ACTION:PATTERN");
    CHECK_CONTAINS(parse_bad("read:a b"), "\"b\" has no ':'");
}

static void test_scope_bad_patterns(void)
{
    const char *m = parse_bad("read:");
    CHECK_CONTAINS(m, "\"read:\" has an empty pattern");
    m = parse_bad("read:a*b");
    CHECK_CONTAINS(m, "\"read:a*b\"");
    CHECK_CONTAINS(m, "'*' that is not at the end");
    CHECK_CONTAINS(parse_bad("read:*a"), "not at the end");
    CHECK_CONTAINS(parse_bad("read:**"), "not at the end");
    CHECK_CONTAINS(parse_bad("read:a/*/b"), "not at the end");
    m = parse_bad("push:a@b");
    CHECK_CONTAINS(m, "\"push:a@b\" has a bad pattern");
    CHECK_CONTAINS(m, "'@'");
    CHECK_CONTAINS(m, "expected ACTION:PATTERN");
    CHECK_CONTAINS(parse_bad("push:a:b"), "':'");
    CHECK_CONTAINS(parse_bad("push:a/../b"), "\"..\"");
    CHECK_CONTAINS(parse_bad("push:a..*"), "\"..\"");
    CHECK_CONTAINS(parse_bad("push:a//*"), "\"//\"");
    CHECK_CONTAINS(parse_bad("push:a//b*"), "\"//\"");
    CHECK_CONTAINS(parse_bad("push:/*"), "starts with '/'");
    CHECK_CONTAINS(parse_bad("push:/a*"), "starts with '/'");
    CHECK_CONTAINS(parse_bad("push:a/"), "ends with '/'");
    CHECK_CONTAINS(parse_bad("push:a$b"), "'$'");
    CHECK_CONTAINS(parse_bad("push:a\x01"), "control character");
    CHECK_CONTAINS(parse_bad("push:\xC3("), "UTF-8");
}

static void test_scope_empty(void)
{
    CHECK_CONTAINS(parse_bad(""), "no scopes");
    CHECK_CONTAINS(parse_bad(" ,\t, "), "no scopes");
    CHECK_CONTAINS(parse_bad(NULL), "no scopes");
}

static void test_scope_limits(void)
{
    static char text[WH_SCOPES_MAX_TEXT + 64];
    size_t o = 0;
    for (int i = 0; i < WH_SCOPES_MAX; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "read:n%d ", i);
    wh_scopes *s = parse_ok(text);
    CHECK(s && s->n == WH_SCOPES_MAX);
    CHECK(wh_scopes_allow(s, WH_SCOPE_READ, "n63"));
    wh_scopes_free(s);
    snprintf(text + o, sizeof text - o, "read:n64");
    const char *m = parse_bad(text);
    CHECK_CONTAINS(m, "too many scopes");
    CHECK_CONTAINS(m, "\"read:n64\"");
    CHECK_CONTAINS(m, "at most 64");

    /* Exactly at the byte limit is fine; one more is not. */
    memset(text, 0, sizeof text);
    memcpy(text, "read:", 5);
    memset(text + 5, 'a', 250);
    memset(text + 255, ' ', WH_SCOPES_MAX_TEXT - 255);
    s = parse_ok(text);
    CHECK(s && s->n == 1);
    wh_scopes_free(s);
    text[WH_SCOPES_MAX_TEXT] = ' ';
    m = parse_bad(text);
    CHECK_CONTAINS(m, "over 4096 bytes");
    CHECK_CONTAINS(m, "\"read:aaaa");
    /* The quote is cut: the message stays readable. */
    CHECK(strlen(m) < 300);

    /* A pattern longer than a name may be is refused, quoted short. */
    memset(text, 0, sizeof text);
    memcpy(text, "read:", 5);
    memset(text + 5, 'b', 300);
    m = parse_bad(text);
    CHECK_CONTAINS(m, "bad pattern");
    CHECK_CONTAINS(m, "...");
    CHECK(strlen(m) < 400);
}

static void test_scope_format(void)
{
    char buf[256];
    wh_err err = {0};
    wh_scopes *s = parse_ok("*:a read:b* push:* read:b*,yank:a");
    CHECK_INT(wh_scopes_format(s, buf, sizeof buf, &err), 0);
    CHECK_STR(buf, "read:a push:a yank:a read:b* push:*");

    wh_scopes *back = parse_ok(buf);
    char again[256];
    CHECK_INT(wh_scopes_format(back, again, sizeof again, &err), 0);
    CHECK_STR(again, buf);
    const char *names[] = {"a", "b", "bc/d", "x", "a2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        for (unsigned a = 1; a <= 4; a <<= 1)
            CHECK(wh_scopes_allow(s, a, names[i]) ==
                  wh_scopes_allow(back, a, names[i]));
    wh_scopes_free(back);

    /* Exactly fitting, and one byte short. */
    size_t need = strlen(buf) + 1;
    CHECK_INT(wh_scopes_format(s, again, need, &err), 0);
    CHECK_STR(again, buf);
    CHECK_INT(wh_scopes_format(s, again, need - 1, &err), WH_ETOOBIG);
    CHECK_STR(again, "");
    CHECK_CONTAINS(err.msg, "do not fit");
    wh_scopes_free(s);

    /* Written out one action each, 64 `*:` scopes would be 192, which could
     * not be read back: refused rather than handed out. */
    static char text[WH_SCOPES_MAX_TEXT];
    static char out[4 * WH_SCOPES_MAX_TEXT];
    size_t o = 0;
    for (int i = 0; i < WH_SCOPES_MAX; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "*:n%d ", i);
    s = parse_ok(text);
    CHECK_INT(wh_scopes_format(s, out, sizeof out, &err), WH_ETOOBIG);
    CHECK_CONTAINS(err.msg, "over the limit");
    wh_scopes_free(s);
    CHECK_INT(wh_scopes_format(NULL, out, sizeof out, &err), WH_EINVAL);
}

/* ------------------------------------------------------------------ */
/* htpasswd */

static const char *fixture_hash =
    "$2y$05$zwK38cRDnjubAni5GRD3deZSvjMixQLVF6XYeKQrCAtzaWRZT8Xdi";

static const char *fixtures_dir(void)
{
    const char *d = getenv("WHARF_FIXTURES");
    return d && *d ? d : "../shared/fixtures";
}

static wh_htpasswd *ht_ok(const char *text)
{
    wh_htpasswd *h = NULL;
    wh_err err = {0};
    int rc = wh_htpasswd_parse(text, strlen(text), "t.htpasswd", &h, &err);
    if (rc) {
        fprintf(stderr, "  htpasswd refused: %s\n", err.msg);
        CHECK_INT(rc, 0);
    }
    return h;
}

/* Parses text that must be refused with `code`; returns the message
 * (static). */
static const char *ht_bad_len(const char *text, size_t len, int code)
{
    static wh_err err;
    wh_htpasswd *h = (wh_htpasswd *)&err; /* anything but NULL */
    wh_err_clear(&err);
    CHECK_INT(wh_htpasswd_parse(text, len, "t.htpasswd", &h, &err), code);
    CHECK(h == NULL);
    return err.msg;
}

static const char *ht_bad(const char *text)
{
    return ht_bad_len(text, strlen(text), WH_EINVAL);
}

/* A bcrypt hash of password at `cost` with a fresh salt, into out[64]. */
static int make_hash(const char *prefix, unsigned long cost, const char *password,
                     char out[64])
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *cd = calloc(1, sizeof *cd);
    int rc = -1;
    if (!cd)
        return -1;
    if (crypt_gensalt_rn(prefix, cost, NULL, 0, setting, (int)sizeof setting)) {
        const char *h = crypt_rn(password, setting, cd, (int)sizeof *cd);
        if (h && h[0] != '*' && strlen(h) < 64) {
            strcpy(out, h);
            rc = 0;
        }
    }
    free(cd);
    return rc;
}

static void test_ht_fixture(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bindle/htpasswd", fixtures_dir());
    wh_htpasswd *h = NULL;
    wh_err err = {0};
    CHECK_INT(wh_htpasswd_load(path, &h, &err), 0);
    CHECK_INT(wh_htpasswd_count(h), 1);
    CHECK(wh_htpasswd_check(h, "admin", "sw0rdf1sh"));
    CHECK(!wh_htpasswd_check(h, "admin", "sw0rdf1sH"));
    CHECK(!wh_htpasswd_check(h, "admin", "sw0rdf1sh "));
    CHECK(!wh_htpasswd_check(h, "admin", ""));
    CHECK(!wh_htpasswd_check(h, "Admin", "sw0rdf1sh"));
    CHECK(!wh_htpasswd_check(h, "nobody", "sw0rdf1sh"));
    CHECK(!wh_htpasswd_check(h, "", "sw0rdf1sh"));
    CHECK(!wh_htpasswd_check(h, NULL, "sw0rdf1sh"));
    CHECK(!wh_htpasswd_check(h, "admin", NULL));
    CHECK(!wh_htpasswd_check(NULL, "admin", "sw0rdf1sh"));
    wh_htpasswd_free(h);
}

static void test_ht_missing(void)
{
    wh_htpasswd *h = NULL;
    wh_err err = {0};
    CHECK_INT(wh_htpasswd_load("/nonexistent/wharf.htpasswd", &h, &err),
              WH_ENOTFOUND);
    CHECK(h == NULL);
    CHECK_CONTAINS(err.msg, "/nonexistent/wharf.htpasswd");
    CHECK_INT(wh_htpasswd_count(NULL), 0);
}

static void test_ht_layout(void)
{
    char text[1024];
    snprintf(text, sizeof text,
             "\xEF\xBB\xBF# users of the test registry\r\n"
             "\r\n"
             "   \t\n"
             "admin:%s\r\n"
             "#bob:not-a-hash\n"
             "carol:%s  \n"
             "dave:%s",
             fixture_hash, fixture_hash, fixture_hash);
    wh_htpasswd *h = ht_ok(text);
    CHECK_INT(wh_htpasswd_count(h), 3);
    CHECK(wh_htpasswd_check(h, "admin", "sw0rdf1sh"));
    CHECK(wh_htpasswd_check(h, "carol", "sw0rdf1sh"));
    CHECK(wh_htpasswd_check(h, "dave", "sw0rdf1sh"));
    CHECK(!wh_htpasswd_check(h, "#bob", "sw0rdf1sh"));
    wh_htpasswd_free(h);

    h = ht_ok("");
    CHECK_INT(wh_htpasswd_count(h), 0);
    CHECK(!wh_htpasswd_check(h, "admin", "sw0rdf1sh"));
    wh_htpasswd_free(h);

    /* A name may hold blanks and any non-control UTF-8. */
    snprintf(text, sizeof text, "j\xC3\xBCrgen smith:%s\n", fixture_hash);
    h = ht_ok(text);
    CHECK(wh_htpasswd_check(h, "j\xC3\xBCrgen smith", "sw0rdf1sh"));
    wh_htpasswd_free(h);
}

static void test_ht_refusals(void)
{
    char text[2048];
    const char *m;

    snprintf(text, sizeof text, "# ok\nadmin:%s\nbob\n", fixture_hash);
    m = ht_bad(text);
    CHECK_CONTAINS(m, "t.htpasswd:3:");
    CHECK_CONTAINS(m, "expected USER:HASH");

    snprintf(text, sizeof text, ":%s\n", fixture_hash);
    CHECK_CONTAINS(ht_bad(text), "t.htpasswd:1: the line has an empty user name");

    snprintf(text, sizeof text, "\n\nad\x01min:%s\n", fixture_hash);
    m = ht_bad(text);
    CHECK_CONTAINS(m, "t.htpasswd:3:");
    CHECK_CONTAINS(m, "control character");

    snprintf(text, sizeof text, "ad\rmin:%s\n", fixture_hash);
    CHECK_CONTAINS(ht_bad(text), "control character");

    char longname[300];
    memset(longname, 'u', 256);
    longname[256] = '\0';
    snprintf(text, sizeof text, "%s:%s\n", longname, fixture_hash);
    CHECK_CONTAINS(ht_bad(text), "t.htpasswd:1: the line has a user name over 255 bytes");
    longname[255] = '\0';
    snprintf(text, sizeof text, "%s:%s\n", longname, fixture_hash);
    wh_htpasswd *h = ht_ok(text);
    CHECK_INT(wh_htpasswd_count(h), 1);
    CHECK(!wh_htpasswd_check(h, "u", "sw0rdf1sh"));
    wh_htpasswd_free(h);

    static const struct {
        const char *hash, *why;
    } bad_hashes[] = {
        {"$apr1$O8ZBx1Jk$2I9Fp9sXvlYDx4pyJzGSx/", "an MD5 hash"},
        {"$1$saltsalt$abcdefghijklmnopqrstuv", "an MD5 hash"},
        {"{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "a SHA-1 hash"},
        {"$6$salt$abc", "a SHA-crypt hash"},
        {"sw0rdf1sh", "not bcrypt"},
        {"", "an empty hash"},
        {"$2x$05$zwK38cRDnjubAni5GRD3deZSvjMixQLVF6XYeKQrCAtzaWRZT8Xdi", "$2x$"},
        {"$2y$05$zwK38cRDnjubAni5GRD3deZSvjMixQLVF6XYeKQrCAtzaWRZT8Xd", "wrong length"},
        {"$2y$05$zwK38cRDnjubAni5GRD3deZSvjMixQLVF6XYeKQrCAtzaWRZT8Xdii", "wrong length"},
        {"$2y$03$zwK38cRDnjubAni5GRD3deZSvjMixQLVF6XYeKQrCAtzaWRZT8Xdi", "cost"},
        {"$2y$32$zwK38cRDnjubAni5GRD3deZSvjMixQLVF6XYeKQrCAtzaWRZT8Xdi", "cost"},
        {"$2y$5$$zwK38cRDnjubAni5GRD3deZSvjMixQLVF6XYeKQrCAtzaWRZT8Xdi", "two-digit cost"},
        {"$2y$05$zwK38cRDnjubAni5GRD3deZSvjMixQLVF6XYeKQrCAtzaWRZT8X-i", "outside ./A-Za-z0-9"},
        {"$2y$05$zwK38cRDnjubAni5GRD3de:SvjMixQLVF6XYeKQrCAtzaWRZT8Xdi", "outside ./A-Za-z0-9"},
    };
    for (size_t i = 0; i < sizeof bad_hashes / sizeof bad_hashes[0]; i++) {
        snprintf(text, sizeof text, "#\nadmin:%s\n", fixture_hash);
        snprintf(text + strlen(text), sizeof text - strlen(text), "bob:%s\n",
                 bad_hashes[i].hash);
        m = ht_bad(text);
        CHECK_CONTAINS(m, "t.htpasswd:3: user \"bob\"");
        CHECK_CONTAINS(m, bad_hashes[i].why);
        CHECK_CONTAINS(m, "only bcrypt hashes (htpasswd -B) are supported");
    }

    snprintf(text, sizeof text, "admin:%s\nbob:%s\n\nadmin:%s\n", fixture_hash,
             fixture_hash, fixture_hash);
    m = ht_bad(text);
    CHECK_CONTAINS(m, "t.htpasswd:4: user \"admin\" is listed twice (first on line 1)");

    /* With several names repeated, the first repeat down the file is named. */
    snprintf(text, sizeof text, "b:%s\na:%s\nb:%s\na:%s\n", fixture_hash,
             fixture_hash, fixture_hash, fixture_hash);
    CHECK_CONTAINS(ht_bad(text), "t.htpasswd:3: user \"b\" is listed twice (first on line 1)");

    snprintf(text, sizeof text, "admin:%s\n", fixture_hash);
    size_t len = strlen(text);
    text[3] = '\0';
    CHECK_CONTAINS(ht_bad_len(text, len, WH_EINVAL), "t.htpasswd:1: the line holds a NUL byte");

    wh_err err = {0};
    h = NULL;
    CHECK_INT(wh_htpasswd_parse(text, len, NULL, &h, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "htpasswd:1:");
}

static void test_ht_limits(void)
{
    size_t line_len = 4 + 1 + 60 + 1;
    size_t cap = (WH_HTPASSWD_MAX_USERS + 1) * line_len + 1;
    char *text = malloc(WH_HTPASSWD_MAX_BYTES + 2);
    CHECK(text != NULL && cap < WH_HTPASSWD_MAX_BYTES);
    if (!text)
        return;
    size_t o = 0;
    for (int i = 0; i < WH_HTPASSWD_MAX_USERS; i++)
        o += (size_t)snprintf(text + o, cap - o, "%04x:%s\n", i, fixture_hash);
    wh_htpasswd *h = NULL;
    wh_err err = {0};
    CHECK_INT(wh_htpasswd_parse(text, o, "big", &h, &err), 0);
    CHECK_INT(wh_htpasswd_count(h), WH_HTPASSWD_MAX_USERS);
    wh_htpasswd_free(h);

    size_t o2 = o + (size_t)snprintf(text + o, cap - o, "zzzz:%s\n", fixture_hash);
    CHECK_CONTAINS(ht_bad_len(text, o2, WH_ETOOBIG), "t.htpasswd:10001: more than 10000 users");

    /* Over the byte limit before anything is looked at. */
    memset(text, '#', WH_HTPASSWD_MAX_BYTES + 1);
    text[WH_HTPASSWD_MAX_BYTES + 1] = '\0';
    CHECK_CONTAINS(ht_bad_len(text, WH_HTPASSWD_MAX_BYTES + 1, WH_ETOOBIG),
                   "over the 1048576 allowed");
    h = NULL;
    CHECK_INT(wh_htpasswd_parse(text, WH_HTPASSWD_MAX_BYTES, "big", &h, &err), 0);
    CHECK_INT(wh_htpasswd_count(h), 0);
    wh_htpasswd_free(h);
    free(text);
}

static void test_ht_own_hashes(void)
{
    char h2b[64], h2y[64], text[256];
    CHECK_INT(make_hash("$2b$", 4, "correct horse", h2b), 0);
    CHECK_INT(make_hash("$2y$", 4, "battery staple", h2y), 0);
    CHECK(strncmp(h2b, "$2b$04$", 7) == 0);
    CHECK(strncmp(h2y, "$2y$04$", 7) == 0);
    snprintf(text, sizeof text, "me:%s\nyou:%s\n", h2b, h2y);
    wh_htpasswd *h = ht_ok(text);
    CHECK_INT(wh_htpasswd_count(h), 2);
    CHECK(wh_htpasswd_check(h, "me", "correct horse"));
    CHECK(wh_htpasswd_check(h, "you", "battery staple"));
    CHECK(!wh_htpasswd_check(h, "me", "battery staple"));
    CHECK(!wh_htpasswd_check(h, "you", "correct horse"));
    CHECK(!wh_htpasswd_check(h, "me", "correct hors"));
    wh_htpasswd_free(h);
}

/* bcrypt reads only 72 bytes of a password, so longer ones that start
 * right match; libxcrypt itself refuses passphrases of
 * CRYPT_MAX_PASSPHRASE_SIZE bytes and more, and ours stop at 1024 before any
 * hashing. */
static void test_ht_password_limit(void)
{
    char pw[WH_HTPASSWD_MAX_PASSWORD + 2], hash[64], text[128];
    memset(pw, 'p', sizeof pw);
    pw[72] = '\0';
    CHECK_INT(make_hash("$2b$", 4, pw, hash), 0);
    snprintf(text, sizeof text, "long:%s\n", hash);
    wh_htpasswd *h = ht_ok(text);
    CHECK(wh_htpasswd_check(h, "long", pw));
    pw[71] = '\0';
    CHECK(!wh_htpasswd_check(h, "long", pw));
    pw[71] = 'p';
    pw[72] = 'p';
    pw[CRYPT_MAX_PASSPHRASE_SIZE - 1] = '\0';
    CHECK(wh_htpasswd_check(h, "long", pw));
    pw[CRYPT_MAX_PASSPHRASE_SIZE - 1] = 'p';
    pw[WH_HTPASSWD_MAX_PASSWORD + 1] = '\0';
    CHECK(!wh_htpasswd_check(h, "long", pw));
    wh_htpasswd_free(h);
}

typedef struct checker {
    const wh_htpasswd *h;
    int wrong;  /* answers that were not as expected */
} checker;

static void *check_thread(void *arg)
{
    checker *c = arg;
    for (int i = 0; i < 8; i++) {
        if (!wh_htpasswd_check(c->h, "admin", "sw0rdf1sh"))
            c->wrong++;
        if (wh_htpasswd_check(c->h, "admin", "nope") ||
            wh_htpasswd_check(c->h, "ghost", "sw0rdf1sh"))
            c->wrong++;
    }
    return NULL;
}

static void test_ht_threads(void)
{
    char text[128];
    snprintf(text, sizeof text, "admin:%s\n", fixture_hash);
    wh_htpasswd *h = ht_ok(text);
    enum { N = 4 };
    pthread_t th[N];
    checker c[N];
    int started = 0;
    for (int i = 0; i < N; i++) {
        c[i] = (checker){.h = h};
        if (pthread_create(&th[i], NULL, check_thread, &c[i]) == 0)
            started++;
        else
            break;
    }
    CHECK_INT(started, N);
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(c[i].wrong, 0);
    }
    wh_htpasswd_free(h);
}

int main(void)
{
    RUN(test_scope_each_action);
    RUN(test_scope_star);
    RUN(test_scope_prefix);
    RUN(test_scope_exact);
    RUN(test_scope_separators);
    RUN(test_scope_any);
    RUN(test_scope_bad_actions);
    RUN(test_scope_bad_patterns);
    RUN(test_scope_empty);
    RUN(test_scope_limits);
    RUN(test_scope_format);
    RUN(test_ht_fixture);
    RUN(test_ht_missing);
    RUN(test_ht_layout);
    RUN(test_ht_refusals);
    RUN(test_ht_limits);
    RUN(test_ht_own_hashes);
    RUN(test_ht_password_limit);
    RUN(test_ht_threads);
    return unit_done("auth");
}
