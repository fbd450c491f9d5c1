/*
 * test_toml.c - the TOML <-> json_t bridge (schema/toml.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/toml.h"
#include "unit.h"

static json_t *parse_ok(const char *doc)
{
    json_t *root = NULL;
    wh_err err = {0};
    int rc = wh_toml_parse(doc, strlen(doc), &root, &err);
    if (rc)
        fprintf(stderr, "  unexpected parse failure: %s\n", err.msg);
    return root;
}

static void test_scalar_types(void)
{
    json_t *r = parse_ok("s = \"h\\u00e9llo\"\n"
                         "i = -42\n"
                         "big = 9223372036854775807\n"
                         "f = 2.5\n"
                         "t = true\n"
                         "n = false\n"
                         "d = 1979-05-27\n"
                         "tm = 07:32:00\n"
                         "dt = 1979-05-27T07:32:00Z\n"
                         "dto = 1979-05-27T00:32:00-07:00\n"
                         "ldt = 1979-05-27T07:32:00\n");
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_STR(json_string_value(json_object_get(r, "s")), "h\xc3\xa9llo");
    CHECK(json_is_integer(json_object_get(r, "i")));
    CHECK_INT(json_integer_value(json_object_get(r, "i")), -42);
    CHECK_INT(json_integer_value(json_object_get(r, "big")), INT64_MAX);
    CHECK(json_is_real(json_object_get(r, "f")));
    CHECK(json_real_value(json_object_get(r, "f")) == 2.5);
    CHECK(json_is_true(json_object_get(r, "t")));
    CHECK(json_is_false(json_object_get(r, "n")));
    CHECK_STR(json_string_value(json_object_get(r, "d")), "1979-05-27");
    CHECK_STR(json_string_value(json_object_get(r, "tm")), "07:32:00");
    CHECK_STR(json_string_value(json_object_get(r, "dt")), "1979-05-27T07:32:00Z");
    CHECK_STR(json_string_value(json_object_get(r, "dto")),
              "1979-05-27T00:32:00-07:00");
    CHECK_STR(json_string_value(json_object_get(r, "ldt")), "1979-05-27T07:32:00");
    CHECK_INT(json_object_size(r), 11);
    json_decref(r);
}

static void test_nesting_and_arrays(void)
{
    json_t *r = parse_ok("a.b.c = 1\n"
                         "arr = [1, \"two\", [3], { x = 4 }]\n"
                         "[tbl]\n"
                         "k = \"v\"\n"
                         "[tbl.sub]\n"
                         "z = 0\n"
                         "[[item]]\n"
                         "name = \"first\"\n"
                         "[item.inner]\n"
                         "q = 1\n"
                         "[[item]]\n"
                         "name = \"second\"\n");
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK_INT(json_integer_value(
                  json_object_get(json_object_get(json_object_get(r, "a"), "b"), "c")),
              1);
    json_t *arr = json_object_get(r, "arr");
    CHECK(json_is_array(arr));
    CHECK_INT(json_array_size(arr), 4);
    CHECK(json_is_integer(json_array_get(arr, 0)));
    CHECK_STR(json_string_value(json_array_get(arr, 1)), "two");
    CHECK(json_is_array(json_array_get(arr, 2)));
    CHECK_INT(json_integer_value(json_object_get(json_array_get(arr, 3), "x")), 4);
    json_t *tbl = json_object_get(r, "tbl");
    CHECK_STR(json_string_value(json_object_get(tbl, "k")), "v");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(tbl, "sub"), "z")), 0);
    json_t *items = json_object_get(r, "item");
    CHECK(json_is_array(items));
    CHECK_INT(json_array_size(items), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(items, 0), "name")),
              "first");
    CHECK_INT(json_integer_value(json_object_get(
                  json_object_get(json_array_get(items, 0), "inner"), "q")),
              1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(items, 1), "name")),
              "second");
    json_decref(r);
}

static void test_errors_carry_position(void)
{
    const char *doc = "a = 1\nb = \"ok\"\nc = = 3\n";
    json_t *r = NULL;
    wh_err err = {0};
    CHECK_INT(wh_toml_parse(doc, strlen(doc), &r, &err), WH_EINVAL);
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "line 3, column");

    const char *dup = "x = 1\nx = 2\n";
    CHECK_INT(wh_toml_parse(dup, strlen(dup), &r, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "line 2");

    const char *bad_utf8 = "s = \"\xff\"\n";
    CHECK_INT(wh_toml_parse(bad_utf8, strlen(bad_utf8), &r, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "line 1");
}

/* An array nested `levels` deep inside key `a`. */
static char *nested_doc(int levels)
{
    char *doc = malloc((size_t)levels * 2 + 16);
    size_t o = 0;
    memcpy(doc, "a = ", 4);
    o = 4;
    for (int i = 0; i < levels; i++)
        doc[o++] = '[';
    for (int i = 0; i < levels; i++)
        doc[o++] = ']';
    doc[o++] = '\n';
    doc[o] = '\0';
    return doc;
}

