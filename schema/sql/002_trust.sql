-- Wharf metadata, version 2: who may publish.

-- API tokens.  Only a hash of each token's secret is kept: the token itself
-- is shown once, when it is created.  A token is `wht_<id>_<secret>`; the id
-- finds the row, the hash proves the secret.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    secret_hash  BLOB NOT NULL,          -- SHA-256 of the secret part
    description  TEXT NOT NULL DEFAULT '',
    scopes       TEXT NOT NULL,          -- canonical scope list (server/scope.h)
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,                -- NULL: never
    revoked_at   INTEGER                 -- NULL: in force
) WITHOUT ROWID;

-- Namespace keys: the creator keys a bindle name is bound to.  The first
-- accepted version of a name binds its creator keys; later versions must be
-- signed by one of them (or by a key of the server keyring).
CREATE TABLE namespace_keys (
    name       TEXT NOT NULL,
    key        BLOB NOT NULL,            -- the 32-byte Ed25519 public key
    label      TEXT NOT NULL,
    added_at   INTEGER NOT NULL,
    added_by   TEXT NOT NULL,            -- 'first publish' or 'operator'
    PRIMARY KEY (name, key)
) WITHOUT ROWID;
