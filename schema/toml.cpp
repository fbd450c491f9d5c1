/*
 * toml.cpp - the TOML <-> json_t bridge over toml++; see toml.h.
 *
 * libtomlplusplus is built with exceptions, so both entry points run inside
 * one try block that turns every exception (parse errors, bad_alloc,
 * anything else) into a wh_err: C callers never see C++ unwinding.  Partial
 * json_t trees are held by unique_ptr so that an exception in the middle of a
 * conversion leaks nothing.
 */
#include "toml.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <string_view>

#include <toml++/toml.h>

namespace {

struct json_deleter {
    void operator()(json_t *j) const noexcept { json_decref(j); }
};
using json_ptr = std::unique_ptr<json_t, json_deleter>;

/* Errors found while converting point at the node, as toml++'s own do. */
int fail_at(wh_err *err, int code, const toml::source_region &where,
            const char *what)
{
    if (where.begin.line)
        return wh_err_set(err, code, "line %u, column %u: %s",
                          static_cast<unsigned>(where.begin.line),
                          static_cast<unsigned>(where.begin.column), what);
    return wh_err_set(err, code, "%s", what);
}

/* jansson returns NULL both for a bad string and for a failed malloc; asking
 * again without the UTF-8 check tells the two apart. */
int make_string(std::string_view s, const toml::node &n, json_ptr &out,
                wh_err *err)
{
    out.reset(json_stringn(s.data(), s.size()));
    if (out)
        return 0;
    json_ptr raw(json_stringn_nocheck(s.data(), s.size()));
    if (!raw)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    return fail_at(err, WH_EINVAL, n.source(), "a string is not valid UTF-8");
}

template <typename T>
int make_iso(const T &v, const toml::node &n, json_ptr &out, wh_err *err)
{
    std::ostringstream os;
    os << v;
    const std::string s = os.str();
    return make_string(s, n, out, err);
}

int node_to_json(const toml::node &n, int depth, json_ptr &out, wh_err *err)
{
    if (depth > WH_TOML_MAX_DEPTH)
        return fail_at(err, WH_EINVAL, n.source(),
                       "tables and arrays nest deeper than 64 levels");
    switch (n.type()) {
    case toml::node_type::table: {
        json_ptr obj(json_object());
        if (!obj)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        for (auto &&[k, v] : *n.as_table()) {
            const std::string_view key = k.str();
            if (key.find('\0') != std::string_view::npos)
                return fail_at(err, WH_EINVAL, v.source(),
                               "a key holds a NUL character");
            json_ptr child;
            int rc = node_to_json(v, depth + 1, child, err);
            if (rc)
                return rc;
            if (json_object_setn_new(obj.get(), key.data(), key.size(),
                                     child.release()))
                return wh_err_set(err, WH_ENOMEM, "out of memory");
        }
        out = std::move(obj);
        return 0;
    }
    case toml::node_type::array: {
        json_ptr arr(json_array());
        if (!arr)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        for (auto &&v : *n.as_array()) {
            json_ptr child;
            int rc = node_to_json(v, depth + 1, child, err);
            if (rc)
                return rc;
            if (json_array_append_new(arr.get(), child.release()))
                return wh_err_set(err, WH_ENOMEM, "out of memory");
        }
        out = std::move(arr);
        return 0;
    }
    case toml::node_type::string:
        return make_string(n.as_string()->get(), n, out, err);
    case toml::node_type::integer:
        out.reset(json_integer(static_cast<json_int_t>(n.as_integer()->get())));
        break;
    case toml::node_type::floating_point: {
        const double d = n.as_floating_point()->get();
        if (!std::isfinite(d))
            return fail_at(err, WH_EINVAL, n.source(),
                           "nan and inf cannot be represented");
        out.reset(json_real(d));
        break;
    }
    case toml::node_type::boolean:
        out.reset(json_boolean(n.as_boolean()->get()));
        break;
    case toml::node_type::date:
        return make_iso(n.as_date()->get(), n, out, err);
    case toml::node_type::time:
        return make_iso(n.as_time()->get(), n, out, err);
    case toml::node_type::date_time:
        return make_iso(n.as_date_time()->get(), n, out, err);
    default:
        return fail_at(err, WH_EINVAL, n.source(), "unsupported TOML value");
    }
    if (!out)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    return 0;
}

int fill_table(const json_t *obj, toml::table &t, int depth, wh_err *err);
int fill_array(const json_t *arr, toml::array &a, int depth, wh_err *err);

/* Converts one non-null JSON value and hands it to `put`, which inserts it
 * into the parent table or array. */
template <typename Put>
int convert_value(const json_t *v, int depth, Put &&put, wh_err *err)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        toml::table t;
        int rc = fill_table(v, t, depth + 1, err);
        if (rc)
            return rc;
        put(std::move(t));
        return 0;
    }
    case JSON_ARRAY: {
        toml::array a;
        int rc = fill_array(v, a, depth + 1, err);
        if (rc)
            return rc;
        put(std::move(a));
        return 0;
    }
    case JSON_STRING:
        put(std::string(json_string_value(v), json_string_length(v)));
        return 0;
    case JSON_INTEGER:
        put(static_cast<int64_t>(json_integer_value(v)));
        return 0;
    case JSON_REAL: {
        const double d = json_real_value(v);
        if (!std::isfinite(d))
            return wh_err_set(err, WH_EINVAL, "nan and inf cannot be written");
        put(d);
        return 0;
    }
    case JSON_TRUE:
        put(true);
        return 0;
    case JSON_FALSE:
        put(false);
        return 0;
    case JSON_NULL:
        return 0;
    }
    return wh_err_set(err, WH_EINVAL, "unknown JSON value type");
}