static void test_depth_limit(void)
{
    char *ok = nested_doc(WH_TOML_MAX_DEPTH - 1);
    json_t *r = NULL;
    wh_err err = {0};
    CHECK_INT(wh_toml_parse(ok, strlen(ok), &r, &err), 0);
    json_decref(r);
    free(ok);

    char *deep = nested_doc(WH_TOML_MAX_DEPTH + 5);
    r = NULL;
    CHECK_INT(wh_toml_parse(deep, strlen(deep), &r, &err), WH_EINVAL);
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "deeper than 64");
    CHECK_CONTAINS(err.msg, "line 1, column");
    free(deep);
}

static void test_nul_refused(void)
{
    static const char doc[] = "a = 1\n\0b = 2\n";
    json_t *r = NULL;
    wh_err err = {0};
    CHECK_INT(wh_toml_parse(doc, sizeof doc - 1, &r, &err), WH_EINVAL);
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "byte 6");
    CHECK_CONTAINS(err.msg, "NUL");

    /* An escaped NUL inside a string is data, kept with its length... */
    const char *esc = "s = \"a\\u0000b\"\n";
    CHECK_INT(wh_toml_parse(esc, strlen(esc), &r, &err), 0);
    CHECK_INT(json_string_length(json_object_get(r, "s")), 3);
    json_decref(r);
    r = NULL;
    /* ...but a key cannot carry it into a C string. */
    const char *key = "\"k\\u0000\" = 1\n";
    CHECK_INT(wh_toml_parse(key, strlen(key), &r, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "NUL");
}

