/*
 * attestation.h - the statement a Wharf host signs about an AOT artifact,
 * so that the server that makes it and the client that checks it can
 * never disagree on its bytes (docs/aot.md):
 *
 *     wharf-aot-attestation-v1
 *     SOURCE_SHA256
 *     TARGET
 *     TOOLCHAIN_ID
 *     ARTIFACT_SHA256
 *
 * joined by "\n", no trailing newline; Ed25519 by the host key.
 *
 * Ownership: the returned buffer is malloc'd; the caller frees it.
 */
#ifndef WH_ATTESTATION_H
#define WH_ATTESTATION_H

/* The cleartext; NULL when out of memory. */
char *wh_aot_attestation_text(const char *source_sha, const char *target,
                              const char *toolchain, const char *artifact_sha);

#endif
