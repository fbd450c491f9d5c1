/*
 * search_match.c - running one search over the index's data (see
 * search_index_internal.h for the layout).
 *
 * A search is a few linear passes over contiguous memory: a bitset of
 * candidate slots starts as every slot (less the yanked ones), name
 * patterns and then each term narrow it (a term scans only the text of the
 * slots still in), the range goes over what is left testing each distinct
 * version once, and the page is read off `order`.  Nothing is allocated
 * per invoice.  The term scan is bound by memory bandwidth: about 10 MB of
 * folded text per 100k invoices for a standard term, 3.5 MB of names for a
 * strict one.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/semver.h"
#include "search_index_internal.h"

static bool bit(const uint64_t *b, size_t i)
{
    return (b[i / 64] >> (i % 64)) & 1;
}

/* The first set (want = true) or clear bit at or after i, or n. */
static size_t next_bit(const uint64_t *b, size_t i, size_t n, bool want)
{
    while (i < n) {
        uint64_t w = want ? b[i / 64] : ~b[i / 64];
        w >>= i % 64;
        if (w) {
            i += (size_t)__builtin_ctzll(w);
            return i < n ? i : n;
        }
        i = (i / 64 + 1) * 64;
    }
    return n;
}

/*
 * A 16-bit mask of the positions p[0..16) where the needle's first byte is,
 * with its last byte nl - 1 further on: the candidates worth a full compare.
 * With SSE2 (every x86-64) that is two compares and a movemask; elsewhere
 * the compiler gets a plain loop to vectorize as it can.
 */
#if defined(__SSE2__)
#include <emmintrin.h>

typedef __m128i wh_v16;

static wh_v16 splat16(char c)
{
    return _mm_set1_epi8(c);
}

static unsigned candidates16(const char *p, size_t nl, wh_v16 first, wh_v16 last)
{
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + nl - 1));
    return (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first),
                                                     _mm_cmpeq_epi8(b, last)));
}
#else
typedef char wh_v16;

static wh_v16 splat16(char c)
{
    return c;
}

static unsigned candidates16(const char *p, size_t nl, wh_v16 first, wh_v16 last)
{
    unsigned m = 0;
    for (unsigned k = 0; k < 16; k++)
        m |= (unsigned)(p[k] == first && p[k + nl - 1] == last) << k;
    return m;
}
#endif

/* Terms longer than this are found with memmem (see scan_rows). */
#define LONG_NEEDLE 32

/*
 * Sets in `out` the rows of [r, end) whose text (rows laid end to end in
 * buf, row s at off[s]..off[s+1]) holds the needle.  Sixteen positions at
 * a time are screened by the needle's first and last bytes; only those
 * passing are compared in full.  After a match the rest of its row is
 * skipped.  Reads stay inside [off[r], off[end_row]).
 */
static void scan_rows(const char *buf, const uint32_t *off, size_t r, size_t end_row,
                      const char *nd, size_t nl, uint64_t *out)
{
    size_t i = off[r], end = off[end_row];
    if (nl > LONG_NEEDLE) {
        /* Checking every candidate position costs text x term length, which
         * a long term of repeated bytes makes quadratic (a 1 KiB term over
         * 64 KiB fields took 1 ms per row); memmem is linear.  Terms hold
         * no NUL, so no match crosses the NUL between fields. */
        while (i + nl <= end) {
            const char *hit = memmem(buf + i, end - i, nd, nl);
            if (!hit)
                break;
            size_t j = (size_t)(hit - buf);
            while (off[r + 1] <= j)
                r++;
            out[r / 64] |= UINT64_C(1) << (r % 64);
            i = off[r + 1];
        }
        return;
    }
    wh_v16 first = splat16(nd[0]), last = splat16(nd[nl - 1]);
    while (i + nl + 15 <= end) {
        unsigned m = candidates16(buf + i, nl, first, last);
        size_t next = i + 16;
        while (m) {
            size_t j = i + (size_t)__builtin_ctz(m);
            m &= m - 1;
            if (memcmp(buf + j, nd, nl) != 0)
                continue;
            while (off[r + 1] <= j)
                r++;
            out[r / 64] |= UINT64_C(1) << (r % 64);
            next = off[r + 1];
            break;
        }
        i = next;
    }
    while (i + nl <= end) {
        if (buf[i] != nd[0] || memcmp(buf + i, nd, nl) != 0) {
            i++;
            continue;
        }
        while (off[r + 1] <= i)
            r++;
        out[r / 64] |= UINT64_C(1) << (r % 64);
        i = off[r + 1];
    }
}

