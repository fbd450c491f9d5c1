/*
 * test_resolve.c - runtime profiles and the resolver: every rule of SPEC.md
 * section 1 ("Resolution", rules 1-4) and every error, on small invoices
 * written here and on Bindle's full-invoice.toml fixture, whose answers were
 * worked out by hand (see test_fixture_full_invoice).
 *
 * Fixtures are found under $WHARF_FIXTURES (default ../shared/fixtures,
 * relative to the repository root where the test runner starts).
 */
#include <stdlib.h>
#include <string.h>

#include "schema/invoice.h"
#include "schema/resolve.h"
#include "unit.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

#define HEAD "bindleVersion = \"1.0.0\"\n[bindle]\nname = \"t\"\nversion = \"1.0.0\"\n"

/* A [[parcel]] with the given name (its sha256 is made up from it) and
 * extra dotted-key lines. */
#define PARCEL(name, extra)                                                 \
    "[[parcel]]\nlabel.sha256 = \"" name "\"\nlabel.mediaType = "           \
    "\"application/wasm\"\nlabel.name = \"" name "\"\nlabel.size = 1\n" extra

static wh_invoice *parse(const char *toml)
{
    wh_invoice *inv = NULL;
    wh_err err = {0};
    if (wh_invoice_parse_toml(toml, strlen(toml), NULL, &inv, &err) != 0) {
        fprintf(stderr, "  cannot parse the test invoice: %s\n", err.msg);
        return NULL;
    }
    return inv;
}

/* Builds a profile from a NULL-terminated list of "f:S.N=V", "g:GROUP" and
 * "t:TRIPLE" items; false (with a message) when one is refused. */
static bool make_profile(wh_profile *p, const char *const *items)
{
    wh_profile_init(p);
    for (size_t i = 0; items && items[i]; i++) {
        wh_err err = {0};
        const char *v = items[i] + 2;
        int rc = items[i][0] == 'f'   ? wh_profile_add_feature(p, v, &err)
                 : items[i][0] == 'g' ? wh_profile_add_group(p, v, &err)
                                      : wh_profile_set_target(p, v, &err);
        if (rc) {
            fprintf(stderr, "  profile item %s refused: %s\n", items[i], err.msg);
            return false;
        }
    }
    return true;
}

/*
 * Resolves `inv` under the profile given as items and returns the selected
 * labels' names joined by ',' (in invoice order) in `out`, or "ERR: message"
 * when wh_resolve refused, after checking that a refusal left nothing
 * selected.
 */
static const char *resolve_names(const wh_invoice *inv, const char *const *items,
                                 char *out, size_t cap)
{
    wh_profile p;
    snprintf(out, cap, "(profile refused)");
    if (!inv || !make_profile(&p, items)) {
        if (inv)
            wh_profile_clear(&p);
        return out;
    }
    bool *sel = calloc(inv->n_parcels + 1, sizeof *sel);
    wh_err err = {0};
    int rc = wh_resolve(inv, &p, sel, &err);
    size_t o = 0;
    out[0] = '\0';
    if (rc) {
        snprintf(out, cap, "ERR: %s", err.msg);
        for (size_t i = 0; i < inv->n_parcels; i++)
            if (sel[i])
                snprintf(out, cap, "ERR left parcel[%zu] selected", i);
        if (rc != WH_EINVAL)
            snprintf(out, cap, "ERR with code %d", rc);
    } else {
        for (size_t i = 0; i < inv->n_parcels; i++)
            if (sel[i])
                o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "," : "",
                                      inv->parcels[i].label.name);
    }
    free(sel);
    wh_profile_clear(&p);
    return out;
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const *)NULL)

static const char *fixtures_dir(void)
{
    const char *d = getenv("WHARF_FIXTURES");
    return d && *d ? d : "../shared/fixtures";
}

static wh_invoice *load_fixture(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bindle/%s", fixtures_dir(), rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "  cannot open %s\n", path);
        return NULL;
    }
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return parse(buf);
}

/* ------------------------------------------------------------------ */
/* Profiles                                                            */
/* ------------------------------------------------------------------ */

