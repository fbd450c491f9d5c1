/*
 * config.c - where wharf's settings come from (cli.h): a flag, else the
 * environment, else $XDG_CONFIG_HOME/wharf/config.toml, else the default.
 *
 * The config file is parsed with the project's TOML bridge and may hold
 * only the settings listed in `settings` below: a typo ("sever = ...")
 * would otherwise be silently ignored and leave the user talking to the
 * wrong server.  Because it may hold a token, it is read the way secret
 * keys are: a file with a token that group or others can read is refused.
 */
#include "cli.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema/file.h"
#include "schema/toml.h"

#include <openssl/crypto.h>

/* What the config file holds once read; each string borrowed from `root`. */
typedef struct file_settings {
    json_t *root;
    const char *server;
    const char *token;
    const char *keys;
    json_t *registries;   /* borrowed from root; NULL when absent */
    bool secrets;         /* a registry entry holds a password or a token */
} file_settings;

static const char *const settings[] = {"server", "token", "keys", "registries", NULL};

/* The most upstream registries one config file may name. */
#define MAX_REGISTRIES 256

/* A malloc'd "a/b". */
static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + 1 + lb + 1);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    s[la] = '/';
    memcpy(s + la + 1, b, lb + 1);
    return s;
}

/* An environment variable, or NULL when unset or empty: an empty
 * WHARF_URL= is how a shell user unsets it for one command. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

/* $XDG_CONFIG_HOME/wharf; XDG says to ignore a relative XDG_CONFIG_HOME,
 * and to fall back on ~/.config. */