/* out = the rows of cand whose text holds the needle. */
static void match_term(const wh_search_data *d, bool strict, const char *nd, size_t nl,
                       const uint64_t *cand, uint64_t *out)
{
    size_t words = (d->n + 63) / 64;
    if (nl == 0) {
        /* Every text holds the empty string. */
        memcpy(out, cand, words * sizeof *out);
        return;
    }
    memset(out, 0, words * sizeof *out);
    const char *buf = strict ? d->names : d->hay;
    const uint32_t *off = strict ? d->name_off : d->hay_off;
    for (size_t r = next_bit(cand, 0, d->n, true); r < d->n;) {
        size_t e = next_bit(cand, r, d->n, false);
        scan_rows(buf, off, r, e, nd, nl, out);
        r = next_bit(cand, e, d->n, true);
    }
}

/* The first position in `order` whose name (cut to the pattern's length
 * when cut) compares above the pattern (or at or above it, when !above). */
static size_t name_bound(const wh_search_data *d, const char *p, size_t pl, bool cut, bool above)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t s = d->order[mid];
        size_t len = d->name_off[s + 1] - d->name_off[s] - 1;
        if (cut && len > pl)
            len = pl;
        int c = wh_search_cmp_bytes(d->names + d->name_off[s], len, p, pl);
        if (c < 0 || (above && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* cand &= the slots whose name a pattern allows; `tmp` is scratch. */
static void filter_names(const wh_search_data *d, const wh_search_spec *sp, uint64_t *cand,
                         uint64_t *tmp)
{
    size_t words = (d->n + 63) / 64;
    memset(tmp, 0, words * sizeof *tmp);
    for (size_t i = 0; i < sp->n_names; i++) {
        const char *p = sp->names[i];
        size_t pl = strlen(p);
        size_t lo = name_bound(d, p, pl, false, false);
        size_t hi = name_bound(d, p, pl, sp->name_prefix[i], true);
        for (size_t k = lo; k < hi; k++)
            tmp[d->order[k] / 64] |= UINT64_C(1) << (d->order[k] % 64);
    }
    for (size_t w = 0; w < words; w++)
        cand[w] &= tmp[w];
}

/* Clears the candidates whose version is outside the range, testing each
 * distinct version once. */
static int filter_range(const wh_search_data *d, const wh_semver_range *range, uint64_t *cand,
                        wh_err *err)
{
    unsigned char *verdict = calloc(d->nv ? d->nv : 1, 1);   /* 0 untested, 1 out, 2 in */
    if (!verdict)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t s = next_bit(cand, 0, d->n, true); s < d->n;
         s = next_bit(cand, s + 1, d->n, true)) {
        uint32_t v = d->vid[s];
        if (!verdict[v]) {
            wh_semver sv;
            bool in = wh_semver_parse(wh_search_ver_text(d, v), &sv, NULL) == 0 &&
                      wh_semver_range_match(range, &sv);
            verdict[v] = in ? 2 : 1;
        }
        if (verdict[v] == 1)
            cand[s / 64] &= ~(UINT64_C(1) << (s % 64));
    }
    free(verdict);
    return 0;
}

int wh_search_match(const wh_search_data *d, const wh_search_spec *sp, uint64_t *total,
                    int64_t *ids, size_t *n, wh_err *err)
{
    if (d->n == 0)
        return 0;
    size_t words = (d->n + 63) / 64;
    uint64_t *cand = malloc(words * sizeof *cand), *tmp = malloc(words * sizeof *tmp);
    int rc = 0;
    if (!cand || !tmp) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t w = 0; w < words; w++)
        cand[w] = sp->yanked ? ~UINT64_C(0) : ~d->yanked[w];
    if (d->n % 64)
        cand[words - 1] &= (UINT64_C(1) << (d->n % 64)) - 1;
    if (sp->n_names)
        filter_names(d, sp, cand, tmp);
    for (size_t t = 0; t < sp->n_terms; t++) {
        match_term(d, sp->strict, sp->terms[t], sp->term_lens[t], cand, tmp);
        uint64_t *swap = cand;
        cand = tmp;
        tmp = swap;
    }
    if (sp->range)
        rc = filter_range(d, sp->range, cand, err);
    if (rc)
        goto done;
    uint64_t count = 0;
    for (size_t w = 0; w < words; w++)
        count += (uint64_t)__builtin_popcountll(cand[w]);
    *total = count;
    uint64_t skip = sp->offset;
    if (sp->limit == 0 || skip >= count)
        goto done;
    for (size_t p = 0; p < d->n && *n < sp->limit; p++) {
        uint32_t s = d->order[p];
        if (!bit(cand, s))
            continue;
        if (skip)
            skip--;
        else
            ids[(*n)++] = d->ids[s];
    }
done:
    free(cand);
    free(tmp);
    return rc;
}

