/*
 * htpasswd.c - loading an htpasswd file and checking Basic-auth passwords
 * against it (see htpasswd.h).
 */
#include "server/htpasswd.h"

#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "schema/arena.h"
#include "schema/file.h"
#include "schema/invoice_json.h"

/* "$2b$" cost "$" then 22 characters of salt and 31 of hash. */
#define BCRYPT_LEN 60
#define BCRYPT_TAIL 53
#define ONLY_BCRYPT "only bcrypt hashes (htpasswd -B) are supported"

typedef struct htuser {
    const char *name;  /* in the wh_htpasswd's arena */
    size_t line;       /* where the file lists it, for messages */
    char hash[BCRYPT_LEN + 1];
} htuser;

struct wh_htpasswd {
    htuser *users;     /* sorted by name, for bsearch */
    size_t n;
    wh_arena names;
    /* What an unknown user's password is hashed against, so that the answer
     * takes as long as for a known user and does not tell who exists. */
    char dummy[BCRYPT_LEN + 1];
};

static bool bcrypt_char(unsigned char c)
{
    return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

/* Why the n bytes at h are not a bcrypt hash we accept, or NULL when they
 * are.  Other kinds are named, so that the operator knows what to redo. */
static const char *bcrypt_problem(const char *h, size_t n)
{
    if (n == 0)
        return "has an empty hash";
    if (starts(h, n, "$apr1$") || starts(h, n, "$1$"))
        return "has an MD5 hash";
    if (starts(h, n, "{SHA}"))
        return "has a SHA-1 hash";
    if (starts(h, n, "$5$") || starts(h, n, "$6$"))
        return "has a SHA-crypt hash";
    if (starts(h, n, "$2x$"))
        return "has a $2x$ hash (from a bcrypt known to be broken)";
    if (!starts(h, n, "$2a$") && !starts(h, n, "$2b$") && !starts(h, n, "$2y$"))
        return "has a hash that is not bcrypt ($2a$, $2b$ or $2y$)";
    if (n != BCRYPT_LEN)
        return "has a bcrypt hash of the wrong length (60 characters expected)";
    if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || h[6] != '$')
        return "has a bcrypt hash without a two-digit cost";
    int cost = (h[4] - '0') * 10 + (h[5] - '0');
    if (cost < 4 || cost > 31)
        return "has a bcrypt hash whose cost is not between 04 and 31";
    for (size_t i = BCRYPT_LEN - BCRYPT_TAIL; i < n; i++)
        if (!bcrypt_char((unsigned char)h[i]))
            return "has a bcrypt hash with a character outside ./A-Za-z0-9";
    return NULL;
}

/* Why the n bytes at u may not be a user name, or NULL. */
static const char *user_problem(const char *u, size_t n)
{
    if (n == 0)
        return "has an empty user name";
    if (n > WH_HTPASSWD_MAX_USER)
        return "has a user name over 255 bytes";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)u[i];
        if (c < 0x20 || c == 0x7F)
            return "has a control character in the user name";
    }
    return NULL;
}

/* The user name for a message: quoted, escaped and cut short. */
static const char *quote_user(const char *u, size_t n, char q[WH_QUOTE_MAX])
{
    char tmp[WH_QUOTE_MAX + 1];
    if (n > WH_QUOTE_MAX)
        n = WH_QUOTE_MAX;
    memcpy(tmp, u, n);
    tmp[n] = '\0';
    return wh_str_quote(tmp, q);
}

