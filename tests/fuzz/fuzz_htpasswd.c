/*
 * fuzz_htpasswd.c - wh_htpasswd_parse on arbitrary bytes.
 *
 * Parse only: checking a password runs bcrypt, far too slow for a fuzzer.
 * Besides not crashing: a refusal carries a negative code and a non-empty
 * UTF-8 message that names the source, and hands nothing out; what parses
 * holds no more users than the limit nor more than the input has lines.
 * Any broken invariant aborts.
 */
#include <stdint.h>
#include <string.h>

#include "server/htpasswd.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wh_htpasswd *h = NULL;
    wh_err err = {0};
    if (wh_htpasswd_parse((const char *)data, size, "fuzz.htpasswd", &h, &err)) {
        check_message(&err);
        if (h)
            broken("a refused file was handed out", &err);
        if (err.code != WH_ENOMEM && strncmp(err.msg, "fuzz.htpasswd:", 14) != 0)
            broken("the message does not name the file", &err);
        return 0;
    }
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    size_t n = wh_htpasswd_count(h);
    if (n > WH_HTPASSWD_MAX_USERS || n > lines)
        broken("more users than the limit or the lines", NULL);
    wh_htpasswd_free(h);
    return 0;
}
