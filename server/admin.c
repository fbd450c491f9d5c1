/*
 * admin.c - wharfd's operator commands (see admin.h): API tokens, the
 * keys bound to bindle names, and the mirror job.
 *
 * A token is printed once, on stdout alone, so that a script can capture
 * it (`TOKEN=$(wharfd token create ...)`); what the operator should know
 * about it goes to stderr.
 *
 * `wharfd mirror` is `wharf mirror` run on the server's behalf: the wharf
 * program installed beside wharfd, with a proxy key, a config directory
 * and a cache of the server's own under the data directory, against this
 * server, once or every N seconds until SIGTERM.
 */
#include "admin.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "schema/base64.h"
#include "schema/keys.h"
#include "scope.h"
#include "storage/meta.h"
#include "token.h"

#define MAX_ARGS 64

typedef struct cmd {
    const char *group, *verb;
    const char *pos[4];          /* positional arguments after the verb */
    int npos;
    const char *scopes, *description, *expires, *label;
    wh_config cfg;
    wh_meta *meta;
} cmd;

bool wh_admin_is_command(int argc, char **argv)
{
    return argc > 1 && (strcmp(argv[1], "token") == 0 || strcmp(argv[1], "keys") == 0 ||
                        strcmp(argv[1], "mirror") == 0);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: wharfd token create --scopes SCOPES [--description TEXT] [--expires DURATION]\n"
            "       wharfd token list\n"
            "       wharfd token revoke ID\n"
            "       wharfd keys list [NAME]\n"
            "       wharfd keys add NAME KEY|KEYRING_FILE [--label LABEL]\n"
            "       wharfd keys remove NAME KEY\n"
            "       wharfd mirror oci://HOST/REPO[:TAG] --to NAME [--every SECONDS] (see --help)\n"
            "  plus any server option that says where the data is (--data DIR, --config FILE).\n"
            "  SCOPES: ACTION:PATTERN, blank- or comma-separated; ACTION is read, push, yank or *;\n"
            "  PATTERN is a bindle name, a prefix ending in * (example.com/*), or *.\n"
            "  DURATION: a number with s, m, h or d (90d), or never.\n");
    return 2;
}

/* Splits argv into this command's own parts and the server options, which
 * go to wh_config_load as the server would read them. */
static int parse_args(cmd *c, int argc, char **argv)
{
    char *rest[MAX_ARGS];
    int nrest = 0;
    rest[nrest++] = argv[0];
    c->group = argv[1];
    if (argc < 3)
        return usage();
    c->verb = argv[2];
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char **own = NULL;
        if (strcmp(a, "--scopes") == 0)
            own = &c->scopes;
        else if (strcmp(a, "--description") == 0)
            own = &c->description;
        else if (strcmp(a, "--expires") == 0)
            own = &c->expires;
        else if (strcmp(a, "--label") == 0)
            own = &c->label;
        if (own) {
            if (i + 1 >= argc) {
                fprintf(stderr, "wharfd: %s needs a value\n", a);
                return 2;
            }
            *own = argv[++i];
        } else if (strncmp(a, "--", 2) == 0) {
            if (nrest + 2 >= MAX_ARGS)
                return usage();
            rest[nrest++] = argv[i];
            if (!strchr(a, '=') && i + 1 < argc)
                rest[nrest++] = argv[++i];
        } else {
            if (c->npos == 4)
                return usage();
            c->pos[c->npos++] = a;
        }
    }
    bool help = false;
    wh_err e;
    if (wh_config_load(&c->cfg, nrest, rest, &help, &e) != 0) {
        fprintf(stderr, "wharfd: %s\n", e.msg);
        return 2;
    }
    return help ? usage() : 0;
}

