/*
 * invoice_file.c - reading a local invoice file the way wharfd reads a
 * posted one (see invoice_file.h).
 */
#include "invoice_file.h"

#include <ctype.h>
#include <stdlib.h>

#include "schema/file.h"
#include "schema/invoice_json.h"

/* Reads, parses and validates the invoice at `path`; every message names
 * the file. */
int wh_cli_load_invoice(const char *path, wh_invoice **out, wh_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = wh_file_read(path, wh_invoice_default_limits.max_bytes, 0, &buf, &len, err);
    if (rc)
        return rc;
    size_t i = 0;
    while (i < len && isspace((unsigned char)buf[i]))
        i++;
    if (i < len && buf[i] == '{')
        rc = wh_invoice_parse_json(buf, len, NULL, out, err);
    else
        rc = wh_invoice_parse_toml(buf, len, NULL, out, err);
    free(buf);
    if (!rc)
        rc = wh_invoice_validate(*out, err);
    if (rc) {
        wh_err_prefix(err, "%s", path);
        wh_invoice_free(*out);
        *out = NULL;
    }
    return rc;
}

/* The hint for a file that could not be read or parsed. */
const char *wh_cli_load_hint(int rc)
{
    return rc == WH_ENOTFOUND ? "check the path"
         : rc == WH_EIO ? "check the file's permissions"
         : "fix the invoice and retry";
}