int fill_table(const json_t *obj, toml::table &t, int depth, wh_err *err)
{
    if (depth > WH_TOML_MAX_DEPTH)
        return wh_err_set(err, WH_EINVAL,
                          "objects and arrays nest deeper than 64 levels");
    /* json_object_iter takes a non-const pointer but only reads. */
    json_t *o = const_cast<json_t *>(obj);
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
        const std::string_view key(json_object_iter_key(it),
                                   json_object_iter_key_len(it));
        /* toml++ 3.3 writes a key that holds only these besides bare-key
         * characters without quotes, which no parser can read back. */
        if (key.find_first_of("'\t\n") != std::string_view::npos)
            return wh_err_set(err, WH_EINVAL,
                              "a key holds a single quote, tab or newline, "
                              "which cannot be written as TOML");
        int rc = convert_value(
            json_object_iter_value(it), depth,
            [&](auto &&x) { t.insert_or_assign(key, std::forward<decltype(x)>(x)); },
            err);
        if (rc)
            return rc;
    }
    return 0;
}

int fill_array(const json_t *arr, toml::array &a, int depth, wh_err *err)
{
    if (depth > WH_TOML_MAX_DEPTH)
        return wh_err_set(err, WH_EINVAL,
                          "objects and arrays nest deeper than 64 levels");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        int rc = convert_value(
            json_array_get(arr, i), depth,
            [&](auto &&x) { a.push_back(std::forward<decltype(x)>(x)); }, err);
        if (rc)
            return rc;
    }
    return 0;
}

} // namespace

extern "C" int wh_toml_parse(const char *buf, size_t len, json_t **out,
                             wh_err *err)
{
    *out = nullptr;
    if (!buf && len)
        return wh_err_set(err, WH_EINVAL, "no TOML buffer");
    if (len) {
        /* toml++ would stop at a NUL or report it oddly; say it plainly. */
        const void *nul = std::memchr(buf, '\0', len);
        if (nul)
            return wh_err_set(err, WH_EINVAL,
                              "byte %zu of the TOML document is a NUL character",
                              static_cast<size_t>(static_cast<const char *>(nul) - buf));
    }
    try {
        const toml::table tbl = toml::parse(std::string_view(buf ? buf : "", len));
        json_ptr root;
        int rc = node_to_json(tbl, 0, root, err);
        if (rc)
            return rc;
        *out = root.release();
        return 0;
    } catch (const toml::parse_error &e) {
        const std::string_view d = e.description();
        const auto &b = e.source().begin;
        /* Cut a long description at a character boundary. */
        size_t n = d.size();
        if (n > 400) {
            n = 400;
            while (n > 0 && (static_cast<unsigned char>(d[n]) & 0xC0) == 0x80)
                n--;
        }
        return wh_err_set(err, WH_EINVAL, "line %u, column %u: %.*s",
                          static_cast<unsigned>(b.line),
                          static_cast<unsigned>(b.column), static_cast<int>(n),
                          d.data());
    } catch (const std::bad_alloc &) {
        return wh_err_set(err, WH_ENOMEM, "out of memory while parsing TOML");
    } catch (const std::exception &e) {
        return wh_err_set(err, WH_EINVAL, "TOML parser failed: %s", e.what());
    } catch (...) {
        return wh_err_set(err, WH_EINVAL, "TOML parser failed");
    }
}

extern "C" int wh_toml_emit(const json_t *root, char **out, size_t *len,
                            wh_err *err)
{
    *out = nullptr;
    if (len)
        *len = 0;
    if (!root || !json_is_object(root))
        return wh_err_set(err, WH_EINVAL, "only a JSON object can be written as TOML");
    try {
        toml::table tbl;
        int rc = fill_table(root, tbl, 0, err);
        if (rc)
            return rc;
        /* No literal or multi-line strings: toml++ writes a multi-line string
         * that starts with a newline such that the newline is lost on
         * reading, and plain escaped strings are unambiguous. */
        /* wh_toml_nest (toml_nest.c) relies on this layout too: no
         * indentation, headers at the start of a line, one-line strings. */
        std::ostringstream os;
        os << toml::toml_formatter(tbl, toml::format_flags::allow_unicode_strings);
        os << '\n';
        const std::string s = os.str();
        char *buf = static_cast<char *>(std::malloc(s.size() + 1));
        if (!buf)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        std::memcpy(buf, s.data(), s.size());
        buf[s.size()] = '\0';
        *out = buf;
        if (len)
            *len = s.size();
        return 0;
    } catch (const std::bad_alloc &) {
        return wh_err_set(err, WH_ENOMEM, "out of memory while writing TOML");
    } catch (const std::exception &e) {
        return wh_err_set(err, WH_EINVAL, "TOML writer failed: %s", e.what());
    } catch (...) {
        return wh_err_set(err, WH_EINVAL, "TOML writer failed");
    }
}
