/*
 * semver_range.c - npm-style version ranges; see semver.h.
 *
 * Ranges are desugared at parse time into plain comparator sets, the way
 * node-semver does it, so matching is a loop of comparisons.  Each desugaring
 * rule below names the node-semver form it reproduces.  Versions inside a
 * range are read with the version parser of semver.c and compared with its
 * precedence (semver_internal.h), so that a range and a version never
 * disagree on what a version is.
 */
#include "semver.h"
#include "semver_internal.h"

#include <stdlib.h>
#include <string.h>

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
    wh_semver_quote(q, sizeof q, s, n);
    if (wh_semver_parse_n(s, n, &full, &full_err) == 0) {
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
            switch (wh_semver_scan_num(s, n, &i, &x->num[k])) {
            case NUM_NONE:
                return wh_err_set(P->err, WH_EINVAL,
                                  "invalid version \"%s\": expected a number, 'x', 'X' or '*' "
                                  "at position %zu, found %s",
                                  q, i + 1, wh_semver_byte_name(cb, sizeof cb, s, n, i));
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
        /* Three plain numbers that wh_semver_parse_n refused: its message is the
         * precise one. */
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
        rc = wh_semver_check_idents(s, n, i + 1, pre_end, true, q, P->err);
        if (rc)
            return rc;
        i = pre_end;
    }
    if (i < n && s[i] == '+') {
        rc = wh_semver_check_idents(s, n, i + 1, n, false, q, P->err);
        if (rc)
            return rc;
        i = n;
    }
    if (i < n)
        return wh_err_set(P->err, WH_EINVAL,
                          "invalid version \"%s\": unexpected %s at position %zu", q,
                          wh_semver_byte_name(cb, sizeof cb, s, n, i), i + 1);
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
                    wh_semver_quote(wq, sizeof wq, text + ws, nws - ws);
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
    wh_semver_quote(P.q, sizeof P.q, s, n);
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
    int r = wh_semver_cmp_parts(v, &c->v);
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
