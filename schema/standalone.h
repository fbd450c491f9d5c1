/*
 * standalone.h - Bindle's standalone bindles as tarballs: what `wharf
 * export` writes, and what `wharf import` and `wharf push FILE.tar.gz` read.
 *
 * A standalone bindle is a directory named after the sha256 hex of
 * "NAME/VERSION" holding `invoice.toml` and `parcels/<sha256>.dat`, packed
 * as a gzip'd (or plain) tar of that directory.  Archives come from anyone,
 * so the reader accepts that layout and nothing else: no links, devices,
 * absolute or `..` paths, other names or duplicates; it bounds the number
 * of entries, the bytes it writes and the bytes it decompresses (a gzip
 * bomb stops at the limit, whatever the tar headers say); it creates files
 * only under the destination, with O_NOFOLLOW|O_EXCL; and it checks each
 * parcel's sha256 against its file name while the bytes stream.  Every
 * refusal of the archive's content is WH_EINVAL with a message that names
 * the entry.
 *
 * Ownership: *out_dir of wh_standalone_extract_tmp is malloc'd and owned by
 * the caller (wh_standalone_remove_tree, then free).  Every other pointer is
 * borrowed for the length of the call.
 */
#ifndef WH_STANDALONE_H
#define WH_STANDALONE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct wh_standalone_limits {
    uint64_t max_entries;        /* tar entries, directories included */
    uint64_t max_total_bytes;    /* invoice plus parcels, as written */
    uint64_t max_invoice_bytes;  /* invoice.toml alone */
} wh_standalone_limits;

/* 100000 entries, 64 GiB, 1 MiB (the invoice parser's own limit). */
extern const wh_standalone_limits wh_standalone_default_limits;

/*
 * Extracts a standalone tarball (gzip'd tar, or plain tar) into dest_dir,
 * which must exist and be empty.  The archive holds exactly one top-level
 * directory (any name) and inside it only `invoice.toml` (required) and
 * `parcels/<64 lowercase hex>.dat`, as regular files; directory entries are
 * optional.  Writes dest_dir/invoice.toml and dest_dir/parcels/<sha>.dat.
 * `lim` NULL means the defaults.  A parcel whose bytes do not hash to its
 * name is refused (and removed).  On failure dest_dir may hold partial
 * files: the caller removes it (wh_standalone_remove_tree).
 */
int wh_standalone_extract(const char *archive_path, const char *dest_dir,
                          const wh_standalone_limits *lim, wh_err *err);

/* The same from memory (the fuzz target's entry point). */
int wh_standalone_extract_mem(const void *buf, size_t len, const char *dest_dir,
                              const wh_standalone_limits *lim, wh_err *err);

/*
 * Extracts archive_path into a new private directory under $TMPDIR (else
 * /tmp), and sets *out_dir to it: what `wharf import` and `wharf push
 * FILE.tar.gz` call before reading the result as a standalone directory.
 * On failure nothing is left behind and *out_dir is NULL.
 */
int wh_standalone_extract_tmp(const char *archive_path, const wh_standalone_limits *lim,
                              char **out_dir, wh_err *err);

/*
 * Removes what an extraction wrote: dir/invoice.toml, the regular files
 * of dir/parcels, dir/parcels and dir.  Anything else in dir (which an
 * extraction never writes) is left, and then dir stays too.  Never follows
 * symbolic links.  NULL is a no-op.
 */
void wh_standalone_remove_tree(const char *dir);

/*
 * Writes a standalone .tar.gz to out_path: top directory = sha256 hex of
 * "NAME/VERSION", `invoice.toml` with exactly the given bytes, and
 * parcels/<sha>.dat read from parcel_paths[i] for parcel_sha256[i] (a sha
 * listed twice is written once).  Entries are sorted, with mtime 0, uid and
 * gid 0, no owner names, mode 0644 for files and 0755 for directories, and
 * the gzip header carries no time, so the same bindle always gives the same
 * bytes.  The parcel files' contents are not hashed again (they come from
 * a checked cache); a file whose size changes while it is read is an error.
 * Written to a temporary file beside out_path, then renamed over it (mode
 * 0644); on failure out_path is untouched.
 */
int wh_standalone_write(const char *out_path, const char *name, const char *version,
                        const char *invoice_toml, size_t toml_len,
                        const char *const *parcel_sha256, const char *const *parcel_paths,
                        size_t n_parcels, wh_err *err);

#endif
