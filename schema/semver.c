/*
 * semver.c - SemVer 2.0.0 versions: parsing, precedence and sort keys; see
 * semver.h.  Ranges are in semver_range.c, which reuses the version parser
 * and precedence through semver_internal.h.
 */
#include "semver.h"
#include "semver_internal.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */

/* Renders the start of s[0, n) for a message: printable ASCII is kept, any
 * other byte becomes '?', so that hostile input cannot put control
 * characters into logs; a long input is cut and marked with "...". */
void wh_semver_quote(char *buf, size_t cap, const char *s, size_t n)
{
    size_t keep = n > 60 ? 60 : n;
    size_t o = 0;
    for (size_t i = 0; i < keep && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (keep < n && o + 4 <= cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
}

/* Names the byte at s[i] for a message, or the end of the string. */
const char *wh_semver_byte_name(char *buf, size_t cap, const char *s, size_t n, size_t i)
{
    if (i >= n)
        return "the end";
    unsigned char c = (unsigned char)s[i];
    if (c == ' ')
        return "' ' (space)";
    if (c > 0x20 && c < 0x7f)
        snprintf(buf, cap, "'%c'", c);
    else
        snprintf(buf, cap, "byte 0x%02x", c);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Versions                                                                 */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_ident_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Reads a run of digits at *pos; on every outcome but NUM_NONE *pos ends up
 * after the run, so that messages can quote it. */
int wh_semver_scan_num(const char *s, size_t n, size_t *pos, uint64_t *val)
{
    size_t i = *pos, start = *pos;
    uint64_t v = 0;
    bool over = false;
    if (i >= n || !is_digit(s[i]))
        return NUM_NONE;
    while (i < n && is_digit(s[i])) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            over = true;
        else
            v = v * 10 + d;
        i++;
    }
    *pos = i;
    if (s[start] == '0' && i - start > 1)
        return NUM_LEADING_ZERO;
    if (over)
        return NUM_OVERFLOW;
    *val = v;
    return NUM_OK;
}

/*
 * Checks the dot-separated identifiers in s[start, end): non-empty, made of
 * [0-9A-Za-z-], and for a prerelease no numeric identifier with a leading
 * zero (SemVer 2.0.0 items 9 and 10; build metadata may have them).
 * q is the whole version, quoted for messages.
 */
int wh_semver_check_idents(const char *s, size_t n, size_t start, size_t end, bool pre,
                           const char *q, wh_err *err)
{
    const char *what = pre ? "prerelease" : "build metadata";
    char lead = pre ? '-' : '+';
    char cb[16];
    if (start == end)
        return wh_err_set(err, WH_EINVAL,
                          "invalid version \"%s\": %s is empty after '%c' at position %zu",
                          q, what, lead, start);
    size_t id_start = start, id_no = 1;
    for (size_t i = start; i <= end; i++) {
        if (i == end || s[i] == '.') {
            size_t len = i - id_start;
            if (len == 0)
                return wh_err_set(err, WH_EINVAL,
                                  "invalid version \"%s\": %s identifier %zu is empty "
                                  "(position %zu)", q, what, id_no, id_start + 1);
            if (pre && len > 1 && s[id_start] == '0') {
                bool numeric = true;
                for (size_t k = id_start; k < i; k++)
                    numeric = numeric && is_digit(s[k]);
                if (numeric)
                    return wh_err_set(err, WH_EINVAL,
                                      "invalid version \"%s\": numeric prerelease identifier "
                                      "\"%.*s\" has a leading zero (position %zu)",
                                      q, (int)len, s + id_start, id_start + 1);
            }
            id_start = i + 1;
            id_no++;
        } else if (!is_ident_char(s[i])) {
            return wh_err_set(err, WH_EINVAL,
                              "invalid version \"%s\": %s has %s at position %zu "
                              "(allowed: 0-9 A-Z a-z - and '.' between identifiers)",
                              q, what, wh_semver_byte_name(cb, sizeof cb, s, n, i), i + 1);
        }
    }
    return 0;
}

/* Parses s[0, n), which need not be NUL-terminated. */
int wh_semver_parse_n(const char *s, size_t n, wh_semver *out, wh_err *err)
{
    static const char *const part[3] = {"major", "minor", "patch"};
    char q[72], cb[16];
    uint64_t num[3] = {0, 0, 0};
    size_t pos = 0, pre_start = 0, pre_end = 0, build_start = 0;
    int rc;

    memset(out, 0, sizeof *out);
    wh_semver_quote(q, sizeof q, s, n);
    if (n == 0)
        return wh_err_set(err, WH_EINVAL,
                          "invalid version \"\": empty (expected MAJOR.MINOR.PATCH)");
    if (n > WH_SEMVER_MAX)
        return wh_err_set(err, WH_EINVAL,
                          "invalid version \"%s\": longer than %d bytes", q, WH_SEMVER_MAX);
    if ((s[0] == 'v' || s[0] == 'V') && n > 1 && is_digit(s[1]))
        return wh_err_set(err, WH_EINVAL,
                          "invalid version \"%s\": must not start with '%c' "
                          "(a version is bare MAJOR.MINOR.PATCH, e.g. 1.2.3)", q, s[0]);
    for (int k = 0; k < 3; k++) {
        size_t st = pos;
        switch (wh_semver_scan_num(s, n, &pos, &num[k])) {
        case NUM_NONE:
            return wh_err_set(err, WH_EINVAL,
                              "invalid version \"%s\": %s version expected at position %zu, "
                              "found %s (a version is MAJOR.MINOR.PATCH)",
                              q, part[k], pos + 1,
                              wh_semver_byte_name(cb, sizeof cb, s, n, pos));
        case NUM_LEADING_ZERO:
            return wh_err_set(err, WH_EINVAL,
                              "invalid version \"%s\": %s version \"%.*s\" has a leading zero "
                              "(position %zu)", q, part[k], (int)(pos - st), s + st, st + 1);
        case NUM_OVERFLOW:
            return wh_err_set(err, WH_EINVAL,
                              "invalid version \"%s\": %s version %.*s does not fit in 64 bits "
                              "(largest is %llu)", q, part[k], (int)(pos - st), s + st,
                              (unsigned long long)UINT64_MAX);
        default:
            break;
        }
        if (k < 2) {
            if (pos >= n || s[pos] != '.')
                return wh_err_set(err, WH_EINVAL,
                                  "invalid version \"%s\": expected '.' after the %s version "
                                  "at position %zu, found %s (a version is MAJOR.MINOR.PATCH)",
                                  q, part[k], pos + 1,
                                  wh_semver_byte_name(cb, sizeof cb, s, n, pos));
            pos++;
        }
    }
    if (pos < n && s[pos] == '-') {
        pre_start = pos + 1;
        pre_end = pre_start;
        while (pre_end < n && s[pre_end] != '+')
            pre_end++;
        rc = wh_semver_check_idents(s, n, pre_start, pre_end, true, q, err);
        if (rc)
            return rc;
        pos = pre_end;
    }
    if (pos < n && s[pos] == '+') {
        build_start = pos + 1;
        rc = wh_semver_check_idents(s, n, build_start, n, false, q, err);
        if (rc)
            return rc;
        pos = n;
    }
    if (pos < n) {
        if (s[pos] == '.')
            return wh_err_set(err, WH_EINVAL,
                              "invalid version \"%s\": unexpected '.' at position %zu "
                              "(a version has exactly three numbers)", q, pos + 1);
        return wh_err_set(err, WH_EINVAL,
                          "invalid version \"%s\": unexpected %s at position %zu after the "
                          "patch version (expected '-' prerelease, '+' build or the end)",
                          q, wh_semver_byte_name(cb, sizeof cb, s, n, pos), pos + 1);
    }

    out->major = num[0];
    out->minor = num[1];
    out->patch = num[2];
    memcpy(out->text, s, n);
    out->text[n] = '\0';
    if (pre_start) {
        out->pre_off = (uint16_t)pre_start;
        out->pre_len = (uint16_t)(pre_end - pre_start);
    }
    if (build_start) {
        out->build_off = (uint16_t)build_start;
        out->build_len = (uint16_t)(n - build_start);
    }
    return 0;
}

int wh_semver_parse(const char *s, wh_semver *out, wh_err *err)
{
    if (!out)
        return wh_err_set(err, WH_EINVAL, "invalid version: no output given");
    if (!s) {
        memset(out, 0, sizeof *out);
        return wh_err_set(err, WH_EINVAL, "invalid version: none given");
    }
    return wh_semver_parse_n(s, strnlen(s, WH_SEMVER_MAX + 1), out, err);
}

/* ------------------------------------------------------------------------ */
/* Precedence                                                               */

static int cmp_u64(uint64_t a, uint64_t b) { return (a > b) - (a < b); }

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* SemVer 2.0.0 item 11.4: numeric identifiers compare as numbers (of any
 * size: without leading zeros a longer one is larger), below alphanumeric
 * ones, which compare in ASCII order. */
static int cmp_ident(const char *a, size_t an, const char *b, size_t bn)
{
    bool a_num = all_digits(a, an), b_num = all_digits(b, bn);
    if (a_num && b_num) {
        if (an != bn)
            return an < bn ? -1 : 1;
        int r = memcmp(a, b, an);
        return (r > 0) - (r < 0);
    }
    if (a_num != b_num)
        return a_num ? -1 : 1;
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r)
        return (r > 0) - (r < 0);
    return cmp_u64(an, bn);
}

int wh_semver_cmp_parts(const vparts *a, const vparts *b)
{
    int r = cmp_u64(a->major, b->major);
    if (!r)
        r = cmp_u64(a->minor, b->minor);
    if (!r)
        r = cmp_u64(a->patch, b->patch);
    if (r)
        return r;
    /* A prerelease sorts below the release it precedes. */
    if (!a->pre_len || !b->pre_len)
        return (a->pre_len == 0) - (b->pre_len == 0);
    size_t i = 0, j = 0;
    for (;;) {
        size_t ie = i, je = j;
        while (ie < a->pre_len && a->pre[ie] != '.')
            ie++;
        while (je < b->pre_len && b->pre[je] != '.')
            je++;
        r = cmp_ident(a->pre + i, ie - i, b->pre + j, je - j);
        if (r)
            return r;
        bool a_more = ie < a->pre_len, b_more = je < b->pre_len;
        if (!a_more || !b_more)
            return (int)a_more - (int)b_more;
        i = ie + 1;
        j = je + 1;
    }
}

int wh_semver_cmp(const wh_semver *a, const wh_semver *b)
{
    vparts pa = parts_of(a), pb = parts_of(b);
    return wh_semver_cmp_parts(&pa, &pb);
}

/* ------------------------------------------------------------------------ */
/* Sort keys                                                                */

/*
 * Layout, chosen so that plain byte order is precedence order:
 *   major, minor, patch   8 bytes each, big-endian
 *   0x02                  when there is no prerelease (above any 0x01), or
 *   0x01 IDENT... 0x00    the prerelease identifiers, then an end mark that
 *                         is below every identifier's first byte, so a
 *                         shorter identifier list sorts first (item 11.4.4)
 * where IDENT is either
 *   0x01 LEN DIGITS       numeric: no leading zeros, so a longer number is
 *                         larger and LEN orders before the digits do
 *   0x02 CHARS 0x00       alphanumeric, above every numeric; 0x00 is below
 *                         every allowed character, so "a" < "ab"
 * A prerelease is at most 249 bytes, so LEN fits a byte and the key is at
 * most 24 + 1 + 249 + 125 + 1 bytes.  Build metadata is left out.
 */
int wh_semver_sort_key(const wh_semver *v, unsigned char *out, size_t cap, size_t *len,
                       wh_err *err)
{
    const char *pre = v->text + v->pre_off;
    size_t need = 25;
    if (v->pre_len) {
        size_t ids = 1;
        for (size_t i = 0; i < v->pre_len; i++)
            ids += pre[i] == '.';
        /* Each identifier gains two bytes and loses its '.', plus the end mark. */
        need += (size_t)v->pre_len - (ids - 1) + 2 * ids + 1;
    }
    if (len)
        *len = need;
    if (need > cap || !out)
        return wh_err_set(err, WH_ETOOBIG,
                          "sort key of version \"%.60s\" needs %zu bytes, buffer has %zu",
                          v->text, need, cap);

    size_t o = 0;
    const uint64_t nums[3] = {v->major, v->minor, v->patch};
    for (int k = 0; k < 3; k++)
        for (int b = 7; b >= 0; b--)
            out[o++] = (unsigned char)(nums[k] >> (8 * b));
    if (!v->pre_len) {
        out[o++] = 0x02;
        return 0;
    }
    out[o++] = 0x01;
    size_t i = 0;
    while (i < v->pre_len) {
        size_t e = i;
        while (e < v->pre_len && pre[e] != '.')
            e++;
        if (all_digits(pre + i, e - i)) {
            out[o++] = 0x01;
            out[o++] = (unsigned char)(e - i);
            memcpy(out + o, pre + i, e - i);
            o += e - i;
        } else {
            out[o++] = 0x02;
            memcpy(out + o, pre + i, e - i);
            o += e - i;
            out[o++] = 0x00;
        }
        i = e + 1;
    }
    out[o++] = 0x00;
    return 0;
}