static int config_dir(char **out, wh_err *err)
{
    const char *xdg = env("XDG_CONFIG_HOME");
    char *base = NULL;
    if (xdg && xdg[0] == '/') {
        base = strdup(xdg);
    } else {
        const char *home = env("HOME");
        if (!home) {
            const struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (!home || !home[0])
            return wh_err_set(err, WH_EINVAL,
                              "cannot find the config directory: neither "
                              "XDG_CONFIG_HOME nor HOME is set");
        base = join(home, ".config");
    }
    if (!base)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    *out = join(base, "wharf");
    free(base);
    return *out ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
}

/*
 * Checks the `registries` table: each key a registry ("HOST[:PORT]"), each
 * value a table of non-empty strings `username`, `password` (both or
 * neither) and `token`, nothing else.
 */
static int check_registries(const char *path, json_t *regs, file_settings *fs, wh_err *err)
{
    static const char *const fields[] = {"username", "password", "token", NULL};
    if (!json_is_object(regs))
        return wh_err_set(err, WH_EINVAL, "config file %s: registries must be a table of "
                          "[registries.\"HOST:PORT\"] tables", path);
    if (json_object_size(regs) > MAX_REGISTRIES)
        return wh_err_set(err, WH_EINVAL, "config file %s: more than %d registries", path,
                          MAX_REGISTRIES);
    const char *host, *key;
    json_t *entry, *val;
    json_object_foreach(regs, host, entry) {
        char shown[80], field[40];
        wh_cli_safe(host, shown, sizeof shown);
        if (!host[0] || !json_is_object(entry))
            return wh_err_set(err, WH_EINVAL, "config file %s: registries.\"%s\" must be a "
                              "table with username, password or token", path, shown);
        json_object_foreach(entry, key, val) {
            size_t i = 0;
            while (fields[i] && strcmp(fields[i], key) != 0)
                i++;
            wh_cli_safe(key, field, sizeof field);
            const char *s = json_string_value(val);
            if (!fields[i])
                return wh_err_set(err, WH_EINVAL, "config file %s: registries.\"%s\": unknown "
                                  "setting \"%s\" (it may hold username, password and "
                                  "token)", path, shown, field);
            if (!s || !s[0] || strlen(s) != json_string_length(val))
                return wh_err_set(err, WH_EINVAL, "config file %s: registries.\"%s\".%s must "
                                  "be a non-empty string", path, shown, field);
            if (i > 0)
                fs->secrets = true;
        }
        if (!json_object_get(entry, "username") != !json_object_get(entry, "password"))
            return wh_err_set(err, WH_EINVAL, "config file %s: registries.\"%s\" needs both "
                              "username and password, or neither", path, shown);
    }
    fs->registries = regs;
    return 0;
}

/*
 * Reads the config file if there is one.  It is read as a private file
 * first; only when that fails on the mode is it read again without the
 * check, and then a token in it is refused.  So a token is only ever taken
 * from a descriptor whose mode was checked, whatever happens to the file
 * between the two reads.
 */
static int read_config(const char *path, file_settings *fs, wh_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    bool loose = false;
    wh_err first;
    wh_err_clear(&first);
    int rc = wh_file_read(path, WH_CLI_CONFIG_MAX, WH_FILE_PRIVATE, &buf, &len,
                          &first);
    if (rc == WH_ENOTFOUND)
        return 0;
    if (rc == WH_EINVAL) {
        loose = true;
        rc = wh_file_read(path, WH_CLI_CONFIG_MAX, 0, &buf, &len, err);
    } else if (rc) {
        *err = first;
    }
    if (rc) {
        wh_err_prefix(err, "config file");
        return rc;
    }
    rc = wh_toml_parse(buf, len, &fs->root, err);
    OPENSSL_cleanse(buf, len);
    free(buf);
    if (rc) {
        wh_err_prefix(err, "config file %s", path);
        return rc;
    }
    const char *key;
    json_t *val;
    json_object_foreach(fs->root, key, val) {
        size_t i = 0;
        while (settings[i] && strcmp(settings[i], key) != 0)
            i++;
        char shown[80];
        wh_cli_safe(key, shown, sizeof shown);
        if (!settings[i])
            return wh_err_set(err, WH_EINVAL,
                              "config file %s: unknown setting \"%s\" (it may "
                              "hold server, token, keys and registries)",
                              path, shown);
        if (i == 3) {
            int rc2 = check_registries(path, val, fs, err);
            if (rc2)
                return rc2;
            continue;
        }
        const char *s = json_string_value(val);
        if (!s || !s[0] || strlen(s) != json_string_length(val))
            return wh_err_set(err, WH_EINVAL,
                              "config file %s: %s must be a non-empty string",
                              path, shown);
        if (i == 0)
            fs->server = s;
        else if (i == 1)
            fs->token = s;
        else
            fs->keys = s;
    }
    struct stat st;
    if (loose && (fs->token || fs->secrets))
        return wh_err_set(err, WH_EINVAL,
                          "config file %s holds a token or a password, so it must be "
                          "readable by you alone, but it has mode %04o "
                          "(chmod 600 %s)",
                          path,
                          stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0u,
                          path);
    return 0;
}

/* Picks the first of flag, environment and file that is set. */
static int pick(const char *flag, const char *flag_name, const char *env_name,
                const char *file, const char *dflt, char **out,
                const char **source, wh_err *err)
{
    const char *e = env(env_name);
    const char *v = flag ? flag : e ? e : file ? file : dflt;
    *source = flag ? flag_name : e ? env_name : file ? "config file" : "default";
    if (!v) {
        *out = NULL;
        return 0;
    }
    *out = strdup(v);
    return *out ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
}

int wh_cli_config_resolve(wh_cli *cli, wh_err *err)
{
    file_settings fs = {0};
    const char *src = NULL;
    int rc = config_dir(&cli->config_dir, err);
    if (rc)
        goto done;
    cli->config_path = join(cli->config_dir, "config.toml");
    cli->keyring_path = join(cli->config_dir, "keyring.toml");
    if (!cli->config_path || !cli->keyring_path) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    rc = read_config(cli->config_path, &fs, err);
    if (!rc)
        rc = pick(cli->flag_server, "--server", "WHARF_URL", fs.server,
                  WH_CLI_DEFAULT_SERVER, &cli->server, &cli->server_source, err);
    if (!rc)
        rc = pick(cli->flag_token, "--token", "WHARF_TOKEN", fs.token, NULL,
                  &cli->token, &src, err);
    if (!rc)
        rc = pick(cli->flag_keys, "--keys", "WHARF_KEYS", NULL, NULL,
                  &cli->keys_path, &cli->keys_source, err);
    if (rc || cli->keys_path)
        goto done;
    /* A relative `keys` in the config file means beside the config file,
     * not wherever the user happens to run wharf from. */
    if (fs.keys) {
        cli->keys_path = fs.keys[0] == '/' ? strdup(fs.keys)
                                           : join(cli->config_dir, fs.keys);
        cli->keys_source = "config file";
    } else {
        cli->keys_path = join(cli->config_dir, "secret_keys.toml");
        cli->keys_source = "default";
    }
    if (!cli->keys_path)
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
done:
    if (!rc && fs.registries)
        cli->registries = json_incref(fs.registries);
    json_decref(fs.root);
    if (rc)
        wh_cli_config_free(cli);
    return rc;
}

int wh_cli_ready(wh_cli *cli)
{
    wh_err err;
    wh_err_clear(&err);
    if (cli->config_dir)
        return WH_EXIT_OK;
    if (wh_cli_config_resolve(cli, &err) == 0)
        return WH_EXIT_OK;
    return wh_cli_fail_err(&err, "fix the file, or give the setting with a "
                                 "flag or in the environment (see `wharf help`)");
}

void wh_cli_config_free(wh_cli *cli)
{
    if (cli->token)
        OPENSSL_cleanse(cli->token, strlen(cli->token));
    free(cli->server);
    free(cli->token);
    free(cli->config_dir);
    free(cli->config_path);
    free(cli->keys_path);
    free(cli->keyring_path);
    json_decref(cli->registries);
    cli->registries = NULL;
    cli->server = cli->token = cli->config_dir = cli->config_path = NULL;
    cli->keys_path = cli->keyring_path = NULL;
}

void wh_cli_registry_creds(const wh_cli *cli, const char *host, const char **username,
                           const char **password, const char **token)
{
    json_t *e = json_object_get(cli->registries, host);
    *username = json_string_value(json_object_get(e, "username"));
    *password = json_string_value(json_object_get(e, "password"));
    *token = json_string_value(json_object_get(e, "token"));
}
