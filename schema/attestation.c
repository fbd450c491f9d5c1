/*
 * attestation.c - the AOT attestation's cleartext (see attestation.h).
 */
#include "attestation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *wh_aot_attestation_text(const char *source_sha, const char *target,
                              const char *toolchain, const char *artifact_sha)
{
    size_t n = strlen(source_sha) + strlen(target) + strlen(toolchain) +
               strlen(artifact_sha) + sizeof "wharf-aot-attestation-v1" + 5;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "wharf-aot-attestation-v1\n%s\n%s\n%s\n%s", source_sha, target,
                 toolchain, artifact_sha);
    return s;
}
