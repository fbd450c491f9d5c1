-- Wharf metadata, version 1: invoices, parcels, the labels that link them,
-- and the full-text index behind /v1/_q.

CREATE TABLE invoices (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    -- memcmp-ordered SemVer precedence (wh_semver_sort_key), for ORDER BY
    sort_key      BLOB NOT NULL,
    authors       TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    yanked        INTEGER NOT NULL DEFAULT 0,
    yanked_reason TEXT,
    -- the canonical documents, served as they are: no parsing per request
    doc_toml      BLOB NOT NULL,
    doc_json      BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (name, version)
);

CREATE INDEX invoices_order ON invoices (name, sort_key, version);

-- A parcel is here once its bytes are durably in the parcel store.
CREATE TABLE parcels (
    sha256     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    stored_at  INTEGER NOT NULL
) WITHOUT ROWID;

-- The labels of every invoice, in invoice order.
CREATE TABLE invoice_parcels (
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id),
    idx         INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    media_type  TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (invoice_id, idx)
) WITHOUT ROWID;

CREATE INDEX invoice_parcels_sha ON invoice_parcels (sha256);

-- Substring search over the fields the query endpoint looks at.  The trigram
-- tokenizer answers both modes: strict restricts it to the name column.
CREATE VIRTUAL TABLE invoice_fts USING fts5 (
    name, version, authors, description,
    content = 'invoices', content_rowid = 'id', tokenize = 'trigram'
);