static void test_profile_feature_grammar(void)
{
    wh_profile p;
    wh_err err = {0};
    wh_profile_init(&p);
    CHECK_INT(wh_profile_add_feature(&p, "wasm.wasi=true", &err), 0);
    CHECK_INT(wh_profile_add_feature(&p, "a.b.c=d", &err), 0);
    CHECK_INT(wh_profile_add_feature(&p, "x.y=", &err), 0);
    CHECK_INT(wh_profile_add_feature(&p, "k.v=a=b", &err), 0);
    CHECK_INT(p.n_features, 4);
    if (p.n_features == 4) {
        CHECK_STR(p.features[0].section, "wasm");
        CHECK_STR(p.features[0].name, "wasi");
        CHECK_STR(p.features[0].value, "true");
        /* NAME runs from the first '.' to the first '=' and may hold '.'. */
        CHECK_STR(p.features[1].section, "a");
        CHECK_STR(p.features[1].name, "b.c");
        CHECK_STR(p.features[1].value, "d");
        CHECK_STR(p.features[2].value, "");
        CHECK_STR(p.features[3].name, "v");
        CHECK_STR(p.features[3].value, "a=b");
    }
    /* Setting the same SECTION.NAME again replaces the value. */
    CHECK_INT(wh_profile_add_feature(&p, "wasm.wasi=false", &err), 0);
    CHECK_INT(p.n_features, 4);
    CHECK_STR(p.features[0].value, "false");
    wh_profile_clear(&p);
    CHECK_INT(p.n_features, 0);
    CHECK(p.features == NULL);
}

