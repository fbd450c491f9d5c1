/*
 * output.c - how wharf talks to the user (cli.h): errors as
 * "wharf: what happened; what to do" on stderr, notes that --quiet
 * silences, and JSON documents on stdout for --json.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wh_cli_fail(const char *hint, const char *fmt, ...)
{
    va_list ap;
    fputs("wharf: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (hint && hint[0])
        fprintf(stderr, "; %s", hint);
    fputc('\n', stderr);
    return WH_EXIT_FAIL;
}

int wh_cli_fail_err(const wh_err *err, const char *hint)
{
    return wh_cli_fail(hint, "%s", err->msg[0] ? err->msg : wh_err_name(err->code));
}

int wh_cli_usage(const char *command, const char *fmt, ...)
{
    va_list ap;
    fputs("wharf: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (command)
        fprintf(stderr, "; see `wharf help %s`\n", command);
    else
        fputs("; see `wharf help`\n", stderr);
    return WH_EXIT_USAGE;
}

void wh_cli_note(const wh_cli *cli, const char *fmt, ...)
{
    if (cli->quiet)
        return;
    va_list ap;
    fputs("wharf: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int wh_cli_print_json(json_t *doc, wh_err *err)
{
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    if (!text)
        return wh_err_set(err, WH_ENOMEM, "cannot write the JSON output: out of memory");
    puts(text);
    free(text);
    return 0;
}

const char *wh_cli_safe(const char *s, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    size_t n = s ? strnlen(s, cap - 1) : 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* Labels come from files anyone may hand us: an escape sequence in
         * one must not reach the terminal. */
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    buf[n] = '\0';
    return buf;
}
