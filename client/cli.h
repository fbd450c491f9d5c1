/*
 * cli.h - what every `wharf` command shares: the resolved settings, the
 * output mode, the exit statuses, the command table, option parsing and the
 * few file helpers that the commands need beyond schema/.
 *
 * A command is one wh_cli_command (name, one-line summary, usage text, run
 * function) living in its own client/cmd_*.c; main.c lists them in its
 * table, strips the global flags wherever they appear and calls run(),
 * which reads its arguments and then resolves the settings (wh_cli_ready).
 * A run function returns an exit status (WH_EXIT_*), never a WH_E* code:
 * it is the one place where a failure becomes what the user sees, through
 * wh_cli_fail / wh_cli_usage.
 *
 * Ownership: every char * in a wh_cli is malloc'd by wh_cli_config_resolve
 * and freed by wh_cli_config_free; commands only read them.  The flag_*
 * fields are borrowed from argv.  wh_cli_args borrows its argv and options,
 * and the values it hands out point into argv.  wh_cli_dirname returns a
 * malloc'd string (free).  wh_cli_print_json takes over the reference it is
 * given.  wh_cli_safe writes into the caller's buffer.
 */
#ifndef WH_CLI_H
#define WH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "schema/error.h"

/* Exit statuses, SPEC.md section 4. */
enum {
    WH_EXIT_OK = 0,     /* success */
    WH_EXIT_FAIL = 1,   /* a failure the user can act on */
    WH_EXIT_USAGE = 2   /* bad usage: wrong flags or arguments */
};

/* The default server when no flag, environment or config file sets one. */
#define WH_CLI_DEFAULT_SERVER "http://127.0.0.1:8080/v1"

/* Config files are small; anything bigger is a mistake, not a config. */
#define WH_CLI_CONFIG_MAX (64 * 1024)

typedef struct wh_cli {
    /* Global flags as given on the command line; NULL when absent. */
    const char *flag_server;
    const char *flag_token;
    const char *flag_keys;
    bool json;      /* --json: one JSON document on stdout, nothing else */
    bool quiet;     /* --quiet: no notes on stderr, only the essential output */

    /* Resolved by wh_cli_config_resolve: flag, then env, then config file,
     * then the default.  `token` is NULL when nothing sets one. */
    char *server;
    char *token;
    char *config_dir;     /* $XDG_CONFIG_HOME/wharf */
    char *config_path;    /* config_dir/config.toml (may not exist) */
    char *keys_path;      /* the secret-key file */
    char *keyring_path;   /* config_dir/keyring.toml: the trusted keys */
    /* Where server and keys_path came from ("--keys", "WHARF_KEYS",
     * "config file", "default"): static strings, for messages. */
    const char *server_source;
    const char *keys_source;
    /* The config file's [registries."HOST:PORT"] tables (credentials of
     * the registries `wharf mirror` reads from); NULL when none. */
    json_t *registries;
} wh_cli;

/*
 * Fills the resolved fields of cli from its flags, the environment
 * (WHARF_URL, WHARF_TOKEN, WHARF_KEYS) and the config file.  The config
 * file is optional; when present it may hold only `server`, `token` and
 * `keys` (strings; a relative `keys` is taken from the config directory)
 * and `registries` (tables of `username`, `password`, `token` per upstream
 * registry), and one that holds a token or a password is refused when
 * group or others may read or write it.  Every message about the file
 * names it.
 */
int wh_cli_config_resolve(wh_cli *cli, wh_err *err);

/*
 * What a command calls once its arguments are read and before it needs a
 * setting: resolves them (once; later calls do nothing) and returns
 * WH_EXIT_OK, or prints why it could not and returns WH_EXIT_FAIL.  Done
 * here rather than in main so that --help and usage errors never depend on
 * a readable config file.
 */
int wh_cli_ready(wh_cli *cli);

/* Frees what wh_cli_config_resolve allocated; safe on a zeroed wh_cli and
 * when called twice. */
void wh_cli_config_free(wh_cli *cli);

/* The credentials the config file gives for registry `host` (HOST[:PORT]
 * as in oci://HOST[:PORT]/...): each NULL when not set, else borrowed from
 * cli until wh_cli_config_free.  username and password come together. */
void wh_cli_registry_creds(const wh_cli *cli, const char *host, const char **username,
                           const char **password, const char **token);

/* ---- commands ---- */

typedef struct wh_cli_command {
    const char *name;
    const char *summary;   /* one line, for `wharf help` */
    const char *usage;     /* the whole text, for `wharf help NAME` */
    /* argv[0] is the command's name; global flags are already removed.
     * Must answer -h / --help with its usage on stdout and status 0. */
    int (*run)(wh_cli *cli, int argc, char **argv);
} wh_cli_command;