static void test_profile_feature_errors(void)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"wasm", "no '='"},
        {"wasmwasi=true", "no '.' before the '='"},
        {"a=b.c", "no '.' before the '='"},
        {".wasi=true", "SECTION (before the first '.') is empty"},
        {"wasm.=true", "NAME (between the first '.' and the first '=') is empty"},
        {"wa\tsm.wasi=true", "control characters"},
        {"wasm.wa\nsi=true", "control characters"},
        {"wasm.wasi=\xff", "not UTF-8"},
        {"", "no '='"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wh_profile p;
        wh_err err = {0};
        wh_profile_init(&p);
        CHECK_INT(wh_profile_add_feature(&p, bad[i].text, &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, bad[i].msg);
        CHECK_INT(p.n_features, 0);
        wh_profile_clear(&p);
    }
    wh_err err = {0};
    CHECK_INT(wh_profile_add_feature(NULL, "a.b=c", &err), WH_EINVAL);
    wh_profile p;
    wh_profile_init(&p);
    CHECK_INT(wh_profile_add_feature(&p, NULL, &err), WH_EINVAL);
    /* The message quotes the text it refused. */
    CHECK_INT(wh_profile_add_feature(&p, "nodot=1", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "\"nodot=1\"");
    wh_profile_clear(&p);
}

static void test_profile_feature_limits(void)
{
    char text[1024], part[300];
    wh_profile p;
    wh_err err = {0};
    wh_profile_init(&p);
    memset(part, 's', 256);
    part[256] = '\0';
    /* 256 bytes in each part is the most allowed... */
    snprintf(text, sizeof text, "%s.%s=%s", part, part, part);
    CHECK_INT(wh_profile_add_feature(&p, text, &err), 0);
    /* ...and 257 in any one of them too many. */
    part[256] = 's';
    part[257] = '\0';
    snprintf(text, sizeof text, "%s.n=v", part);
    CHECK_INT(wh_profile_add_feature(&p, text, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "SECTION is 257 bytes long");
    snprintf(text, sizeof text, "s.%s=v", part);
    CHECK_INT(wh_profile_add_feature(&p, text, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "NAME is 257 bytes long");
    snprintf(text, sizeof text, "s.n=%s", part);
    CHECK_INT(wh_profile_add_feature(&p, text, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "VALUE is 257 bytes long");
    CHECK_INT(p.n_features, 1);
    wh_profile_clear(&p);

    /* At most WH_PROFILE_MAX_FEATURES distinct ones; resetting one is fine. */
    wh_profile_init(&p);
    for (int i = 0; i < WH_PROFILE_MAX_FEATURES; i++) {
        snprintf(text, sizeof text, "s.n%d=v", i);
        CHECK_INT(wh_profile_add_feature(&p, text, &err), 0);
    }
    CHECK_INT(wh_profile_add_feature(&p, "s.n7=changed", &err), 0);
    CHECK_INT(wh_profile_add_feature(&p, "s.extra=v", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "at most 64 features");
    CHECK_INT(p.n_features, WH_PROFILE_MAX_FEATURES);
    CHECK_STR(p.features[7].value, "changed");
    wh_profile_clear(&p);
}

static void test_profile_groups(void)
{
    wh_profile p;
    wh_err err = {0};
    char name[300];
    wh_profile_init(&p);
    CHECK_INT(wh_profile_add_group(&p, "cli", &err), 0);
    CHECK_INT(wh_profile_add_group(&p, "server", &err), 0);
    CHECK_INT(wh_profile_add_group(&p, "cli", &err), 0);
    CHECK_INT(p.n_groups, 2);
    CHECK_STR(p.groups[0], "cli");
    CHECK_STR(p.groups[1], "server");
    CHECK_INT(wh_profile_add_group(&p, "", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "empty");
    CHECK_INT(wh_profile_add_group(&p, "a\nb", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "control characters");
    CHECK_INT(wh_profile_add_group(&p, "\xc3", &err), WH_EINVAL);
    memset(name, 'g', 257);
    name[257] = '\0';
    CHECK_INT(wh_profile_add_group(&p, name, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "257 bytes long");
    name[256] = '\0';
    CHECK_INT(wh_profile_add_group(&p, name, &err), 0);
    wh_profile_clear(&p);

    wh_profile_init(&p);
    for (int i = 0; i < WH_PROFILE_MAX_GROUPS; i++) {
        snprintf(name, sizeof name, "g%d", i);
        CHECK_INT(wh_profile_add_group(&p, name, &err), 0);
    }
    CHECK_INT(wh_profile_add_group(&p, "g0", &err), 0);
    CHECK_INT(wh_profile_add_group(&p, "one-more", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "\"one-more\"");
    CHECK_INT(p.n_groups, WH_PROFILE_MAX_GROUPS);
    wh_profile_clear(&p);
}

static void test_profile_target(void)
{
    wh_profile p;
    wh_err err = {0};
    char t[200];
    wh_profile_init(&p);
    CHECK(p.target == NULL);
    CHECK_INT(wh_profile_set_target(&p, "x86_64-unknown-linux-gnu", &err), 0);
    CHECK_STR(p.target, "x86_64-unknown-linux-gnu");
    CHECK_INT(wh_profile_set_target(&p, "wasm32-wasi+p2.0", &err), 0);
    CHECK_STR(p.target, "wasm32-wasi+p2.0");
    CHECK_INT(wh_profile_set_target(&p, "X86_64-linux", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "at byte 0");
    CHECK_INT(wh_profile_set_target(&p, "aarch64 linux", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "at byte 7");
    CHECK_INT(wh_profile_set_target(&p, "", &err), WH_EINVAL);
    memset(t, 'a', 129);
    t[129] = '\0';
    CHECK_INT(wh_profile_set_target(&p, t, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "129 bytes");
    t[128] = '\0';
    CHECK_INT(wh_profile_set_target(&p, t, &err), 0);
    CHECK_INT(strlen(p.target), 128);
    wh_profile_clear(&p);
    CHECK(p.target == NULL);
}

/* ------------------------------------------------------------------ */
/* Rule 1: features                                                    */
/* ------------------------------------------------------------------ */

static void test_rule1_features_all_must_match(void)
{
    char out[1024];
    wh_invoice *inv = parse(HEAD
        PARCEL("plain", "")
        PARCEL("wasi", "label.feature.wasm.wasi = \"true\"\n")
        PARCEL("both", "label.feature.wasm.wasi = \"true\"\n"
                       "label.feature.arch.target = \"x86\"\n"));
    CHECK(inv != NULL);
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "plain");
    CHECK_STR(resolve_names(inv, L("f:wasm.wasi=true"), out, sizeof out), "plain,wasi");
    CHECK_STR(resolve_names(inv, L("f:wasm.wasi=true", "f:arch.target=x86"), out,
                            sizeof out), "plain,wasi,both");
    /* One of two features set is not enough. */
    CHECK_STR(resolve_names(inv, L("f:arch.target=x86"), out, sizeof out), "plain");
    /* Exactly that value: not another, not a prefix, not empty. */
    CHECK_STR(resolve_names(inv, L("f:wasm.wasi=false", "f:arch.target=x86"), out,
                            sizeof out), "plain");
    CHECK_STR(resolve_names(inv, L("f:wasm.wasi=tru"), out, sizeof out), "plain");
    CHECK_STR(resolve_names(inv, L("f:wasm.wasi="), out, sizeof out), "plain");
    /* The section matters: wasi in another section is another feature. */
    CHECK_STR(resolve_names(inv, L("f:arch.wasi=true"), out, sizeof out), "plain");
    /* Features the labels never mention change nothing. */
    CHECK_STR(resolve_names(inv, L("f:wasm.wasi=true", "f:other.x=1"), out,
                            sizeof out), "plain,wasi");
    wh_invoice_free(inv);
}

static void test_rule1_ineligible_dropped_before_groups(void)
{
    char out[1024];
    /* An ineligible parcel's requires never count. */
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"extra\"\n"
        PARCEL("gated", "label.feature.wasm.wasi = \"true\"\n"
                        "conditions.requires = [\"extra\"]\n")
        PARCEL("in-extra", "conditions.memberOf = [\"extra\"]\n"));
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "");
    CHECK_STR(resolve_names(inv, L("f:wasm.wasi=true"), out, sizeof out),
              "gated,in-extra");
    wh_invoice_free(inv);
}

/* ------------------------------------------------------------------ */
/* Rules 2 and 3: groups                                               */
/* ------------------------------------------------------------------ */

static void test_rule2_global_group(void)
{
    char out[1024];
    /* No memberOf, or an empty one: the global group, always required. */
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"g\"\n"
        PARCEL("a", "")
        PARCEL("b", "conditions.memberOf = []\n")
        PARCEL("c", "conditions.memberOf = [\"g\"]\n"));
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "a,b");
    CHECK_STR(resolve_names(inv, L("g:g"), out, sizeof out), "a,b,c");
    wh_invoice_free(inv);

    /* An invoice without parcels or groups resolves to nothing. */
    inv = parse(HEAD);
    CHECK(inv != NULL);
    wh_err err = {0};
    CHECK_INT(wh_resolve(inv, NULL, NULL, &err), 0);
    wh_invoice_free(inv);
}

static void test_rule2_required_groups(void)
{
    char out[1024];
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"always\"\nrequired = true\n"
        "[[group]]\nname = \"asked\"\n"
        "[[group]]\nname = \"never\"\nrequired = false\n"
        PARCEL("p-always", "conditions.memberOf = [\"always\"]\n")
        PARCEL("p-asked", "conditions.memberOf = [\"asked\"]\n")
        PARCEL("p-never", "conditions.memberOf = [\"never\"]\n"));
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "p-always");
    CHECK_STR(resolve_names(inv, L("g:asked"), out, sizeof out), "p-always,p-asked");
    CHECK_STR(resolve_names(inv, L("g:asked", "g:always"), out, sizeof out),
              "p-always,p-asked");
    CHECK_STR(resolve_names(inv, L("g:never", "g:asked"), out, sizeof out),
              "p-always,p-asked,p-never");
    wh_invoice_free(inv);
}

static void test_rule2_requires_fixed_point(void)
{
    char out[1024];
    /* root -> a -> b -> c, through selected parcels only; d is required by
     * a parcel that a oneOf group did not pick, so it stays out. */
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"a\"\n"
        "[[group]]\nname = \"b\"\nsatisfiedBy = \"oneOf\"\n"
        "[[group]]\nname = \"c\"\n"
        "[[group]]\nname = \"d\"\n"
        PARCEL("c1", "conditions.memberOf = [\"c\"]\n")
        PARCEL("root", "conditions.requires = [\"a\"]\n")
        PARCEL("b1", "conditions.memberOf = [\"b\"]\nconditions.requires = [\"c\"]\n")
        PARCEL("b2", "conditions.memberOf = [\"b\"]\nconditions.requires = [\"d\"]\n")
        PARCEL("a1", "conditions.memberOf = [\"a\"]\nconditions.requires = [\"b\"]\n")
        PARCEL("d1", "conditions.memberOf = [\"d\"]\n"));
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "c1,root,b1,a1");
    /* With b2 preferred (more matching features) the chain goes to d. */
    wh_invoice_free(inv);
    inv = parse(HEAD
        "[[group]]\nname = \"a\"\n"
        "[[group]]\nname = \"b\"\nsatisfiedBy = \"oneOf\"\n"
        "[[group]]\nname = \"c\"\n"
        "[[group]]\nname = \"d\"\n"
        PARCEL("c1", "conditions.memberOf = [\"c\"]\n")
        PARCEL("root", "conditions.requires = [\"a\"]\n")
        PARCEL("b1", "conditions.memberOf = [\"b\"]\nconditions.requires = [\"c\"]\n")
        PARCEL("b2", "label.feature.wasm.wasi = \"true\"\n"
                     "conditions.memberOf = [\"b\"]\nconditions.requires = [\"d\"]\n")
        PARCEL("a1", "conditions.memberOf = [\"a\"]\nconditions.requires = [\"b\"]\n")
        PARCEL("d1", "conditions.memberOf = [\"d\"]\n"));
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "c1,root,b1,a1");
    CHECK_STR(resolve_names(inv, L("f:wasm.wasi=true"), out, sizeof out),
              "root,b2,a1,d1");
    wh_invoice_free(inv);
}

static void test_rule2_member_of_several_groups(void)
{
    char out[1024];
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"x\"\n"
        "[[group]]\nname = \"y\"\nsatisfiedBy = \"optional\"\n"
        PARCEL("shared", "conditions.memberOf = [\"x\", \"y\"]\n")
        PARCEL("only-y", "conditions.memberOf = [\"y\"]\n"));
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "");
    CHECK_STR(resolve_names(inv, L("g:x"), out, sizeof out), "shared");
    CHECK_STR(resolve_names(inv, L("g:y"), out, sizeof out), "shared,only-y");
    CHECK_STR(resolve_names(inv, L("g:x", "g:y"), out, sizeof out), "shared,only-y");
    wh_invoice_free(inv);
}

