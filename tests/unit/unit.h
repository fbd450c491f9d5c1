/*
 * unit.h - the smallest test harness that does the job.
 *
 * A test file defines `static void test_xxx(void)` functions that use CHECK*
 * and lists them in main() with RUN(test_xxx); main ends with
 * `return unit_done("name");`, which prints "name: N passed, N failed" and
 * exits non-zero when any test failed.  A test counts as failed when any of
 * its checks failed; every failed check prints its file, line and expression,
 * and the test goes on so that one run shows every broken check.
 */
#ifndef WH_UNIT_H
#define WH_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed, unit_cur_failed;
static const char *unit_cur_name;

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            unit_cur_failed++;                                              \
            fprintf(stderr, "  %s:%d: %s: CHECK(%s) failed\n", __FILE__,    \
                    __LINE__, unit_cur_name, #cond);                        \
        }                                                                   \
    } while (0)

#define CHECK_STR(a, b)                                                     \
    do {                                                                    \
        const char *unit_a_ = (a), *unit_b_ = (b);                          \
        if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_) != 0) {        \
            unit_cur_failed++;                                              \
            fprintf(stderr, "  %s:%d: %s: %s == %s failed: \"%s\" vs \"%s\"\n", \
                    __FILE__, __LINE__, unit_cur_name, #a, #b,              \
                    unit_a_ ? unit_a_ : "(null)",                           \
                    unit_b_ ? unit_b_ : "(null)");                          \
        }                                                                   \
    } while (0)

#define CHECK_INT(a, b)                                                     \
    do {                                                                    \
        long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);       \
        if (unit_a_ != unit_b_) {                                           \
            unit_cur_failed++;                                              \
            fprintf(stderr, "  %s:%d: %s: %s == %s failed: %lld vs %lld\n", \
                    __FILE__, __LINE__, unit_cur_name, #a, #b, unit_a_,     \
                    unit_b_);                                               \
        }                                                                   \
    } while (0)

/* Substring check, for error messages. */
#define CHECK_CONTAINS(hay, needle)                                         \
    do {                                                                    \
        const char *unit_h_ = (hay), *unit_n_ = (needle);                   \
        if (!unit_h_ || !strstr(unit_h_, unit_n_)) {                        \
            unit_cur_failed++;                                              \
            fprintf(stderr, "  %s:%d: %s: \"%s\" does not contain \"%s\"\n", \
                    __FILE__, __LINE__, unit_cur_name,                      \
                    unit_h_ ? unit_h_ : "(null)", unit_n_);                 \
        }                                                                   \
    } while (0)

#define RUN(fn)                                                             \
    do {                                                                    \
        unit_cur_name = #fn;                                                \
        unit_cur_failed = 0;                                                \
        fn();                                                               \
        if (unit_cur_failed) {                                              \
            unit_failed++;                                                  \
            fprintf(stderr, "FAIL %s\n", #fn);                              \
        } else {                                                            \
            unit_passed++;                                                  \
        }                                                                   \
    } while (0)

static inline int unit_done(const char *suite)
{
    printf("%s: %d passed, %d failed\n", suite, unit_passed, unit_failed);
    return unit_failed ? 1 : 0;
}

#endif