static void test_non_finite_refused(void)
{
    json_t *r = NULL;
    wh_err err = {0};
    const char *doc = "x = 1\ny = nan\n";
    CHECK_INT(wh_toml_parse(doc, strlen(doc), &r, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "line 2");
    CHECK_CONTAINS(err.msg, "nan");
    const char *inf = "y = -inf\n";
    CHECK_INT(wh_toml_parse(inf, strlen(inf), &r, &err), WH_EINVAL);
}

static void test_emit_nulls_and_tables(void)
{
    json_error_t jerr;
    json_t *j = json_loads("{\"name\":\"x\",\"gone\":null,"
                           "\"list\":[1,null,2],"
                           "\"parcel\":[{\"label\":{\"size\":1}},{\"label\":{\"size\":2}}],"
                           "\"t\":{\"inner\":null,\"v\":true}}",
                           0, &jerr);
    CHECK(j != NULL);
    char *out = NULL;
    size_t len = 0;
    wh_err err = {0};
    CHECK_INT(wh_toml_emit(j, &out, &len, &err), 0);
    CHECK(out != NULL);
    if (!out) {
        json_decref(j);
        return;
    }
    CHECK_INT(strlen(out), len);
    CHECK(strstr(out, "gone") == NULL);
    CHECK(strstr(out, "inner") == NULL);
    CHECK_CONTAINS(out, "list = [ 1, 2 ]");
    CHECK_CONTAINS(out, "[[parcel]]");
    CHECK_CONTAINS(out, "[parcel.label]");
    CHECK_CONTAINS(out, "name = \"x\"");

    json_t *back = NULL;
    CHECK_INT(wh_toml_parse(out, len, &back, &err), 0);
    CHECK(json_object_get(back, "gone") == NULL);
    CHECK_INT(json_array_size(json_object_get(back, "list")), 2);
    CHECK_INT(json_array_size(json_object_get(back, "parcel")), 2);
    CHECK(json_is_true(json_object_get(json_object_get(back, "t"), "v")));
    json_decref(back);
    free(out);
    json_decref(j);
}

static void test_emit_deterministic(void)
{
    json_error_t jerr;
    json_t *a = json_loads("{\"b\":1,\"a\":\"x\\ty\\n\\\"q\\\"\",\"c\":{\"z\":[1.5,true],\"y\":\"\xc3\xa9\"}}",
                           0, &jerr);
    json_t *b = json_loads("{\"c\":{\"y\":\"\xc3\xa9\",\"z\":[1.5,true]},\"a\":\"x\\ty\\n\\\"q\\\"\",\"b\":1}",
                           0, &jerr);
    CHECK(a && b);
    char *oa = NULL, *ob = NULL;
    size_t la = 0, lb = 0;
    wh_err err = {0};
    CHECK_INT(wh_toml_emit(a, &oa, &la, &err), 0);
    CHECK_INT(wh_toml_emit(b, &ob, &lb, &err), 0);
    CHECK_STR(oa, ob);
    /* UTF-8 is written as is, not escaped. */
    CHECK_CONTAINS(oa, "y = \"\xc3\xa9\"");
    json_t *back = NULL;
    CHECK_INT(wh_toml_parse(oa, la, &back, &err), 0);
    CHECK(json_equal(back, a));
    json_decref(back);
    free(oa);
    free(ob);
    json_decref(a);
    json_decref(b);
}

static void test_emit_refuses_non_objects(void)
{
    json_t *arr = json_array();
    char *out = NULL;
    size_t len = 0;
    wh_err err = {0};
    CHECK_INT(wh_toml_emit(arr, &out, &len, &err), WH_EINVAL);
    CHECK(out == NULL);
    CHECK_CONTAINS(err.msg, "object");
    json_decref(arr);

    /* A JSON tree deeper than the TOML side allows. */
    json_t *root = json_object(), *cur = root;
    for (int i = 0; i < WH_TOML_MAX_DEPTH + 3; i++) {
        json_t *child = json_object();
        json_object_set_new(cur, "k", child);
        cur = child;
    }
    CHECK_INT(wh_toml_emit(root, &out, &len, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "deeper than 64");
    json_decref(root);

    /* Keys that toml++ would write unquoted, and so unreadably. */
    static const char *const keys[] = {"it's", "a\tb", "a\nb"};
    for (size_t i = 0; i < 3; i++) {
        json_t *o = json_object();
        json_object_set_new(o, keys[i], json_true());
        CHECK_INT(wh_toml_emit(o, &out, &len, &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, "single quote, tab or newline");
        json_decref(o);
    }
    /* Other awkward keys are quoted and read back. */
    json_t *o = json_pack("{s:i,s:i,s:i,s:i}", "", 1, "a b", 2, "q\"\\", 3,
                          "\x01", 4);
    CHECK_INT(wh_toml_emit(o, &out, &len, &err), 0);
    json_t *back = NULL;
    CHECK_INT(wh_toml_parse(out, len, &back, &err), 0);
    CHECK(json_equal(o, back));
    free(out);
    json_decref(back);
    json_decref(o);
}

/* A document emitted, nested under a key by text, parses back as
 * {key: document}; for tables, arrays of tables, long arrays, and strings
 * and keys that hold brackets, quotes and newlines. */
static void check_nest(const char *json_text)
{
    json_error_t je;
    json_t *doc = json_loads(json_text, 0, &je);
    CHECK(doc != NULL);
    if (!doc)
        return;
    char *emitted = NULL, *nested = NULL;
    size_t elen = 0, nlen = 0;
    wh_err err;
    CHECK_INT(wh_toml_emit(doc, &emitted, &elen, &err), 0);
    CHECK_INT(wh_toml_nest(emitted, elen, "invoice", &nested, &nlen, &err), 0);
    CHECK_INT((long)strlen(nested), (long)nlen);
    json_t *back = NULL;
    CHECK_INT(wh_toml_parse(nested, nlen, &back, &err), 0);
    json_t *want = json_pack("{s:O}", "invoice", doc);
    CHECK(back && json_equal(back, want));
    json_decref(want);
    json_decref(back);
    json_decref(doc);
    free(emitted);
    free(nested);
}

static void test_nest(void)
{
    check_nest("{}");
    check_nest("{\"bindleVersion\":\"1.0.0\",\"yanked\":false}");
    check_nest("{\"bindle\":{\"name\":\"a/b\",\"version\":\"1.0.0\",\"authors\":[\"x\",\"y\"]},"
               "\"annotations\":{\"[not a header]\":\"v\",\"k\":\"line1\\n[fake]\\n\\\"q\"},"
               "\"parcel\":[{\"label\":{\"sha256\":\"ab\",\"name\":\"[x].wasm\","
               "\"feature\":{\"my section\":{\"a b\":\"]\"}}},"
               "\"conditions\":{\"memberOf\":[\"g\"]}},{\"label\":{\"sha256\":\"cd\"}}],"
               "\"group\":[{\"name\":\"g\",\"required\":false}],"
               "\"signature\":[{\"by\":\"A [b]\",\"at\":1}]}");
    /* An array long enough for toml++ to break it over lines. */
    char big[8192] = "{\"bindle\":{\"authors\":[";
    for (int i = 0; i < 200; i++) {
        char item[40];
        snprintf(item, sizeof item, "%s\"[author %d]\"", i ? "," : "", i);
        strcat(big, item);
    }
    strcat(big, "]},\"nested\":{\"arr\":[[1,2],[3,[4,5]]]}}");
    check_nest(big);
}

int main(void)
{
    RUN(test_scalar_types);
    RUN(test_nesting_and_arrays);
    RUN(test_errors_carry_position);
    RUN(test_depth_limit);
    RUN(test_nul_refused);
    RUN(test_non_finite_refused);
    RUN(test_emit_nulls_and_tables);
    RUN(test_emit_deterministic);
    RUN(test_emit_refuses_non_objects);
    RUN(test_nest);
    return unit_done("toml");
}