extern const wh_cli_command wh_cmd_keys;
extern const wh_cli_command wh_cmd_sign;
extern const wh_cli_command wh_cmd_verify;
extern const wh_cli_command wh_cmd_push;
extern const wh_cli_command wh_cmd_pull;
extern const wh_cli_command wh_cmd_info;
extern const wh_cli_command wh_cmd_search;
extern const wh_cli_command wh_cmd_yank;
extern const wh_cli_command wh_cmd_export;
extern const wh_cli_command wh_cmd_import;
extern const wh_cli_command wh_cmd_mirror;
/* `_fetch` and `_send`: hidden commands (not in `wharf help`) that tests drive the
 * transfer layer with. */
extern const wh_cli_command wh_cmd_fetch_parcels;
extern const wh_cli_command wh_cmd_send_parcels;

/* ---- option parsing ---- */

typedef struct wh_cli_opt {
    const char *name;    /* long name without "--"; NULL ends a table */
    char short_name;     /* 'o' for -o; 0 when none */
    bool has_value;      /* takes a value: --name V, --name=V, -o V */
} wh_cli_opt;

/* What wh_cli_args_next found when it is not an option of the table. */
enum {
    WH_ARG_END = -1,         /* no arguments left */
    WH_ARG_POSITIONAL = -2,  /* an operand, in *value */
    WH_ARG_HELP = -3         /* -h or --help */
};

typedef struct wh_cli_args {
    int argc;
    char **argv;
    int next;
    bool operands_only;      /* after "--" */
    const wh_cli_opt *opts;
} wh_cli_args;

/* Starts at argv[first]. */
void wh_cli_args_init(wh_cli_args *a, int argc, char **argv, int first,
                      const wh_cli_opt *opts);

/*
 * Steps to the next argument: *which gets the index of the option in the
 * table (its value, if any, in *value) or one of WH_ARG_*.  WH_EINVAL for
 * an unknown option, a missing value, or a value given to a flag that takes
 * none; the message names the option.
 */
int wh_cli_args_next(wh_cli_args *a, int *which, const char **value,
                     wh_err *err);

/* Reads the value of --parallel: a whole number from 1 to `max`.
 * WH_EINVAL saying so otherwise. */
int wh_cli_parse_parallel(const char *v, unsigned max, unsigned *out, wh_err *err);

/* Splits a bindle id NAME/VERSION at its last '/' into name (ncap bytes)
 * and *version (pointing into id).  True only when the name is a valid
 * bindle name and the version strict SemVer. */
bool wh_cli_split_id(const char *id, char *name, size_t ncap, const char **version);

/* ---- output ---- */

/* Prints "wharf: MESSAGE; HINT" on stderr and returns WH_EXIT_FAIL.  The
 * message says what happened, the hint what to do about it. */
int wh_cli_fail(const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The same for a wh_err: its message, then the hint. */
int wh_cli_fail_err(const wh_err *err, const char *hint);

/* Prints "wharf: MESSAGE; see `wharf help COMMAND`" on stderr and returns
 * WH_EXIT_USAGE.  `command` may be NULL, or hold a space ("keys add"). */
int wh_cli_usage(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A note for the user on stderr ("wharf: ..."), unless --quiet. */
void wh_cli_note(const wh_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints `doc` on stdout (indented, one trailing newline) and drops the
 * reference.  WH_ENOMEM when it cannot be serialised (also for NULL, which
 * is what a failed json_pack gives). */
int wh_cli_print_json(json_t *doc, wh_err *err);

/* Copies s into buf for printing on a terminal: control characters become
 * '?', and a string longer than the buffer is cut.  Returns buf. */
const char *wh_cli_safe(const char *s, char *buf, size_t cap);

/* ---- files ---- */

/* Creates `dir` and any missing parents with mode 0700; directories that
 * already exist are left as they are. */
int wh_cli_mkdirs(const char *dir, wh_err *err);

/* The directory part of path ("." when it has none), malloc'd. */
int wh_cli_dirname(const char *path, char **out, wh_err *err);

/*
 * Replaces (or creates) `path` with `len` bytes atomically: a temporary
 * file beside it, written, fsynced and renamed over it, then the directory
 * fsynced.  An existing file keeps its mode; a new one gets `mode` less the
 * umask.  Readers see the old content or the new, never a mix.
 */
int wh_cli_write_atomic(const char *path, const char *buf, size_t len,
                        mode_t mode, wh_err *err);

#endif
