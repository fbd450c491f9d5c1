/*
 * file.h - reading a whole small file that a person or another program
 * wrote: a config file, a key file, a TLS certificate.
 *
 * Such files are untrusted input: the size is checked before anything is
 * allocated, only regular files are read (not a FIFO that never ends), and
 * for files that hold secrets the mode is checked on the descriptor that is
 * read, so the file checked is the file read.  Every message names the file.
 *
 * Ownership: *out is malloc'd, NUL-terminated, owned by the caller (free;
 * wipe it first with OPENSSL_cleanse when it holds secrets).
 */
#ifndef WH_FILE_H
#define WH_FILE_H

#include <stddef.h>

#include "error.h"

/* Refuse the file when group or others may read or write it. */
#define WH_FILE_PRIVATE 1u

/* Reads all of `path` (at most max_bytes) into *out, *len its length.
 * WH_ENOTFOUND when it does not exist, WH_ETOOBIG over max_bytes, WH_EINVAL
 * for something other than a regular file or (WH_FILE_PRIVATE) a loose
 * mode. */
int wh_file_read(const char *path, size_t max_bytes, unsigned flags, char **out,
                 size_t *len, wh_err *err);

#endif