static void test_rule3_one_of_choice(void)
{
    char out[1024];
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"rt\"\nrequired = true\nsatisfiedBy = \"oneOf\"\n"
        PARCEL("generic", "conditions.memberOf = [\"rt\"]\n")
        PARCEL("wasi", "label.feature.wasm.wasi = \"true\"\n"
                       "conditions.memberOf = [\"rt\"]\n")
        PARCEL("wasi-threads", "label.feature.wasm.wasi = \"true\"\n"
                               "label.feature.wasm.threads = \"yes\"\n"
                               "conditions.memberOf = [\"rt\"]\n")
        PARCEL("threads-wasi", "label.feature.wasm.threads = \"yes\"\n"
                               "label.feature.wasm.wasi = \"true\"\n"
                               "conditions.memberOf = [\"rt\"]\n")
        PARCEL("arm", "label.feature.arch.cpu = \"arm\"\n"
                      "conditions.memberOf = [\"rt\"]\n"));
    /* Nothing set: only the featureless parcel is eligible. */
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "generic");
    /* The eligible parcel with the most matching features wins. */
    CHECK_STR(resolve_names(inv, L("f:wasm.wasi=true"), out, sizeof out), "wasi");
    /* A tie (two features each) goes to the first in invoice order. */
    CHECK_STR(resolve_names(inv, L("f:wasm.threads=yes", "f:wasm.wasi=true"), out,
                            sizeof out), "wasi-threads");
    /* One feature each for "wasi" and "arm": the first wins. */
    CHECK_STR(resolve_names(inv, L("f:arch.cpu=arm", "f:wasm.wasi=true"), out,
                            sizeof out), "wasi");
    CHECK_STR(resolve_names(inv, L("f:arch.cpu=arm"), out, sizeof out), "arm");
    wh_invoice_free(inv);
}

