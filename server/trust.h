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
 *
 * An invoice carrying the wharf.mirror.source annotation is a mirror of an
 * OCI artifact (wharf mirror): when the strategy refuses it, it is checked
 * again with the proxy role in place of creator (CreativeIntegrity and
 * AuthoritativeIntegrity become MultipleAttestation[Proxy],
 * GreedyVerification MultipleAttestationGreedy[Proxy], Creator becomes Proxy
 * in MultipleAttestation lists).  The same key rules apply, and on a new
 * name under tofu the proxy key is bound.
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

/*
 * Whether `name` may get a version that no author signed: a manifest pushed
 * over the OCI API, which only the host signs as it accepts it.  Allowed
 * under --verify none, and for a name nobody holds yet (no bound keys, no
 * version) unless --new-names keyring; otherwise WH_EFORBIDDEN saying to
 * publish with a signed `wharf push`.
 */
int wh_trust_check_unsigned(wh_server *srv, const char *name, wh_err *err);

/*
 * Adds this host's signature to an accepted invoice and emits the canonical
 * TOML and JSON documents that are stored and served (*toml and *json are
 * the caller's: free()).  WH_EINVAL when the invoice already carries a
 * signature by the host key.
 */
int wh_trust_host_sign(wh_server *srv, wh_invoice *inv, char **toml, size_t *toml_len,
                       char **json, size_t *json_len, wh_err *err);

#endif
