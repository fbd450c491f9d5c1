/*
 * harness.c - loads one AOT artifact and calls its exports through Wharf's
 * entry API (server/aot_glue.h), for targets the test cannot dlopen in
 * its own process: test_aot builds it with the target's cross compiler
 * and runs it under qemu-user.
 *
 * usage: harness ARTIFACT.so < calls
 *
 * It prints "abi N", then "export NAME SIGNATURE" for every export, then
 * one line per call line read from stdin.  A call line is
 * "NAME NRESULTS ARG...", arguments as unsigned decimal uint64 values
 * packed as wharf_call expects; the answer is "ok R..." (results as
 * unsigned decimals), "trap N" or "error N" (the wharf_call result).
 * Exit status 0 when every line was answered, 2 on bad usage, 3 when the
 * artifact could not be loaded or instantiated.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/aot_glue.h"

#define MAX_VALUES 16

static void *sym(void *so, const char *name)
{
    void *p = dlsym(so, name);
    if (!p)
        fprintf(stderr, "harness: %s is missing from the artifact\n", name);
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: harness ARTIFACT.so < calls\n");
        return 2;
    }
    void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!so) {
        fprintf(stderr, "harness: %s\n", dlerror());
        return 3;
    }
    wharf_abi_version_fn abi = (wharf_abi_version_fn)sym(so, "wharf_abi_version");
    wharf_instance_size_fn size = (wharf_instance_size_fn)sym(so, "wharf_instance_size");
    wharf_init_fn init = (wharf_init_fn)sym(so, "wharf_init");
    wharf_fini_fn fini = (wharf_fini_fn)sym(so, "wharf_fini");
    wharf_instantiate_fn inst = (wharf_instantiate_fn)sym(so, "wharf_instantiate");
    wharf_free_fn fr = (wharf_free_fn)sym(so, "wharf_free");
    wharf_call_fn call = (wharf_call_fn)sym(so, "wharf_call");
    wharf_export_count_fn count = (wharf_export_count_fn)sym(so, "wharf_export_count");
    wharf_export_name_fn name = (wharf_export_name_fn)sym(so, "wharf_export_name");
    wharf_export_signature_fn sig = (wharf_export_signature_fn)sym(so, "wharf_export_signature");
    if (!abi || !size || !init || !fini || !inst || !fr || !call || !count || !name || !sig)
        return 3;
    printf("abi %" PRIu32 "\n", abi());
    for (size_t i = 0; i < count(); i++)
        printf("export %s %s\n", name(i), sig(i));
    void *instance = malloc(size());
    if (!instance || init() != 0 || inst(instance, NULL) != 0) {
        fprintf(stderr, "harness: cannot instantiate the module\n");
        return 3;
    }
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        char *save = NULL;
        char *fn = strtok_r(line, " \n", &save);
        char *nres = strtok_r(NULL, " \n", &save);
        if (!fn || !nres)
            continue;
        uint64_t args[MAX_VALUES], results[MAX_VALUES];
        size_t nargs = 0, nresults = strtoul(nres, NULL, 10);
        for (char *a; nargs < MAX_VALUES && (a = strtok_r(NULL, " \n", &save));)
            args[nargs++] = strtoull(a, NULL, 10);
        if (nresults > MAX_VALUES)
            nresults = MAX_VALUES;
        int rc = call(instance, fn, args, nargs, results, nresults);
        if (rc > 0) {
            printf("trap %d\n", rc);
        } else if (rc < 0) {
            printf("error %d\n", rc);
        } else {
            printf("ok");
            for (size_t i = 0; i < nresults; i++)
                printf(" %" PRIu64, results[i]);
            printf("\n");
        }
        fflush(stdout);
    }
    fr(instance);
    free(instance);
    fini();
    dlclose(so);
    return 0;
}