static void test_rule3_optional_only_when_requested(void)
{
    char out[1024];
    /* Following rule 3 literally: required = true and requires do not
     * select an optional group's parcels; only a request does. */
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"opt\"\nsatisfiedBy = \"optional\"\nrequired = true\n"
        "[[group]]\nname = \"opt2\"\nsatisfiedBy = \"optional\"\n"
        PARCEL("needs-opt2", "conditions.requires = [\"opt2\"]\n")
        PARCEL("o1", "conditions.memberOf = [\"opt\"]\n")
        PARCEL("o2", "conditions.memberOf = [\"opt2\"]\n")
        PARCEL("o2-wasi", "label.feature.wasm.wasi = \"true\"\n"
                          "conditions.memberOf = [\"opt2\"]\n"));
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "needs-opt2");
    CHECK_STR(resolve_names(inv, L("g:opt"), out, sizeof out), "needs-opt2,o1");
    /* Requested: all its eligible parcels. */
    CHECK_STR(resolve_names(inv, L("g:opt2"), out, sizeof out), "needs-opt2,o2");
    CHECK_STR(resolve_names(inv, L("g:opt2", "f:wasm.wasi=true"), out, sizeof out),
              "needs-opt2,o2,o2-wasi");
    wh_invoice_free(inv);
}

