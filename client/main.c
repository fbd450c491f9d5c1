/*
 * main.c - wharf, the command-line client: global flags, settings,
 * dispatch to one command, and `wharf help`.
 *
 * A new command is a client/cmd_*.c defining a wh_cli_command (cli.h) and
 * one line in `commands` below.  The global flags may come before or after
 * the command (`wharf --json keys list`, `wharf keys list --json`), so they
 * are taken out of argv before the command sees it; "--" ends that search.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const wh_cli_command *const commands[] = {
    &wh_cmd_keys,
    &wh_cmd_sign,
    &wh_cmd_verify,
    &wh_cmd_push,
    &wh_cmd_pull,
    &wh_cmd_info,
    &wh_cmd_search,
    &wh_cmd_yank,
    &wh_cmd_export,
    &wh_cmd_import,
    &wh_cmd_mirror,
    &wh_cmd_fetch_parcels,
    &wh_cmd_send_parcels,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char global_usage[] =
    "usage: wharf [--server URL] [--token T] [--keys FILE] [--json] [--quiet]\n"
    "             COMMAND [ARGS...]\n"
    "\n"
    "Global flags (also accepted after the command; `--` ends them):\n"
    "  --server URL   the registry (env WHARF_URL; default " WH_CLI_DEFAULT_SERVER ")\n"
    "  --token T      the bearer token for the registry (env WHARF_TOKEN)\n"
    "  --keys FILE    your secret-key file (env WHARF_KEYS;\n"
    "                 default $XDG_CONFIG_HOME/wharf/secret_keys.toml)\n"
    "  --json         print one JSON document on stdout\n"
    "  -q, --quiet    print only what the command is for, no notes\n"
    "\n"
    "Settings come from the flags, then the environment, then\n"
    "$XDG_CONFIG_HOME/wharf/config.toml (keys server, token, keys, and\n"
    "[registries.\"HOST:PORT\"] tables for `wharf mirror`; XDG_CONFIG_HOME\n"
    "defaults to ~/.config).\n"
    "\n"
    "Exit status: 0 success, 1 a failure you can act on, 2 bad usage.\n";

static void print_help(FILE *out)
{
    fputs(global_usage, out);
    fputs("\nCommands:\n", out);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (commands[i]->name[0] != '_')
            fprintf(out, "  %-8s  %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "  %-8s  %s\n", "help", "the usage of wharf or of one command");
    fputs("\nRun `wharf help COMMAND` for a command's usage.\n", out);
}

static const wh_cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

/* `wharf help [COMMAND [SUBCOMMAND]]`; a subcommand's usage is its own
 * --help, so that it is written in one place. */
static int run_help(wh_cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        print_help(stdout);
        return WH_EXIT_OK;
    }
    const wh_cli_command *cmd = find_command(argv[1]);
    if (!cmd) {
        char shown[80];
        return wh_cli_usage(NULL, "no such command \"%s\"",
                            wh_cli_safe(argv[1], shown, sizeof shown));
    }
    if (argc == 2) {
        fputs(cmd->usage, stdout);
        return WH_EXIT_OK;
    }
    char *sub[4] = {argv[1], argv[2], "--help", NULL};
    return cmd->run(cli, 3, sub);
}

/* A global flag at argv[*i] (with its value, if any); 1 when it was one,
 * 0 when not, WH_EXIT_USAGE after printing why when its value is missing. */
static int take_global(wh_cli *cli, int argc, char **argv, int *i)
{
    static const struct {
        const char *name;
        size_t off;   /* offsetof the flag_* field it sets */
    } valued[] = {
        {"--server", offsetof(wh_cli, flag_server)},
        {"--token", offsetof(wh_cli, flag_token)},
        {"--keys", offsetof(wh_cli, flag_keys)},
    };
    const char *a = argv[*i];
    if (strcmp(a, "--json") == 0) {
        cli->json = true;
        return 1;
    }
    if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
        cli->quiet = true;
        return 1;
    }
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
        size_t n = strlen(valued[k].name);
        if (strncmp(a, valued[k].name, n) != 0 || (a[n] != '\0' && a[n] != '='))
            continue;
        const char *v;
        if (a[n] == '=') {
            v = a + n + 1;
        } else if (*i + 1 < argc) {
            v = argv[++*i];
        } else {
            wh_cli_usage(NULL, "%s needs a value", valued[k].name);
            return -1;
        }
        if (!v[0]) {
            wh_cli_usage(NULL, "%s needs a non-empty value", valued[k].name);
            return -1;
        }
        *(const char **)((char *)cli + valued[k].off) = v;
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    wh_cli cli = {0};
    int status = WH_EXIT_USAGE, n = 0;
    bool help = false, operands = false;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return wh_cli_fail("free some memory and retry", "out of memory");
    for (int i = 1; i < argc; i++) {
        if (!operands) {
            int t = take_global(&cli, argc, argv, &i);
            if (t < 0)
                goto done;
            if (t > 0)
                continue;
            if (strcmp(argv[i], "--") == 0)
                operands = true;
            else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
                help = true;
        }
        rest[n++] = argv[i];
    }
    /* `wharf -- COMMAND`: the "--" only ended the global flags. */
    char **args = rest;
    if (n > 0 && strcmp(args[0], "--") == 0) {
        args++;
        n--;
    }
    if (n == 0 || (args[0][0] == '-' && help)) {
        print_help(help ? stdout : stderr);
        status = help ? WH_EXIT_OK : WH_EXIT_USAGE;
        goto done;
    }
    if (strcmp(args[0], "help") == 0) {
        status = run_help(&cli, n, args);
        goto done;
    }
    const wh_cli_command *cmd = find_command(args[0]);
    if (!cmd) {
        char shown[80];
        wh_cli_safe(args[0], shown, sizeof shown);
        status = args[0][0] == '-'
                     ? wh_cli_usage(NULL, "unknown option %s before the command", shown)
                     : wh_cli_usage(NULL, "no such command \"%s\"", shown);
        goto done;
    }
    status = cmd->run(&cli, n, args);
done:
    wh_cli_config_free(&cli);
    free(rest);
    if (fflush(stdout) != 0 && status == WH_EXIT_OK)
        status = wh_cli_fail("check the disk or the pipe", "cannot write the output");
    return status;
}
