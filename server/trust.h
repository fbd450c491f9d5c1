/*
 * trust.h - wharfd's trust policy: what it loads at start (the keyring, the
 * htpasswd users and their scopes) and how it decides whether a posted
 * invoice may be published (signatures and namespace keys).
 *
 * The model (docs/security.md): a posted invoice is checked with the
 * configured strategy (--verify) against the keys trusted for its name,
 * which are the server keyring (--keyring) and the keys bound to that name.
 * The first accepted version of a name binds its creator keys to it; with
 * --new-names tofu any valid creator signature may claim a new name, with
 * --new-names keyring only a keyring key may.  From then on a version must
 * carry a valid signature by a bound key or a keyring key, so a stolen push
 * token alone cannot publish under someone else's name.
 */
#ifndef WH_TRUST_H
#define WH_TRUST_H

#include <stddef.h>

#include "schema/error.h"
#include "schema/invoice.h"
#include "server.h"
#include "storage/meta.h"

/* Reads the trust settings of srv->cfg into srv (keyring, strategy,
 * htpasswd, scopes); errors name the setting or the file. */
int wh_trust_open(wh_server *srv, wh_err *err);

/* Releases what wh_trust_open loaded. */
void wh_trust_close(wh_server *srv);

/*
 * Checks a posted invoice (already validated).  On success, *bind and
 * *n_bind are the keys to bind to the name when it has none yet (free with
 * wh_ns_keys_free; NULL and 0 otherwise).  WH_EINVAL naming the signature
 * and the reason when the check fails.
 */
int wh_trust_check_invoice(wh_server *srv, const wh_invoice *inv,
                           wh_ns_key **bind, size_t *n_bind, wh_err *err);

#endif