static void test_rule3_all_of_takes_eligible_only(void)
{
    char out[1024];
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"all\"\nrequired = true\nsatisfiedBy = \"allOf\"\n"
        PARCEL("a1", "conditions.memberOf = [\"all\"]\n")
        PARCEL("a2", "label.feature.os.family = \"unix\"\n"
                     "conditions.memberOf = [\"all\"]\n")
        PARCEL("a3", "conditions.memberOf = [\"all\"]\n"));
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "a1,a3");
    CHECK_STR(resolve_names(inv, L("f:os.family=unix"), out, sizeof out), "a1,a2,a3");
    wh_invoice_free(inv);
}

/* ------------------------------------------------------------------ */
/* Rule 4: errors                                                      */
/* ------------------------------------------------------------------ */

static void test_rule4_one_of_without_eligible(void)
{
    char out[1024];
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"rt\"\nsatisfiedBy = \"oneOf\"\n"
        PARCEL("plain", "")
        PARCEL("r1", "label.feature.wasm.wasi = \"true\"\n"
                     "conditions.memberOf = [\"rt\"]\n"));
    /* Not required: nothing to choose is fine. */
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "plain");
    /* Requested, none eligible: an error naming the group. */
    resolve_names(inv, L("g:rt"), out, sizeof out);
    CHECK_CONTAINS(out, "ERR: group \"rt\" is required and oneOf");
    CHECK_CONTAINS(out, "none of its 1 parcel is eligible");
    CHECK_STR(resolve_names(inv, L("g:rt", "f:wasm.wasi=true"), out, sizeof out),
              "plain,r1");
    wh_invoice_free(inv);

    /* Required by a requires, and a oneOf group without any member. */
    inv = parse(HEAD
        "[[group]]\nname = \"empty\"\nsatisfiedBy = \"oneOf\"\n"
        PARCEL("needs", "conditions.requires = [\"empty\"]\n"));
    resolve_names(inv, NONE, out, sizeof out);
    CHECK_CONTAINS(out, "ERR: group \"empty\" is required and oneOf");
    wh_invoice_free(inv);
}

static void test_rule4_undefined_groups(void)
{
    char out[1024];
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"known\"\n"
        PARCEL("p", "conditions.memberOf = [\"known\"]\n"));
    resolve_names(inv, L("g:unknown"), out, sizeof out);
    CHECK_CONTAINS(out, "ERR: the profile requests group \"unknown\", which this "
                        "invoice does not define");
    wh_invoice_free(inv);

    /* Unvalidated invoices: the names in conditions must exist too. */
    inv = parse(HEAD
        "[[group]]\nname = \"known\"\n"
        PARCEL("p", "conditions.memberOf = [\"known\", \"ghost\"]\n"));
    resolve_names(inv, NONE, out, sizeof out);
    CHECK_CONTAINS(out, "ERR: parcel[0] (name \"p\"): conditions.memberOf names "
                        "group \"ghost\"");
    wh_invoice_free(inv);
    inv = parse(HEAD
        PARCEL("p", "")
        PARCEL("q", "conditions.requires = [\"phantom\"]\n"));
    resolve_names(inv, NONE, out, sizeof out);
    CHECK_CONTAINS(out, "ERR: parcel[1] (name \"q\"): conditions.requires names "
                        "group \"phantom\"");
    wh_invoice_free(inv);
}

