/*
 * semver.c - SemVer 2.0.0 parsing and precedence, sort keys, and npm-style
 * ranges; see semver.h.
 *
 * Ranges are desugared at parse time into plain comparator sets, the way
 * node-semver does it, so matching is a loop of comparisons.  Each desugaring
 * rule below names the node-semver form it reproduces.
 */
#include "semver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */

/* Renders the start of s[0, n) for a message: printable ASCII is kept, any
 * other byte becomes '?', so that hostile input cannot put control
 * characters into logs; a long input is cut and marked with "...". */
static void quote(char *buf, size_t cap, const char *s, size_t n)
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
static const char *byte_name(char *buf, size_t cap, const char *s, size_t n, size_t i)
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

enum { NUM_OK, NUM_NONE, NUM_LEADING_ZERO, NUM_OVERFLOW };

/* Reads a run of digits at *pos; on every outcome but NUM_NONE *pos ends up
 * after the run, so that messages can quote it. */
static int scan_num(const char *s, size_t n, size_t *pos, uint64_t *val)
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
 * `lead` is the '-' or '+' that introduced the part.
 */
static int check_idents(const char *s, size_t n, size_t start, size_t end, bool pre,
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
                              q, what, byte_name(cb, sizeof cb, s, n, i), i + 1);
        }
    }
    return 0;
}

/* Parses s[0, n), which need not be NUL-terminated. */
static int parse_version(const char *s, size_t n, wh_semver *out, wh_err *err)
{
    static const char *const part[3] = {"major", "minor", "patch"};
    char q[72], cb[16];
    uint64_t num[3] = {0, 0, 0};
    size_t pos = 0, pre_start = 0, pre_end = 0, build_start = 0;
    int rc;

    memset(out, 0, sizeof *out);
    quote(q, sizeof q, s, n);
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
        switch (scan_num(s, n, &pos, &num[k])) {
        case NUM_NONE:
            return wh_err_set(err, WH_EINVAL,
                              "invalid version \"%s\": %s version expected at position %zu, "
                              "found %s (a version is MAJOR.MINOR.PATCH)",
                              q, part[k], pos + 1, byte_name(cb, sizeof cb, s, n, pos));
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
                                  q, part[k], pos + 1, byte_name(cb, sizeof cb, s, n, pos));
            pos++;
        }
    }
    if (pos < n && s[pos] == '-') {
        pre_start = pos + 1;
        pre_end = pre_start;
        while (pre_end < n && s[pre_end] != '+')
            pre_end++;
        rc = check_idents(s, n, pre_start, pre_end, true, q, err);
        if (rc)
            return rc;
        pos = pre_end;
    }
    if (pos < n && s[pos] == '+') {
        build_start = pos + 1;
        rc = check_idents(s, n, build_start, n, false, q, err);
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
                          q, byte_name(cb, sizeof cb, s, n, pos), pos + 1);
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
    return parse_version(s, strnlen(s, WH_SEMVER_MAX + 1), out, err);
}

/* ------------------------------------------------------------------------ */
/* Precedence                                                               */

/* What precedence looks at: a version, or a range's comparator, which has
 * no text of its own and points at its prerelease elsewhere. */
typedef struct vparts {
    uint64_t major, minor, patch;
    const char *pre;
    size_t pre_len;
} vparts;

static vparts parts_of(const wh_semver *v)
{
    vparts p = {v->major, v->minor, v->patch, v->text + v->pre_off, v->pre_len};
    return p;
}

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

static int cmp_parts(const vparts *a, const vparts *b)
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
    return cmp_parts(&pa, &pb);
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

/* ------------------------------------------------------------------------ */
/* Ranges                                                                   */

enum { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ };

typedef struct rcmp {
    int op;
    vparts v; /* v.pre points into the range's text, or at "0" */
} rcmp;

typedef struct rset {
    size_t first, n; /* comparators cmps[first, first + n) */
    bool null;       /* holds a comparator that nothing satisfies */
} rset;

