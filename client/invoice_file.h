/*
 * invoice_file.h - local invoice files, read as wharfd reads a posted
 * invoice: TOML, or JSON when the file starts with '{'; the same limits;
 * the same validation.  An invoice that passes here is not refused by the
 * server for its shape.
 *
 * Ownership: *out is the caller's (wh_invoice_free).
 */
#ifndef WH_CLI_INVOICE_FILE_H
#define WH_CLI_INVOICE_FILE_H

#include "schema/error.h"
#include "schema/invoice.h"

/* Reads, parses and validates the invoice at `path`; every message names
 * the file. */
int wh_cli_load_invoice(const char *path, wh_invoice **out, wh_err *err);

/* The hint for wh_cli_fail_err when wh_cli_load_invoice failed with rc. */
const char *wh_cli_load_hint(int rc);

#endif