static int by_name(const void *a, const void *b)
{
    const htuser *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Sorts the users and refuses a name listed twice, naming the earliest line
 * that repeats a name, as a reader going down the file would find it. */
static int sort_users(wh_htpasswd *h, const char *src, wh_err *err)
{
    if (h->n > 1)
        qsort(h->users, h->n, sizeof *h->users, by_name);
    const htuser *dup = NULL, *first = NULL;
    for (size_t i = 1; i < h->n; i++)
        if (strcmp(h->users[i - 1].name, h->users[i].name) == 0 &&
            (!dup || h->users[i].line < dup->line)) {
            dup = &h->users[i];
            first = &h->users[i - 1];
        }
    if (!dup)
        return 0;
    char q[WH_QUOTE_MAX];
    return wh_err_set(err, WH_EINVAL,
                      "%s:%zu: user %s is listed twice (first on line %zu); "
                      "each user may appear once",
                      src, dup->line, wh_str_quote(dup->name, q), first->line);
}

/* The dummy hash: the first user's kind and cost, a fixed salt. */
static void make_dummy(wh_htpasswd *h, const char *first_hash)
{
    const char *kind = first_hash ? first_hash : "$2y$05$";
    snprintf(h->dummy, sizeof h->dummy, "%.7sWharfUnknownUserSalt.u%s", kind,
             "...............................");
}

/* Adds one `user:hash` line (from p, n bytes, line ends already cut). */
static int add_line(wh_htpasswd *h, size_t *cap, const char *p, size_t n,
                    size_t line, const char *src, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    if (memchr(p, '\0', n))
        return wh_err_set(err, WH_EINVAL, "%s:%zu: the line holds a NUL byte",
                          src, line);
    const char *colon = memchr(p, ':', n);
    if (!colon)
        return wh_err_set(err, WH_EINVAL,
                          "%s:%zu: expected USER:HASH, found no ':'; %s", src,
                          line, ONLY_BCRYPT);
    size_t ulen = (size_t)(colon - p);
    const char *hash = colon + 1;
    size_t hlen = n - ulen - 1;
    const char *why = user_problem(p, ulen);
    if (why)
        return wh_err_set(err, WH_EINVAL,
                          "%s:%zu: the line %s; a user name is 1 to 255 bytes "
                          "without ':' or control characters",
                          src, line, why);
    if ((why = bcrypt_problem(hash, hlen)))
        return wh_err_set(err, WH_EINVAL, "%s:%zu: user %s %s; %s", src, line,
                          quote_user(p, ulen, q), why, ONLY_BCRYPT);
    if (h->n == WH_HTPASSWD_MAX_USERS)
        return wh_err_set(err, WH_ETOOBIG, "%s:%zu: more than %d users", src,
                          line, WH_HTPASSWD_MAX_USERS);
    if (h->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        if (ncap > WH_HTPASSWD_MAX_USERS)
            ncap = WH_HTPASSWD_MAX_USERS;
        htuser *nu = realloc(h->users, ncap * sizeof *nu);
        if (!nu)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        h->users = nu;
        *cap = ncap;
    }
    htuser *u = &h->users[h->n];
    u->name = wh_arena_strndup(&h->names, p, ulen);
    if (!u->name)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    u->line = line;
    memcpy(u->hash, hash, BCRYPT_LEN);
    u->hash[BCRYPT_LEN] = '\0';
    if (h->n == 0)
        make_dummy(h, u->hash);
    h->n++;
    return 0;
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t')
            return false;
    return true;
}

int wh_htpasswd_parse(const char *buf, size_t len, const char *source,
                      wh_htpasswd **out, wh_err *err)
{
    int rc = 0;
    const char *src = source ? source : "htpasswd";
    size_t cap = 0, line = 0;
    *out = NULL;
    if (len > WH_HTPASSWD_MAX_BYTES)
        return wh_err_set(err, WH_ETOOBIG, "%s: %zu bytes, over the %d allowed",
                          src, len, WH_HTPASSWD_MAX_BYTES);
    if (!buf && len)
        return wh_err_set(err, WH_EINVAL, "%s: no data", src);
    wh_htpasswd *h = calloc(1, sizeof *h);
    if (!h)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    wh_arena_init(&h->names, 0);
    make_dummy(h, NULL);
    const char *p = buf, *end = buf ? buf + len : buf;
    /* Editors on some systems start a UTF-8 file with a byte-order mark. */
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        /* A CR before the LF (files edited on Windows) and trailing blanks
         * are never part of a bcrypt hash. */
        while (le > p && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
            le--;
        size_t n = (size_t)(le - p);
        if (!blank(p, n) && p[0] != '#' &&
            (rc = add_line(h, &cap, p, n, line, src, err)))
            goto done;
        p = next;
    }
    if ((rc = sort_users(h, src, err)))
        goto done;
    *out = h;
    h = NULL;
done:
    wh_htpasswd_free(h);
    return rc;
}

int wh_htpasswd_load(const char *path, wh_htpasswd **out, wh_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = wh_file_read(path, WH_HTPASSWD_MAX_BYTES, 0, &buf, &len, err);
    if (rc)
        return rc;
    rc = wh_htpasswd_parse(buf, len, path, out, err);
    OPENSSL_cleanse(buf, len);
    free(buf);
    return rc;
}

static int find_user(const void *key, const void *elem)
{
    return strcmp(key, ((const htuser *)elem)->name);
}

/*
 * Everything that does not depend on whether the user exists is decided
 * before hashing; from there on a known and an unknown user take the same
 * path through bcrypt, and only the final comparison differs.
 */
bool wh_htpasswd_check(const wh_htpasswd *h, const char *user,
                       const char *password)
{
    if (!h || !user || !password)
        return false;
    size_t plen = strnlen(password, WH_HTPASSWD_MAX_PASSWORD + 1);
    size_t ulen = strnlen(user, WH_HTPASSWD_MAX_USER + 1);
    if (plen == 0 || plen > WH_HTPASSWD_MAX_PASSWORD || ulen == 0 ||
        ulen > WH_HTPASSWD_MAX_USER)
        return false;
    const htuser *u = h->n ? bsearch(user, h->users, h->n, sizeof *h->users,
                                     find_user)
                           : NULL;
    const char *hash = u ? u->hash : h->dummy;
    /* Far too big for a thread's stack (32 KiB), and per call so that
     * threads never share one. */
    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (!cd)
        return false;
    const char *got = crypt_rn(password, hash, cd, (int)sizeof *cd);
    bool ok = got && strlen(got) == strlen(hash) &&
              CRYPTO_memcmp(got, hash, strlen(hash)) == 0 && u != NULL;
    OPENSSL_cleanse(cd, sizeof *cd);
    free(cd);
    return ok;
}

size_t wh_htpasswd_count(const wh_htpasswd *h)
{
    return h ? h->n : 0;
}

void wh_htpasswd_free(wh_htpasswd *h)
{
    if (!h)
        return;
    if (h->users)
        OPENSSL_cleanse(h->users, h->n * sizeof *h->users);
    free(h->users);
    wh_arena_free(&h->names);
    free(h);
}