struct wh_semver_range {
    rset sets[WH_SEMVER_RANGE_MAX_SETS];
    size_t nsets;
    /* node-semver turns a range with several sets, one of them "*", into
     * just "*"; that drops the other sets' prerelease exceptions. */
    bool release_any;
    rcmp *cmps;
    size_t ncmps, cap;
    char text[]; /* a copy of the range string */
};

static const char PRE_ZERO[] = "0";
static const uint64_t U64_MAX = UINT64_MAX;

typedef struct rparser {
    wh_semver_range *r;
    char q[72];   /* the range, quoted for messages */
    wh_err *err;
} rparser;

/*
 * A version as written in a range: "1.2.3-rc.1", or partial with wildcards
 * ("1", "1.x", "1.2.*", "*").  Everything from the first wildcard or missing
 * part on is ignored, as node-semver does ("^1.x.3" is "^1.x").
 *
 * node-semver lets any run of 'v' and '=' precede a version ("^=1.2",
 * "v=1.x"), except where it pastes the text of a full version into a
 * comparator unchanged, which then takes one 'v' at most: a plain comparator
 * (">=v1.2.3" but not ">==1.2.3") and a hyphen range's bounds.  The run may
 * begin in the operator's word ("^= 1.2"), see parse_set.
 */
typedef struct xver {
    int nx;              /* index of the first wildcard or missing part; 3 = full */
    uint64_t num[3];
    vparts full;         /* when nx == 3; pre points into the range's text */
    size_t prefix_len;   /* the run of 'v' and '=' before the version */
    bool prefix_v;       /* that run is exactly "v" */
    bool num_after_wild; /* a number follows a wildcard, as in "1.x.3" */
} xver;

/* Whether x may be pasted where node-semver expects "v?" and a version. */
static bool plain_prefix(const xver *x) { return x->prefix_len == 0 || x->prefix_v; }

static int bad_prefix(rparser *P)
{
    return wh_err_set(P->err, WH_EINVAL,
                      "invalid range \"%s\": a full version in a comparator or hyphen range "
                      "may start with one 'v', but no other 'v' or '='", P->q);
}

static int add_cmp(rparser *P, rset *set, int op, uint64_t M, uint64_t m, uint64_t p,
                   const char *pre, size_t pre_len)
{
    wh_semver_range *r = P->r;
    if (r->ncmps == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        rcmp *c = realloc(r->cmps, cap * sizeof *c);
        if (!c)
            return wh_err_set(P->err, WH_ENOMEM, "out of memory parsing range \"%s\"", P->q);
        r->cmps = c;
        r->cap = cap;
    }
    rcmp *c = &r->cmps[r->ncmps++];
    c->op = op;
    c->v.major = M;
    c->v.minor = m;
    c->v.patch = p;
    c->v.pre = pre;
    c->v.pre_len = pre_len;
    set->n++;
    return 0;
}

/* ">=" a version.  node-semver rewrites ">=0.0.0" to "*" (replaceGTE0), which
 * matters when it is all a set holds; a literal ">=v0.0.0" escapes the
 * rewrite there, hence `literal_v`. */
static int add_ge(rparser *P, rset *set, uint64_t M, uint64_t m, uint64_t p, const char *pre,
                  size_t pre_len, bool literal_v)
{
    if (M == 0 && m == 0 && p == 0 && pre_len == 0 && !literal_v)
        return 0;
    return add_cmp(P, set, OP_GE, M, m, p, pre, pre_len);
}

/*
 * node-semver's exclusive upper bound "<NEXT-0", where NEXT bumps the part
 * at `level` (0 major, 1 minor, 2 patch) and zeroes those after it.  When
 * that part is already UINT64_MAX the bump cannot be written, but
 * "<M.(m+1).0-0" holds exactly the versions "<=M.m.MAX" holds (no tuple lies
 * between), and neither can lend its prerelease to a version, so that is used.
 */
