/*
 * store_fs_internal.h - private to storage/store_fs.c and
 * storage/store_session.c: the filesystem store's state, and the one step
 * that turns a verified file into a stored parcel, so that a streamed upload
 * and a finished session are committed by the same code.
 *
 * Ownership: everything reached through a wh_store is the store's; the
 * session table (sess_*) is store_session.c's, guarded by sess_mu.
 */
#ifndef WH_STORE_FS_INTERNAL_H
#define WH_STORE_FS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "schema/error.h"
#include "store.h"

typedef struct wh_sess_slot wh_sess_slot;

/* Sessions are found by the first two hex digits of their random ids. */
#define WH_SESS_BUCKETS 256

struct wh_store {
    char *dir;
    int dirfd;
    int tmpfd;             /* DIR/.tmp */
    int sessfd;            /* DIR/.sessions */
    bool have_tmpfile;     /* O_TMPFILE works here */
    bool have_sess_mu;     /* sess_mu was initialised */
    pthread_mutex_t sess_mu;
    wh_sess_slot *sess[WH_SESS_BUCKETS];   /* the sessions the process knows */
};

/* True when s is 64 lowercase hex digits. */
bool wh_store_fs_sha_ok(const char *s);

/* The code for a failed write's errno: WH_ENOSPACE for a full disk or
 * quota (clients are told 507), else WH_EIO. */
int wh_store_fs_io_code(int e);

/*
 * Makes the verified bytes in `fd` durable and gives them the name of
 * parcel sha256: fdatasync, then a link that never replaces an existing
 * parcel (finding one there is the deduplication, and a success), then an
 * fsync of the fan-out directory.  With `name` NULL, fd is an O_TMPFILE and
 * is linked through /proc; otherwise it is `name` in directory `namedirfd`,
 * renamed when the filesystem can refuse to replace, linked otherwise.
 * *renamed tells whether `name` is gone (else the caller unlinks it).
 */
int wh_store_fs_place(wh_store *s, int fd, int namedirfd, const char *name,
                      const char *sha256, bool *renamed, wh_err *err);

/* Creates and opens DIR/.sessions and the session table (store_session.c);
 * sessions already there are kept. */
int wh_store_sessions_open(wh_store *s, wh_err *err);

/* Frees the session table and closes sessfd; the session files stay. */
void wh_store_sessions_close(wh_store *s);

#endif
