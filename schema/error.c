/*
 * error.c - filling wh_err; see error.h for the convention.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int wh_err_set(wh_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void wh_err_prefix(wh_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[WH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Assemble by hand: the result is cut at the buffer, which is the point. */
    char old[WH_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    size_t pl = strnlen(prefix, sizeof prefix), ol = strnlen(old, sizeof old);
    size_t cap = sizeof err->msg - 1, n = 0;
    for (size_t i = 0; i < pl && n < cap; i++)
        err->msg[n++] = prefix[i];
    for (size_t i = 0; i < 2 && n < cap; i++)
        err->msg[n++] = ": "[i];
    for (size_t i = 0; i < ol && n < cap; i++)
        err->msg[n++] = old[i];
    err->msg[n] = '\0';
}

void wh_err_clear(wh_err *err)
{
    if (err) {
        err->code = WH_OK;
        err->msg[0] = '\0';
    }
}

const char *wh_err_name(int code)
{
    switch (code) {
    case WH_OK: return "ok";
    case WH_EINVAL: return "invalid input";
    case WH_ENOMEM: return "out of memory";
    case WH_EIO: return "I/O error";
    case WH_ENOTFOUND: return "not found";
    case WH_EEXIST: return "already exists";
    case WH_ETOOBIG: return "too large";
    case WH_EYANKED: return "yanked";
    case WH_EBUSY: return "busy";
    case WH_EUNPROC: return "unprocessable";
    case WH_EFORBIDDEN: return "forbidden";
    case WH_ENOSPACE: return "no space left";
    case WH_EUNAUTH: return "unauthorized";
    default: return "unknown error";
    }
}