static int add_upper(rparser *P, rset *set, uint64_t M, uint64_t m, uint64_t p, int level)
{
    if (level == 0)
        return M == U64_MAX ? add_cmp(P, set, OP_LE, M, U64_MAX, U64_MAX, NULL, 0)
                            : add_cmp(P, set, OP_LT, M + 1, 0, 0, PRE_ZERO, 1);
    if (level == 1)
        return m == U64_MAX ? add_cmp(P, set, OP_LE, M, m, U64_MAX, NULL, 0)
                            : add_cmp(P, set, OP_LT, M, m + 1, 0, PRE_ZERO, 1);
    return p == U64_MAX ? add_cmp(P, set, OP_LE, M, m, p, NULL, 0)
                        : add_cmp(P, set, OP_LT, M, m, p + 1, PRE_ZERO, 1);
}

/* ">1" is ">=2.0.0" and ">1.2" is ">=1.3.0"; with the part at UINT64_MAX,
 * ">M.m.MAX" holds exactly the same versions (as in add_upper). */
static int add_lower_next(rparser *P, rset *set, uint64_t M, uint64_t m, int level)
{
    if (level == 0)
        return M == U64_MAX ? add_cmp(P, set, OP_GT, M, U64_MAX, U64_MAX, NULL, 0)
                            : add_cmp(P, set, OP_GE, M + 1, 0, 0, NULL, 0);
    return m == U64_MAX ? add_cmp(P, set, OP_GT, M, m, U64_MAX, NULL, 0)
                        : add_cmp(P, set, OP_GE, M, m + 1, 0, NULL, 0);
}

static bool is_wild(char c) { return c == 'x' || c == 'X' || c == '*'; }

/* Parses the version-ish word r->text[start, end) into x; text[ps, pe) is the
 * part of the prefix run that stood in the operator's word. */
static int parse_xver(rparser *P, size_t ps, size_t pe, size_t start, size_t end, xver *x)
{
    const char *s = P->r->text + start;
    size_t n = end - start, i = 0;
    char q[72], cb[16];
    wh_semver full;
    wh_err full_err;
    int k = 0, rc;

    memset(x, 0, sizeof *x);
    while (i < n && (s[i] == 'v' || s[i] == '='))
        i++;
    x->prefix_len = pe - ps + i;
    x->prefix_v = x->prefix_len == 1 && (pe > ps ? P->r->text[ps] : s[0]) == 'v';
    s += i;
    n -= i;
    i = 0;
    quote(q, sizeof q, s, n);
    if (parse_version(s, n, &full, &full_err) == 0) {
        x->nx = 3;
        x->full = parts_of(&full);
        x->full.pre = s + full.pre_off;
        return 0;
    }

    x->nx = 3;
    for (;;) {
        size_t st = i;
        if (i < n && is_wild(s[i])) {
            if (x->nx == 3)
                x->nx = k;
            i++;
        } else {
            x->num_after_wild = x->num_after_wild || x->nx != 3;
            switch (scan_num(s, n, &i, &x->num[k])) {
            case NUM_NONE:
                return wh_err_set(P->err, WH_EINVAL,
                                  "invalid version \"%s\": expected a number, 'x', 'X' or '*' "
                                  "at position %zu, found %s",
                                  q, i + 1, byte_name(cb, sizeof cb, s, n, i));
            case NUM_LEADING_ZERO:
                return wh_err_set(P->err, WH_EINVAL,
                                  "invalid version \"%s\": \"%.*s\" has a leading zero "
                                  "(position %zu)", q, (int)(i - st), s + st, st + 1);
            case NUM_OVERFLOW:
                return wh_err_set(P->err, WH_EINVAL,
                                  "invalid version \"%s\": %.*s does not fit in 64 bits",
                                  q, (int)(i - st), s + st);
            default:
                break;
            }
        }
        k++;
        if (k < 3 && i < n && s[i] == '.') {
            i++;
            continue;
        }
        break;
    }
    if (x->nx == 3 && k == 3) {
        /* Three plain numbers that parse_version refused: its message is the precise one. */
        if (P->err)
            *P->err = full_err;
        return full_err.code;
    }
    if (x->nx == 3)
        x->nx = k;
    if (i < n && s[i] == '-') {
        if (k < 3)
            return wh_err_set(P->err, WH_EINVAL,
                              "invalid version \"%s\": a prerelease needs all three parts "
                              "(MAJOR.MINOR.PATCH-PRE) at position %zu", q, i + 1);
        size_t pre_end = i + 1;
        while (pre_end < n && s[pre_end] != '+')
            pre_end++;
        rc = check_idents(s, n, i + 1, pre_end, true, q, P->err);
        if (rc)
            return rc;
        i = pre_end;
    }
    if (i < n && s[i] == '+') {
        rc = check_idents(s, n, i + 1, n, false, q, P->err);
        if (rc)
            return rc;
        i = n;
    }
    if (i < n)
        return wh_err_set(P->err, WH_EINVAL,
                          "invalid version \"%s\": unexpected %s at position %zu", q,
                          byte_name(cb, sizeof cb, s, n, i), i + 1);
    return 0;
}

