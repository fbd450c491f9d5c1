-- Wharf metadata, version 5: the OCI view of the store (docs/oci.md).
-- Digests are kept as 64 lowercase hex digits (sha256 only), like parcels.

-- Manifests and indexes by repository and digest, kept as the exact bytes
-- pushed or generated (their digest is their name).  bindle_version is set
-- when the manifest is the OCI view of bindle repo/bindle_version.
CREATE TABLE oci_manifests (
    repo           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    artifact_type  TEXT,            -- artifactType, else the config's media type
    subject        TEXT,            -- sha256 of the subject (referrers API)
    annotations    TEXT,            -- the manifest's annotations as a JSON object
    body           BLOB NOT NULL,
    bindle_version TEXT,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (repo, sha256)
) WITHOUT ROWID;

CREATE INDEX oci_manifests_subject ON oci_manifests (repo, subject)
    WHERE subject IS NOT NULL;
CREATE INDEX oci_manifests_bindle ON oci_manifests (repo, bindle_version)
    WHERE bindle_version IS NOT NULL;

-- What each manifest references: blobs (config, layers; kind 0) and, for an
-- index, manifests (kind 1).  A blob referenced here is never collected.
CREATE TABLE oci_manifest_refs (
    repo     TEXT NOT NULL,
    sha256   TEXT NOT NULL,         -- the referencing manifest
    ref      TEXT NOT NULL,         -- the referenced blob or manifest
    kind     INTEGER NOT NULL,
    PRIMARY KEY (repo, sha256, ref, kind)
) WITHOUT ROWID;

CREATE INDEX oci_manifest_refs_ref ON oci_manifest_refs (ref, kind);

CREATE TABLE oci_tags (
    repo        TEXT NOT NULL,
    tag         TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (repo, tag)
) WITHOUT ROWID;

CREATE INDEX oci_tags_manifest ON oci_tags (repo, sha256);

-- Blobs uploaded (or mounted) into a repository over OCI.  Until a manifest
-- or an invoice references one, it is a candidate for the garbage
-- collector once linked_at is older than the grace period.
CREATE TABLE oci_blobs (
    repo       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    linked_at  INTEGER NOT NULL,
    PRIMARY KEY (repo, sha256)
) WITHOUT ROWID;

CREATE INDEX oci_blobs_sha ON oci_blobs (sha256);
CREATE INDEX oci_blobs_age ON oci_blobs (linked_at);

-- The collector asks whether a blob is some AOT build's artifact.
CREATE INDEX aot_builds_artifact ON aot_builds (artifact_sha)
    WHERE artifact_sha IS NOT NULL;

-- Blob uploads in progress: the bytes are a parcel store session.
CREATE TABLE oci_uploads (
    id          TEXT PRIMARY KEY,
    repo        TEXT NOT NULL,
    started_at  INTEGER NOT NULL
) WITHOUT ROWID;
