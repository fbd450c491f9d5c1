-- Wharf metadata, version 4: ahead-of-time builds of wasm modules.

-- One row per (source module, target, exact toolchain): the same source is
-- never compiled twice on the same toolchain.  A row is a queue entry until
-- it is done; it survives restarts (a build cut off by a stop is queued
-- again at the next start).  A failure is a state with its log, not a retry.
CREATE TABLE aot_builds (
    source_sha    TEXT NOT NULL,
    target        TEXT NOT NULL,
    toolchain     TEXT NOT NULL,
    state         TEXT NOT NULL,     -- queued | building | done | failed | declined
    artifact_sha  TEXT,
    artifact_size INTEGER,
    reason        TEXT,              -- why failed or declined
    log           TEXT,              -- the build's output, cut
    attestation   TEXT,              -- host signature (base64), see docs/aot.md
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (source_sha, target, toolchain)
) WITHOUT ROWID;

CREATE INDEX aot_builds_queue ON aot_builds (state, created_at);