enum { TOK_NONE, TOK_LT, TOK_LE, TOK_GT, TOK_GE, TOK_EQ, TOK_CARET, TOK_TILDE };

/* Turns one comparator as written (operator and version) into plain
 * comparators, following node-semver's replaceCaret, replaceTilde and
 * replaceXRange. */
static int desugar(rparser *P, rset *set, int tok, const xver *x)
{
    const uint64_t M = x->num[0], m = x->num[1];
    const vparts *f = &x->full;
    int rc;

    switch (tok) {
    case TOK_CARET:
        /* ^1.2.3 := >=1.2.3 <2.0.0-0, ^0.2.3 := >=0.2.3 <0.3.0-0,
         * ^0.0.3 := >=0.0.3 <0.0.4-0, ^1.x := >=1.0.0 <2.0.0-0,
         * ^0.0.x := >=0.0.0 <0.1.0-0, ^* := * */
        if (x->nx == 0)
            return 0;
        if (x->nx == 1) {
            rc = add_ge(P, set, M, 0, 0, NULL, 0, false);
            return rc ? rc : add_upper(P, set, M, 0, 0, 0);
        }
        if (x->nx == 2) {
            rc = add_ge(P, set, M, m, 0, NULL, 0, false);
            return rc ? rc : add_upper(P, set, M, m, 0, M == 0 ? 1 : 0);
        }
        rc = add_ge(P, set, f->major, f->minor, f->patch, f->pre, f->pre_len, false);
        if (rc)
            return rc;
        return add_upper(P, set, f->major, f->minor, f->patch,
                         f->major ? 0 : f->minor ? 1 : 2);
    case TOK_TILDE:
        /* ~1.2.3 := >=1.2.3 <1.3.0-0, ~1.2 := >=1.2.0 <1.3.0-0,
         * ~1 := >=1.0.0 <2.0.0-0, ~* := * */
        if (x->nx == 0)
            return 0;
        if (x->nx == 1) {
            rc = add_ge(P, set, M, 0, 0, NULL, 0, false);
            return rc ? rc : add_upper(P, set, M, 0, 0, 0);
        }
        if (x->nx == 2) {
            rc = add_ge(P, set, M, m, 0, NULL, 0, false);
            return rc ? rc : add_upper(P, set, M, m, 0, 1);
        }
        rc = add_ge(P, set, f->major, f->minor, f->patch, f->pre, f->pre_len, false);
        return rc ? rc : add_upper(P, set, f->major, f->minor, f->patch, 1);
    default:
        break;
    }

    /* node-semver 7.8 refuses these as x-ranges, though ^ and ~ (and hyphen
     * ranges) still read "1.x.3" as "1.x". */
    if (x->num_after_wild)
        return wh_err_set(P->err, WH_EINVAL,
                          "invalid range \"%s\": a number follows a wildcard (x, X or *) in a "
                          "version", P->q);
    if (x->nx == 3) {
        if (!plain_prefix(x))
            return bad_prefix(P);
        static const int op_of[] = {[TOK_NONE] = OP_EQ, [TOK_EQ] = OP_EQ, [TOK_LT] = OP_LT,
                                    [TOK_LE] = OP_LE, [TOK_GT] = OP_GT, [TOK_GE] = OP_GE};
        if (tok == TOK_GE)
            return add_ge(P, set, f->major, f->minor, f->patch, f->pre, f->pre_len,
                          x->prefix_v);
        return add_cmp(P, set, op_of[tok], f->major, f->minor, f->patch, f->pre, f->pre_len);
    }
    if (x->nx == 0) {
        /* <* and >* := nothing; * >=* <=* =* := anything */
        if (tok == TOK_LT || tok == TOK_GT)
            set->null = true;
        return 0;
    }
    /* A partial: nx == 1 is "M" (level 0), nx == 2 is "M.m" (level 1). */
    int level = x->nx - 1;
    uint64_t lm = x->nx == 2 ? m : 0;
    switch (tok) {
    case TOK_GT: /* >1.2 := >=1.3.0 */
        return add_lower_next(P, set, M, lm, level);
    case TOK_GE: /* >=1.2 := >=1.2.0 */
        return add_ge(P, set, M, lm, 0, NULL, 0, false);
    case TOK_LT: /* <1.2 := <1.2.0-0 */
        return add_cmp(P, set, OP_LT, M, lm, 0, PRE_ZERO, 1);
    case TOK_LE: /* <=1.2 := <1.3.0-0 */
        return add_upper(P, set, M, lm, 0, level);
    default: /* 1.2 and =1.2 := >=1.2.0 <1.3.0-0 */
        rc = add_ge(P, set, M, lm, 0, NULL, 0, false);
        return rc ? rc : add_upper(P, set, M, lm, 0, level);
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The next whitespace-separated word in text[*pos, end); false at the end. */
static bool next_word(const char *text, size_t *pos, size_t end, size_t *ws, size_t *we)
{
    size_t i = *pos;
    while (i < end && is_space(text[i]))
        i++;
    if (i >= end)
        return false;
    *ws = i;
    while (i < end && !is_space(text[i]))
        i++;
    *we = i;
    *pos = i;
    return true;
}

/* Reads an operator at text[*pos] and moves past it. */
static int read_op(const char *text, size_t *pos, size_t end)
{
    size_t i = *pos;
    int tok = TOK_NONE;
    if (i < end) {
        switch (text[i]) {
        case '<': tok = (i + 1 < end && text[i + 1] == '=') ? TOK_LE : TOK_LT; break;
        case '>': tok = (i + 1 < end && text[i + 1] == '=') ? TOK_GE : TOK_GT; break;
        case '=': tok = TOK_EQ; break;
        case '^': tok = TOK_CARET; break;
        case '~': tok = TOK_TILDE; break;
        default: break;
        }
    }
    *pos = i + (tok == TOK_NONE ? 0 : (tok == TOK_LE || tok == TOK_GE) ? 2 : 1);
    return tok;
}

static bool word_is(const char *text, size_t ws, size_t we, const char *lit)
{
    size_t n = strlen(lit);
    return we - ws == n && memcmp(text + ws, lit, n) == 0;
}

/* "A - B" := ">=A <=B", where a partial A starts at its lowest version and a
 * partial B ends below its next one: "1.2 - 2" := ">=1.2.0 <3.0.0-0". */
static int parse_hyphen(rparser *P, rset *set, size_t as, size_t ae, size_t bs, size_t be)
{
    const char *text = P->r->text;
    xver a, b;
    int rc;
    if (strchr("<>^~", text[as]) || strchr("<>^~", text[bs]))
        return wh_err_set(P->err, WH_EINVAL,
                          "invalid range \"%s\": the ends of a hyphen range (A - B) must be "
                          "plain versions, without an operator", P->q);
    rc = parse_xver(P, as, as, as, ae, &a);
    if (!rc)
        rc = parse_xver(P, bs, bs, bs, be, &b);
    if (rc) {
        wh_err_prefix(P->err, "invalid range \"%s\"", P->q);
        return rc;
    }
    /* node-semver pastes these two as written; an upper bound with a
     * prerelease it rebuilds from the numbers. */
    if ((a.nx == 3 && !plain_prefix(&a)) || (b.nx == 3 && !b.full.pre_len && !plain_prefix(&b)))
        return bad_prefix(P);
    if (a.nx == 1)
        rc = add_ge(P, set, a.num[0], 0, 0, NULL, 0, false);
    else if (a.nx == 2)
        rc = add_ge(P, set, a.num[0], a.num[1], 0, NULL, 0, false);
    else if (a.nx == 3)
        rc = add_ge(P, set, a.full.major, a.full.minor, a.full.patch, a.full.pre,
                    a.full.pre_len, a.prefix_v);
    if (rc)
        return rc;
    if (b.nx == 1)
        return add_upper(P, set, b.num[0], 0, 0, 0);
    if (b.nx == 2)
        return add_upper(P, set, b.num[0], b.num[1], 0, 1);
    if (b.nx == 3)
        return add_cmp(P, set, OP_LE, b.full.major, b.full.minor, b.full.patch, b.full.pre,
                       b.full.pre_len);
    return 0;
}

/* Parses the comparator set text[start, end) (between "||"s). */
static int parse_set(rparser *P, rset *set, size_t start, size_t end, size_t set_no)
{
    const char *text = P->r->text;
    size_t pos = start, ws, we, nwords = 0, dash = 0, w[3][2];
    char wq[72];

    while (next_word(text, &pos, end, &ws, &we)) {
        if (nwords < 3) {
            w[nwords][0] = ws;
            w[nwords][1] = we;
        }
        if (word_is(text, ws, we, "-") && !dash)
            dash = nwords + 1;
        nwords++;
    }
    if (dash) {
        if (nwords != 3 || dash != 2)
            return wh_err_set(P->err, WH_EINVAL,
                              "invalid range \"%s\": in comparator set %zu, '-' must stand "
                              "alone between two versions (A - B)", P->q, set_no);
        return parse_hyphen(P, set, w[0][0], w[0][1], w[2][0], w[2][1]);
    }

    size_t count = 0;
    pos = start;
    while (next_word(text, &pos, end, &ws, &we)) {
        size_t vs = ws;
        int tok = read_op(text, &vs, we);
        if (tok == TOK_TILDE && vs < we && text[vs] == '>')
            return wh_err_set(P->err, WH_EINVAL,
                              "invalid range \"%s\": '~>' at position %zu is not supported; "
                              "use '~'", P->q, ws + 1);
        /*
         * node-semver joins an operator to the word after it ("> 1.2" is
         * ">1.2"), and the '=' of "^=" and "~=" too, but not longer runs
         * ("== 1.2" stays invalid).  Its joins work on the text, so "> =1"
         * becomes ">=1", and "^ = 1" becomes "^=1".
         */
        size_t ps = vs, pe = vs;
        bool bare = vs == we;
        bool tilde_eq = (tok == TOK_CARET || tok == TOK_TILDE) && we - vs == 1 && text[vs] == '=';
        if (bare || tilde_eq) {
            pe = we;
            int joins = bare && (tok == TOK_CARET || tok == TOK_TILDE) ? 2 : 1;
            while (joins--) {
                size_t nws = we;
                if (!next_word(text, &pos, end, &vs, &we)) {
                    quote(wq, sizeof wq, text + ws, nws - ws);
                    return wh_err_set(P->err, WH_EINVAL,
                                      "invalid range \"%s\": '%s' at position %zu is not "
                                      "followed by a version", P->q, wq, ws + 1);
                }
                if (joins && word_is(text, vs, we, "=")) {
                    ps = vs;
                    pe = we;
                } else {
                    joins = 0;
                }
            }
            if (bare && (tok == TOK_LT || tok == TOK_GT) && text[vs] == '=') {
                tok = tok == TOK_LT ? TOK_LE : TOK_GE;
                vs++;
            }
        }
        if (++count > WH_SEMVER_RANGE_MAX_CMPS)
            return wh_err_set(P->err, WH_ETOOBIG,
                              "range \"%s\": comparator set %zu has more than %d comparators",
                              P->q, set_no, WH_SEMVER_RANGE_MAX_CMPS);
        xver x;
        int rc = parse_xver(P, ps, pe, vs, we, &x);
        if (rc) {
            wh_err_prefix(P->err, "invalid range \"%s\"", P->q);
            return rc;
        }
        rc = desugar(P, set, tok, &x);
        if (rc)
            return rc;
    }
    return 0;
}

int wh_semver_range_parse(const char *s, wh_semver_range **out, wh_err *err)
{
    rparser P = {.err = err};
    wh_semver_range *r = NULL;
    int rc = 0;

    if (!out)
        return wh_err_set(err, WH_EINVAL, "invalid range: no output given");
    *out = NULL;
    if (!s)
        return wh_err_set(err, WH_EINVAL, "invalid range: none given");
    size_t n = strnlen(s, WH_SEMVER_RANGE_MAX + 1);
    quote(P.q, sizeof P.q, s, n);
    if (n > WH_SEMVER_RANGE_MAX)
        return wh_err_set(err, WH_ETOOBIG, "range \"%s\" is longer than %d bytes", P.q,
                          WH_SEMVER_RANGE_MAX);
    r = calloc(1, sizeof *r + n + 1);
    if (!r)
        return wh_err_set(err, WH_ENOMEM, "out of memory parsing range \"%s\"", P.q);
    memcpy(r->text, s, n);
    P.r = r;

    size_t start = 0;
    for (;;) {
        const char *bar = strstr(r->text + start, "||");
        size_t end = bar ? (size_t)(bar - r->text) : n;
        if (r->nsets == WH_SEMVER_RANGE_MAX_SETS) {
            rc = wh_err_set(err, WH_ETOOBIG, "range \"%s\" has more than %d sets joined by '||'",
                            P.q, WH_SEMVER_RANGE_MAX_SETS);
            goto done;
        }
        rset *set = &r->sets[r->nsets++];
        set->first = r->ncmps;
        rc = parse_set(&P, set, start, end, r->nsets);
        if (rc)
            goto done;
        if (!bar)
            break;
        start = end + 2;
    }

    size_t live = 0;
    bool any = false;
    for (size_t i = 0; i < r->nsets; i++) {
        if (r->sets[i].null)
            continue;
        live++;
        any = any || r->sets[i].n == 0;
    }
    r->release_any = live > 1 && any;

done:
    if (rc) {
        wh_semver_range_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

static bool test_cmp(const rcmp *c, const vparts *v)
{
    int r = cmp_parts(v, &c->v);
    switch (c->op) {
    case OP_LT: return r < 0;
    case OP_LE: return r <= 0;
    case OP_GT: return r > 0;
    case OP_GE: return r >= 0;
    default: return r == 0;
    }
}

bool wh_semver_range_match(const wh_semver_range *r, const wh_semver *v)
{
    if (!r || !v)
        return false;
    vparts x = parts_of(v);
    if (r->release_any)
        return x.pre_len == 0;
    for (size_t i = 0; i < r->nsets; i++) {
        const rset *set = &r->sets[i];
        if (set->n == 0) {
            if (!set->null && x.pre_len == 0)
                return true;
            continue;
        }
        const rcmp *c = r->cmps + set->first;
        bool ok = !set->null;
        for (size_t k = 0; ok && k < set->n; k++)
            ok = test_cmp(&c[k], &x);
        if (!ok)
            continue;
        if (x.pre_len == 0)
            return true;
        /* node-semver: a prerelease is only let in by a comparator that
         * names a prerelease of the same major.minor.patch. */
        for (size_t k = 0; k < set->n; k++)
            if (c[k].v.pre_len && c[k].v.major == x.major && c[k].v.minor == x.minor &&
                c[k].v.patch == x.patch)
                return true;
    }
    return false;
}

void wh_semver_range_free(wh_semver_range *r)
{
    if (!r)
        return;
    free(r->cmps);
    free(r);
}
