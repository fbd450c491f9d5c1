/*
 * args.c - reading a command's options and operands (cli.h).
 *
 * getopt_long would do, but it permutes argv behind the caller's back and
 * reports errors on its own terms; this small iterator lets each command
 * see options and operands in order and word its own messages.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/invoice.h"
#include "schema/semver.h"

void wh_cli_args_init(wh_cli_args *a, int argc, char **argv, int first,
                      const wh_cli_opt *opts)
{
    a->argc = argc;
    a->argv = argv;
    a->next = first;
    a->operands_only = false;
    a->opts = opts;
}

static int find_long(const wh_cli_opt *opts, const char *name, size_t n)
{
    for (int i = 0; opts && opts[i].name; i++)
        if (strlen(opts[i].name) == n && strncmp(opts[i].name, name, n) == 0)
            return i;
    return -1;
}

static int find_short(const wh_cli_opt *opts, char c)
{
    for (int i = 0; opts && opts[i].name; i++)
        if (opts[i].short_name && opts[i].short_name == c)
            return i;
    return -1;
}

/* Takes the option's value from the next argument. */
static int take_value(wh_cli_args *a, const char *shown, const char **value,
                      wh_err *err)
{
    if (a->next >= a->argc)
        return wh_err_set(err, WH_EINVAL, "%s needs a value", shown);
    *value = a->argv[a->next++];
    return 0;
}

int wh_cli_args_next(wh_cli_args *a, int *which, const char **value,
                     wh_err *err)
{
    *value = NULL;
    if (a->next >= a->argc) {
        *which = WH_ARG_END;
        return 0;
    }
    const char *arg = a->argv[a->next++];
    if (!a->operands_only && strcmp(arg, "--") == 0) {
        a->operands_only = true;
        return wh_cli_args_next(a, which, value, err);
    }
    /* A lone "-" is an operand by convention (standard input). */
    if (a->operands_only || arg[0] != '-' || arg[1] == '\0') {
        *which = WH_ARG_POSITIONAL;
        *value = arg;
        return 0;
    }
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        *which = WH_ARG_HELP;
        return 0;
    }
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        int i = find_long(a->opts, name, n);
        if (i < 0)
            return wh_err_set(err, WH_EINVAL, "unknown option --%.*s",
                              (int)(n > 64 ? 64 : n), name);
        *which = i;
        if (!a->opts[i].has_value) {
            if (eq)
                return wh_err_set(err, WH_EINVAL, "--%s takes no value",
                                  a->opts[i].name);
            return 0;
        }
        if (eq) {
            *value = eq + 1;
            return 0;
        }
        char shown[80];
        snprintf(shown, sizeof shown, "--%s", a->opts[i].name);
        return take_value(a, shown, value, err);
    }
    /* Short options are single letters, one per argument: -o OUT or -oOUT. */
    int i = find_short(a->opts, arg[1]);
    if (i < 0 || (arg[2] != '\0' && !a->opts[i].has_value))
        return wh_err_set(err, WH_EINVAL, "unknown option %.64s", arg);
    *which = i;
    if (!a->opts[i].has_value)
        return 0;
    if (arg[2] != '\0') {
        *value = arg + 2;
        return 0;
    }
    char shown[4] = {'-', arg[1], '\0', '\0'};
    return take_value(a, shown, value, err);
}

bool wh_cli_split_id(const char *id, char *name, size_t ncap, const char **version)
{
    const char *slash = id ? strrchr(id, '/') : NULL;
    wh_semver sv;
    if (!slash || (size_t)(slash - id) >= ncap)
        return false;
    memcpy(name, id, (size_t)(slash - id));
    name[slash - id] = '\0';
    *version = slash + 1;
    return wh_name_validate(name, NULL) == 0 && wh_semver_parse(*version, &sv, NULL) == 0;
}

int wh_cli_parse_parallel(const char *v, unsigned max, unsigned *out, wh_err *err)
{
    char *end;
    errno = 0;
    unsigned long p = strtoul(v, &end, 10);
    if (errno || *end || v[0] < '1' || v[0] > '9' || p > max)
        return wh_err_set(err, WH_EINVAL, "--parallel takes a number from 1 to %u", max);
    *out = (unsigned)p;
    return 0;
}
