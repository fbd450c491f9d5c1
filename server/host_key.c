/*
 * host_key.c - loading or creating wharfd's host key (see host_key.h).
 */
#include "host_key.h"

#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int wh_host_key_open(const char *data_dir, wh_secret_keys **out, const wh_secret_key **key,
                     bool *created, wh_err *err)
{
    char path[4096];
    *out = NULL;
    *key = NULL;
    *created = false;
    snprintf(path, sizeof path, "%s/host_key.toml", data_dir);
    struct stat st;
    int rc;
    wh_secret_keys *sk = NULL;
    if (stat(path, &st) == 0) {
        rc = wh_secret_keys_load(path, NULL, &sk, err);
        if (rc)
            return rc;
    } else if (errno == ENOENT) {
        sk = wh_secret_keys_new();
        if (!sk)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        char host[256] = "localhost", label[300];
        gethostname(host, sizeof host - 1);
        snprintf(label, sizeof label, "wharfd host key <wharfd@%s>", host);
        const wh_secret_key *k = NULL;
        rc = wh_secret_keys_generate(sk, label, WH_ROLE_HOST, &k, err);
        if (!rc)
            rc = wh_secret_keys_save(sk, path, err);
        if (rc) {
            wh_secret_keys_free(sk);
            return rc;
        }
        *created = true;
    } else {
        return wh_err_set(err, WH_EIO, "cannot stat %s: %s", path, strerror(errno));
    }
    *key = wh_secret_keys_find_role(sk, WH_ROLE_HOST);
    if (!*key) {
        wh_secret_keys_free(sk);
        return wh_err_set(err, WH_EINVAL, "%s holds no key with the host role", path);
    }
    *out = sk;
    return 0;
}
