-- Wharf metadata, version 3: what wharfd learnt of each wasm parcel.

-- One row per wasm parcel that was checked (by sha256, whichever bindles
-- list it): whether it is valid, a core module or a component, and the
-- whole description served at /v1/_m (wasm_describe.h's JSON).
CREATE TABLE wasm_modules (
    sha256       TEXT PRIMARY KEY,
    valid        INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    description  BLOB NOT NULL,
    checked_at   INTEGER NOT NULL
) WITHOUT ROWID;