static void test_rule4_requires_cycles(void)
{
    char out[1024];
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"a\"\n"
        "[[group]]\nname = \"b\"\n"
        "[[group]]\nname = \"c\"\n"
        PARCEL("pa", "conditions.memberOf = [\"a\"]\nconditions.requires = [\"b\"]\n")
        PARCEL("pb", "conditions.memberOf = [\"b\"]\nconditions.requires = [\"c\"]\n")
        PARCEL("pc", "conditions.memberOf = [\"c\"]\nconditions.requires = [\"a\"]\n"));
    /* Whatever the profile: the invoice is broken. */
    resolve_names(inv, NONE, out, sizeof out);
    CHECK_STR(out, "ERR: group \"a\" is in a cycle of requires: \"a\" -> \"b\" -> "
                   "\"c\" -> \"a\"");
    resolve_names(inv, L("g:b"), out, sizeof out);
    CHECK_CONTAINS(out, "cycle of requires");
    wh_invoice_free(inv);

    /* A group that requires itself. */
    inv = parse(HEAD
        "[[group]]\nname = \"self\"\n"
        PARCEL("p", "conditions.memberOf = [\"self\"]\n"
                    "conditions.requires = [\"self\"]\n"));
    resolve_names(inv, L("g:self"), out, sizeof out);
    CHECK_STR(out, "ERR: group \"self\" is in a cycle of requires: \"self\" -> \"self\"");
    wh_invoice_free(inv);

    /* A diamond is not a cycle. */
    inv = parse(HEAD
        "[[group]]\nname = \"top\"\n"
        "[[group]]\nname = \"l\"\n"
        "[[group]]\nname = \"r\"\n"
        "[[group]]\nname = \"bottom\"\n"
        PARCEL("t", "conditions.memberOf = [\"top\"]\nconditions.requires = [\"l\", \"r\"]\n")
        PARCEL("pl", "conditions.memberOf = [\"l\"]\nconditions.requires = [\"bottom\"]\n")
        PARCEL("pr", "conditions.memberOf = [\"r\"]\nconditions.requires = [\"bottom\"]\n")
        PARCEL("pbot", "conditions.memberOf = [\"bottom\"]\n"));
    CHECK_STR(resolve_names(inv, L("g:top"), out, sizeof out), "t,pl,pr,pbot");
    CHECK_STR(resolve_names(inv, L("g:r"), out, sizeof out), "pr,pbot");
    wh_invoice_free(inv);
}

/* A ring of 30 long names: the message names the first group and shows as
 * many whole names of the ring as fit, then "...". */
static void test_rule4_long_cycle_message(void)
{
    static char toml[16384];
    size_t o = (size_t)snprintf(toml, sizeof toml, "%s", HEAD);
    for (int i = 0; i < 30; i++)
        o += (size_t)snprintf(toml + o, sizeof toml - o,
                              "[[group]]\nname = \"a-long-group-name-%02d\"\n", i);
    for (int i = 0; i < 30; i++)
        o += (size_t)snprintf(toml + o, sizeof toml - o,
                              "[[parcel]]\nlabel.sha256 = \"s%d\"\nlabel.mediaType = "
                              "\"a/b\"\nlabel.name = \"p%d\"\nlabel.size = 1\n"
                              "conditions.memberOf = [\"a-long-group-name-%02d\"]\n"
                              "conditions.requires = [\"a-long-group-name-%02d\"]\n",
                              i, i, i, (i + 1) % 30);
    CHECK(o < sizeof toml);
    wh_invoice *inv = parse(toml);
    CHECK(inv != NULL);
    if (!inv)
        return;
    bool sel[30];
    wh_err err = {0};
    CHECK_INT(wh_resolve(inv, NULL, sel, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "group \"a-long-group-name-00\" is in a cycle of requires: "
                            "\"a-long-group-name-00\" -> \"a-long-group-name-01\" -> ");
    size_t n = strlen(err.msg);
    CHECK(n > 3 && n < WH_ERR_MSG_MAX - 1);
    CHECK_STR(err.msg + n - 8, "\" -> ...");
    wh_invoice_free(inv);
}

static void test_bad_arguments(void)
{
    wh_err err = {0};
    bool sel[1];
    CHECK_INT(wh_resolve(NULL, NULL, sel, &err), WH_EINVAL);
    wh_invoice *inv = parse(HEAD PARCEL("p", ""));
    CHECK_INT(wh_resolve(inv, NULL, NULL, &err), WH_EINVAL);
    /* A NULL profile is the empty one. */
    sel[0] = false;
    CHECK_INT(wh_resolve(inv, NULL, sel, &err), 0);
    CHECK(sel[0]);
    wh_invoice_free(inv);
}

static void test_duplicate_group_definitions(void)
{
    char out[1024];
    /* Unvalidated: the first definition of a name is the one that counts. */
    wh_invoice *inv = parse(HEAD
        "[[group]]\nname = \"g\"\n"
        "[[group]]\nname = \"g\"\nrequired = true\n"
        PARCEL("p", "conditions.memberOf = [\"g\"]\n"));
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "");
    CHECK_STR(resolve_names(inv, L("g:g"), out, sizeof out), "p");
    wh_invoice_free(inv);
}