static int open_meta(cmd *c)
{
    char path[4096];
    wh_err e;
    if (mkdir(c->cfg.data, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "wharfd: cannot create data directory %s: %s\n", c->cfg.data,
                strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/wharf.db", c->cfg.data);
    if (wh_meta_open_sqlite(path, 1, &c->meta, &e) != 0) {
        fprintf(stderr, "wharfd: %s\n", e.msg);
        return 1;
    }
    return 0;
}

static int fail(const wh_err *e)
{
    fprintf(stderr, "wharfd: %s\n", e->msg);
    return 1;
}

/* "90d", "12h", "30m", "45s" -> seconds; "never" -> 0. */
static int parse_duration(const char *s, int64_t *out)
{
    if (strcmp(s, "never") == 0) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || v <= 0 || !isdigit((unsigned char)*s) || end[0] == '\0' || end[1] != '\0')
        return -1;
    long long mul = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600
                  : end[0] == 'd' ? 86400 : 0;
    if (!mul || v > (long long)(INT32_MAX) * 10 / mul)
        return -1;
    *out = (int64_t)(v * mul);
    return 0;
}

static void format_time(int64_t t, char *buf, size_t cap)
{
    if (!t) {
        snprintf(buf, cap, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int token_create(cmd *c)
{
    if (!c->scopes || c->npos) {
        fprintf(stderr, "wharfd: token create needs --scopes (e.g. --scopes 'push:example.com/*')\n");
        return 2;
    }
    wh_err e;
    wh_scopes *sc = NULL;
    if (wh_scopes_parse(c->scopes, &sc, &e) != 0) {
        fprintf(stderr, "wharfd: --scopes: %s\n", e.msg);
        return 2;
    }
    char canon[WH_SCOPES_MAX_TEXT + 1];
    int rc = wh_scopes_format(sc, canon, sizeof canon, &e);
    wh_scopes_free(sc);
    if (rc) {
        fprintf(stderr, "wharfd: --scopes: %s\n", e.msg);
        return 2;
    }
    int64_t ttl = 0;
    if (c->expires && parse_duration(c->expires, &ttl) != 0) {
        fprintf(stderr, "wharfd: --expires \"%s\": expected a number with s, m, h or d "
                        "(e.g. 90d), or never\n", c->expires);
        return 2;
    }
    if (c->description && strlen(c->description) > 1024) {
        fprintf(stderr, "wharfd: --description is over 1024 bytes\n");
        return 2;
    }
    if (open_meta(c))
        return 1;
    char token[WH_TOKEN_MAX];
    wh_token_rec t;
    memset(&t, 0, sizeof t);
    t.description = (char *)(c->description ? c->description : "");
    t.scopes = canon;
    t.created_at = (int64_t)time(NULL);
    t.expires_at = ttl ? t.created_at + ttl : 0;
    if (wh_token_generate(token, t.id, t.secret_hash, &e) != 0 ||
        wh_meta_token_add(c->meta, &t, &e) != 0) {
        OPENSSL_cleanse(token, sizeof token);
        return fail(&e);
    }
    printf("%s\n", token);
    fflush(stdout);
    OPENSSL_cleanse(token, sizeof token);
    char exp[32];
    format_time(t.expires_at, exp, sizeof exp);
    fprintf(stderr, "wharfd: created token %s with scopes \"%s\", expires %s.\n"
                    "wharfd: it is shown only this once; wharfd keeps only its hash.\n",
            t.id, canon, t.expires_at ? exp : "never");
    return 0;
}

static int token_list(cmd *c)
{
    if (c->npos)
        return usage();
    wh_err e;
    wh_token_rec *v = NULL;
    size_t n = 0;
    if (open_meta(c) || wh_meta_token_list(c->meta, &v, &n, &e) != 0)
        return c->meta ? fail(&e) : 1;
    time_t now = time(NULL);
    printf("%-16s  %-20s  %-20s  %-8s  %s\n", "ID", "CREATED", "EXPIRES", "STATE",
           "SCOPES / DESCRIPTION");
    for (size_t i = 0; i < n; i++) {
        char cr[32], ex[32];
        format_time(v[i].created_at, cr, sizeof cr);
        format_time(v[i].expires_at, ex, sizeof ex);
        const char *state = v[i].revoked_at ? "revoked"
                          : v[i].expires_at && v[i].expires_at <= (int64_t)now ? "expired"
                          : "active";
        printf("%-16s  %-20s  %-20s  %-8s  %s%s%s\n", v[i].id, cr, ex, state, v[i].scopes,
               *v[i].description ? " / " : "", v[i].description);
    }
    wh_token_recs_free(v, n);
    return 0;
}

static int token_revoke(cmd *c)
{
    if (c->npos != 1)
        return usage();
    wh_err e;
    if (open_meta(c))
        return 1;
    int rc = wh_meta_token_revoke(c->meta, c->pos[0], (int64_t)time(NULL), &e);
    if (rc < 0)
        return fail(&e);
    fprintf(stderr, "wharfd: token %s %s\n", c->pos[0], rc ? "revoked" : "was already revoked");
    return 0;
}

/* KEY as base64, or every key of a keyring file. */
static int read_keys(const char *arg, wh_keyring **out, wh_err *e)
{
    unsigned char key[WH_ED25519_PUBLIC_LEN];
    wh_err ignore;
    if (strlen(arg) == WH_PUBLIC_B64_LEN &&
        wh_key_decode(arg, key, sizeof key, "key", &ignore) == 0) {
        *out = wh_keyring_new();
        if (!*out)
            return wh_err_set(e, WH_ENOMEM, "out of memory");
        return wh_keyring_add(*out, "operator", WH_ROLE_CREATOR, key, NULL, e);
    }
    int rc = wh_keyring_load(arg, NULL, out, e);
    if (rc == WH_ENOTFOUND)
        return wh_err_set(e, WH_EINVAL, "\"%s\" is neither a base64 Ed25519 public key "
                          "(44 characters) nor a keyring file", arg);
    return rc;
}

static int keys_list(cmd *c)
{
    if (c->npos > 1)
        return usage();
    wh_err e;
    wh_ns_key *v = NULL;
    size_t n = 0;
    if (c->npos == 1 && wh_name_validate(c->pos[0], &e) != 0)
        return fail(&e);
    if (open_meta(c) || wh_meta_ns_keys(c->meta, c->npos ? c->pos[0] : NULL, &v, &n, &e) != 0)
        return c->meta ? fail(&e) : 1;
    for (size_t i = 0; i < n; i++) {
        char b64[WH_PUBLIC_B64_LEN + 1], at[32];
        wh_base64_encode(v[i].key, WH_ED25519_PUBLIC_LEN, b64);
        format_time(v[i].added_at, at, sizeof at);
        printf("%s  %s  %s  (%s, %s)\n", v[i].name, b64, v[i].label, v[i].added_by, at);
    }
    if (!n)
        fprintf(stderr, "wharfd: no keys bound%s%s\n", c->npos ? " to " : "",
                c->npos ? c->pos[0] : "");
    wh_ns_keys_free(v, n);
    return 0;
}

static int keys_add_remove(cmd *c, bool add)
{
    if (c->npos != 2)
        return usage();
    wh_err e;
    wh_keyring *kr = NULL;
    int status = 1;
    if (wh_name_validate(c->pos[0], &e) != 0 || read_keys(c->pos[1], &kr, &e) != 0) {
        fprintf(stderr, "wharfd: %s\n", e.msg);
        goto done;
    }
    if (open_meta(c))
        goto done;
    status = 0;
    for (size_t i = 0; i < kr->n; i++) {
        char b64[WH_PUBLIC_B64_LEN + 1];
        wh_base64_encode(kr->keys[i].key, WH_ED25519_PUBLIC_LEN, b64);
        int rc;
        if (add) {
            wh_ns_key k = {
                .name = (char *)c->pos[0],
                .label = (char *)(c->label ? c->label : kr->keys[i].label),
                .added_at = (int64_t)time(NULL),
                .added_by = (char *)"operator",
            };
            memcpy(k.key, kr->keys[i].key, sizeof k.key);
            rc = wh_meta_ns_key_add(c->meta, &k, &e);
        } else {
            rc = wh_meta_ns_key_remove(c->meta, c->pos[0], kr->keys[i].key, &e);
        }
        if (rc) {
            fprintf(stderr, "wharfd: %s: %s\n", b64, e.msg);
            status = 1;
        } else {
            fprintf(stderr, "wharfd: %s %s %s\n", add ? "bound" : "unbound", b64, c->pos[0]);
        }
    }
done:
    wh_keyring_free(kr);
    return status;
}

/* ---- wharfd mirror ---- */

#define MIRROR_USAGE                                                                    \
    "usage: wharfd mirror oci://HOST[:PORT]/REPO[:TAG] --to NAME [--every SECONDS]\n"   \
    "                     [--server URL] [--token TOKEN] [--src-creds USER:PASS]\n"      \
    "                     [--plain-http] [--parallel N] [--data DIR] [--config FILE]\n"  \
    "  Mirrors an OCI repository (every tag, or TAG) into this server: runs\n"          \
    "  `wharf mirror` (the wharf program beside wharfd) with the server's own\n"        \
    "  proxy key, config and cache under DATA/mirror-keys (0700; created with\n"        \
    "  its key on the first run: the key's public half is logged, bind it or\n"         \
    "  add it to --keyring where names are not claimed on first use) and\n"             \
    "  DATA/mirror-cache.  Upstream credentials: --src-creds, else\n"                   \
    "  WHARF_MIRROR_CREDS, else DATA/mirror-keys/wharf/config.toml\n"                  \
    "  ([registries.\"HOST:PORT\"] username, password or token).\n"                     \
    "  --server is this server's Bindle API (default: http(s)://--listen/v1,\n"         \
    "  with 127.0.0.1 for a wildcard address); --token (or WHARF_TOKEN) a token\n"      \
    "  with push scope for NAME, unless --auth none.  Without --every, runs once\n"     \
    "  and exits with wharf's status; with it, runs every SECONDS until SIGTERM\n"      \
    "  or SIGINT, logging each run's lines and exit status, and exits 0.\n"

#define MIRROR_EVERY_MAX (366L * 86400)

static volatile sig_atomic_t mirror_stop;

static void on_stop(int sig)
{
    (void)sig;
    mirror_stop = 1;
}

typedef struct mirror_job {
    const char *src, *to, *every, *server, *token, *creds, *parallel;
    bool plain;
    char wharf[PATH_MAX];
    char url[512];
} mirror_job;

/* The wharf program beside this wharfd. */
static int find_wharf(mirror_job *j)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "wharfd: cannot find where wharfd is installed: %s\n", strerror(errno));
        return 1;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    if ((size_t)snprintf(j->wharf, sizeof j->wharf, "%s/wharf", self) >= sizeof j->wharf ||
        access(j->wharf, X_OK) != 0) {
        fprintf(stderr, "wharfd: no wharf program beside wharfd (looked for %s/wharf); install "
                        "both from the same build\n", self);
        return 1;
    }
    return 0;
}

/* http(s)://HOST:PORT/v1 of the --listen address, a wildcard host read as
 * the loopback one. */
static int default_url(const wh_config *cfg, mirror_job *j)
{
    const char *colon = strrchr(cfg->listen, ':');
    if (!colon || strcmp(colon + 1, "0") == 0 || !colon[1]) {
        fprintf(stderr, "wharfd: --listen %s has no fixed port: give the server's URL with "
                        "--server\n", cfg->listen);
        return 2;
    }
    int hl = (int)(colon - cfg->listen);
    const char *host = cfg->listen;
    if (hl == 0 || (hl == 7 && strncmp(host, "0.0.0.0", 7) == 0)) {
        host = "127.0.0.1";
        hl = 9;
    } else if ((hl == 4 && strncmp(host, "[::]", 4) == 0) ||
               (hl == 2 && strncmp(host, "::", 2) == 0)) {
        host = "[::1]";
        hl = 5;
    }
    snprintf(j->url, sizeof j->url, "%s://%.*s:%s/v1", cfg->tls_cert ? "https" : "http", hl,
             host, colon + 1);
    return 0;
}

/* The job's directories and the environment every run of wharf gets. */
static int mirror_env(const wh_config *cfg, const mirror_job *j)
{
    char keys[PATH_MAX], cache[PATH_MAX], file[PATH_MAX + 32];
    snprintf(keys, sizeof keys, "%s/mirror-keys", cfg->data);
    snprintf(cache, sizeof cache, "%s/mirror-cache", cfg->data);
    snprintf(file, sizeof file, "%s/secret_keys.toml", keys);
    struct stat st;
    if ((mkdir(cfg->data, 0755) != 0 && errno != EEXIST) ||
        (mkdir(keys, 0700) != 0 && errno != EEXIST) ||
        (mkdir(cache, 0700) != 0 && errno != EEXIST)) {
        fprintf(stderr, "wharfd: cannot create %s: %s\n", keys, strerror(errno));
        return 1;
    }
    if (stat(keys, &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 077)) {
        fprintf(stderr, "wharfd: %s must be a directory only its owner may use (chmod 700 %s)\n",
                keys, keys);
        return 1;
    }
    unsetenv("WHARF_URL");
    if (setenv("WHARF_KEYS", file, 1) || setenv("XDG_CONFIG_HOME", keys, 1) ||
        setenv("XDG_CACHE_HOME", cache, 1) ||
        (j->token && setenv("WHARF_TOKEN", j->token, 1)) ||
        (j->creds && setenv("WHARF_MIRROR_CREDS", j->creds, 1))) {
        fprintf(stderr, "wharfd: cannot set the environment: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

static void log_line(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_line(const char *level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "wharfd: %s: mirror: %s\n", level, msg);
    fflush(stderr);
}

/* Runs wharf once; its stdout is logged line by line, its stderr passes
 * through.  Returns its exit status (1 when it could not run or was
 * killed). */
static int mirror_once(const mirror_job *j, unsigned long run)
{
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)j->wharf;
    argv[n++] = "--server";
    argv[n++] = (char *)j->url;
    argv[n++] = "mirror";
    argv[n++] = (char *)j->src;
    argv[n++] = "--to";
    argv[n++] = (char *)j->to;
    /* The key the first run creates, and every later run signs with. */
    argv[n++] = "--label";
    argv[n++] = "wharfd mirror";
    if (j->plain)
        argv[n++] = "--plain-http";
    if (j->parallel) {
        argv[n++] = "--parallel";
        argv[n++] = (char *)j->parallel;
    }
    argv[n] = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        log_line("error", "cannot make a pipe: %s", strerror(errno));
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        execv(j->wharf, argv);
        fprintf(stderr, "wharfd: cannot run %s: %s\n", j->wharf, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        log_line("error", "cannot start wharf: %s", strerror(errno));
        return 1;
    }
    log_line("info", "run %lu: %s -> %s", run, j->src, j->to);
    FILE *out = fdopen(fds[0], "r");
    char line[4096];
    bool killed = false;
    while (out) {
        if (fgets(line, sizeof line, out)) {
            line[strcspn(line, "\n")] = '\0';
            log_line("info", "%s", line);
            continue;
        }
        if (ferror(out) && errno == EINTR && !killed) {
            clearerr(out);
            if (mirror_stop) {
                kill(pid, SIGTERM);
                killed = true;
            }
            continue;
        }
        break;
    }
    if (out)
        fclose(out);
    else
        close(fds[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
        if (mirror_stop && !killed) {
            kill(pid, SIGTERM);
            killed = true;
        }
    }
    int status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 1;
    if (WIFSIGNALED(ws))
        log_line("warn", "run %lu: wharf was stopped by signal %d", run, WTERMSIG(ws));
    else
        log_line(status ? "warn" : "info", "run %lu: exit status %d", run, status);
    return status;
}

static int mirror_main(int argc, char **argv)
{
    mirror_job j;
    memset(&j, 0, sizeof j);
    char *rest[MAX_ARGS];
    int nrest = 0, status = 2;
    rest[nrest++] = argv[0];
    wh_config cfg;
    memset(&cfg, 0, sizeof cfg);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **own = strcmp(a, "--to") == 0 ? &j.to
                         : strcmp(a, "--every") == 0 ? &j.every
                         : strcmp(a, "--server") == 0 ? &j.server
                         : strcmp(a, "--token") == 0 ? &j.token
                         : strcmp(a, "--src-creds") == 0 ? &j.creds
                         : strcmp(a, "--parallel") == 0 ? &j.parallel : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(MIRROR_USAGE, stdout);
            return 0;
        } else if (strcmp(a, "--plain-http") == 0) {
            j.plain = true;
        } else if (own) {
            if (i + 1 >= argc || !argv[i + 1][0]) {
                fprintf(stderr, "wharfd: %s needs a value\n", a);
                return 2;
            }
            *own = argv[++i];
        } else if (strncmp(a, "--", 2) == 0) {
            if (nrest + 2 >= MAX_ARGS) {
                fputs(MIRROR_USAGE, stderr);
                return 2;
            }
            rest[nrest++] = argv[i];
            if (!strchr(a, '=') && i + 1 < argc)
                rest[nrest++] = argv[++i];
        } else if (!j.src) {
            j.src = a;
        } else {
            fprintf(stderr, "wharfd: mirror takes one source\n");
            return 2;
        }
    }
    if (!j.src || !j.to) {
        fputs(MIRROR_USAGE, stderr);
        return 2;
    }
    long every = 0;
    if (j.every) {
        char *end;
        errno = 0;
        every = strtol(j.every, &end, 10);
        if (errno || *end || every < 1 || every > MIRROR_EVERY_MAX) {
            fprintf(stderr, "wharfd: --every \"%s\": expected seconds, from 1 to %ld\n", j.every,
                    MIRROR_EVERY_MAX);
            return 2;
        }
    }
    if (!j.token)
        j.token = getenv("WHARF_TOKEN");
    bool help = false;
    wh_err e;
    if (wh_config_load(&cfg, nrest, rest, &help, &e) != 0) {
        fprintf(stderr, "wharfd: %s\n", e.msg);
        goto done;
    }
    if (j.server)
        snprintf(j.url, sizeof j.url, "%s", j.server);
    else if ((status = default_url(&cfg, &j)))
        goto done;
    status = 1;
    if (find_wharf(&j) || mirror_env(&cfg, &j))
        goto done;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    for (unsigned long run = 1; !mirror_stop; run++) {
        status = mirror_once(&j, run);
        if (!every)
            break;
        status = 0;
        struct timespec left = {.tv_sec = every, .tv_nsec = 0};
        while (!mirror_stop && nanosleep(&left, &left) != 0 && errno == EINTR)
            ;
    }
    if (every)
        log_line("info", "stopped");
done:
    wh_config_free(&cfg);
    return status;
}

int wh_admin_main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "mirror") == 0)
        return mirror_main(argc, argv);
    cmd c;
    memset(&c, 0, sizeof c);
    int status = parse_args(&c, argc, argv);
    if (status)
        goto done;
    bool token = strcmp(c.group, "token") == 0;
    if (token && strcmp(c.verb, "create") == 0)
        status = token_create(&c);
    else if (token && strcmp(c.verb, "list") == 0)
        status = token_list(&c);
    else if (token && strcmp(c.verb, "revoke") == 0)
        status = token_revoke(&c);
    else if (!token && strcmp(c.verb, "list") == 0)
        status = keys_list(&c);
    else if (!token && strcmp(c.verb, "add") == 0)
        status = keys_add_remove(&c, true);
    else if (!token && strcmp(c.verb, "remove") == 0)
        status = keys_add_remove(&c, false);
    else
        status = usage();
done:
    wh_meta_close(c.meta);
    wh_config_free(&c.cfg);
    return status;
}
