/*
 * admin.h - wharfd's operator commands, run against a data directory
 * (while the server runs or not: the database is shared safely):
 *
 *   wharfd token create --scopes SCOPES [--description TEXT] [--expires 30d]
 *   wharfd token list
 *   wharfd token revoke ID
 *   wharfd keys list [NAME]
 *   wharfd keys add NAME KEY|KEYRING_FILE [--label LABEL]
 *   wharfd keys remove NAME KEY
 *   wharfd mirror oci://HOST/REPO[:TAG] --to NAME [--every SECONDS] ...
 *       (runs `wharf mirror` beside wharfd with the server's own proxy key)
 *
 * Every other flag (--data, --config, ...) is read as the server reads it.
 */
#ifndef WH_ADMIN_H
#define WH_ADMIN_H

#include <stdbool.h>

/* Whether argv names an operator command (argv[1] is "token", "keys" or
 * "mirror": `wharfd mirror SRC --to NAME [--every SECONDS] ...`). */
bool wh_admin_is_command(int argc, char **argv);

/* Runs it; returns the exit status (0, 1 on failure, 2 on bad usage). */
int wh_admin_main(int argc, char **argv);

#endif