/* ------------------------------------------------------------------ */
/* Bindle's full-invoice.toml                                          */
/* ------------------------------------------------------------------ */

/*
 * The fixture: groups server (allOf), cli (oneOf, required), utility
 * (optional); parcels daemon (server, requires utility), first (cli and
 * utility), second (cli), third (utility); no features, so every parcel is
 * eligible and cli's choice is always "first" (a tie, first in order).
 *
 *   profile            server? cli      utility           result
 *   {}                 no      first    no                first
 *   {server}           daemon  first    required by daemon, daemon,first
 *                                       not requested
 *   {utility}          no      first    first, third      first,third
 *   {server, utility}  daemon  first    first, third      daemon,first,third
 *
 * "second" is never picked.
 */
static void test_fixture_full_invoice(void)
{
    char out[1024];
    wh_invoice *inv = load_fixture("full-invoice.toml");
    CHECK(inv != NULL);
    if (!inv)
        return;
    CHECK_INT(inv->n_parcels, 4);
    CHECK_INT(inv->n_groups, 3);
    CHECK_STR(resolve_names(inv, NONE, out, sizeof out), "first");
    CHECK_STR(resolve_names(inv, L("g:cli"), out, sizeof out), "first");
    CHECK_STR(resolve_names(inv, L("g:server"), out, sizeof out), "daemon,first");
    CHECK_STR(resolve_names(inv, L("g:utility"), out, sizeof out), "first,third");
    CHECK_STR(resolve_names(inv, L("g:server", "g:utility"), out, sizeof out),
              "daemon,first,third");
    CHECK_STR(resolve_names(inv, L("g:utility", "g:cli", "g:server"), out, sizeof out),
              "daemon,first,third");
    /* Features the fixture's labels do not use change nothing; the target
     * is rule 5's, not the resolver's. */
    CHECK_STR(resolve_names(inv, L("g:server", "f:wasm.wasi=true", "t:wasm32-wasi"),
                            out, sizeof out), "daemon,first");
    resolve_names(inv, L("g:client"), out, sizeof out);
    CHECK_CONTAINS(out, "ERR: the profile requests group \"client\"");
    wh_invoice_free(inv);
}

int main(void)
{
    RUN(test_profile_feature_grammar);
    RUN(test_profile_feature_errors);
    RUN(test_profile_feature_limits);
    RUN(test_profile_groups);
    RUN(test_profile_target);
    RUN(test_rule1_features_all_must_match);
    RUN(test_rule1_ineligible_dropped_before_groups);
    RUN(test_rule2_global_group);
    RUN(test_rule2_required_groups);
    RUN(test_rule2_requires_fixed_point);
    RUN(test_rule2_member_of_several_groups);
    RUN(test_rule3_one_of_choice);
    RUN(test_rule3_optional_only_when_requested);
    RUN(test_rule3_all_of_takes_eligible_only);
    RUN(test_rule4_one_of_without_eligible);
    RUN(test_rule4_undefined_groups);
    RUN(test_rule4_requires_cycles);
    RUN(test_rule4_long_cycle_message);
    RUN(test_bad_arguments);
    RUN(test_duplicate_group_definitions);
    RUN(test_fixture_full_invoice);
    return unit_done("resolve");
}
