/* store_session.c - STUB until the storage helper lands it (see store.h). */
#include "store.h"

static int nyi(wh_err *err) { return wh_err_set(err, WH_EIO, "not implemented yet"); }
int wh_store_session_create(wh_store *s, char id[WH_SESSION_ID_LEN + 1], wh_err *err)
{ (void)s; id[0] = 0; return nyi(err); }
int wh_store_session_open(wh_store *s, const char *id, wh_session **out, wh_err *err)
{ (void)s; (void)id; *out = NULL; return nyi(err); }
uint64_t wh_session_size(const wh_session *ss) { (void)ss; return 0; }
int wh_session_write(wh_session *ss, const void *buf, size_t len, wh_err *err)
{ (void)ss; (void)buf; (void)len; return nyi(err); }
void wh_session_close(wh_session *ss) { (void)ss; }
int wh_session_finish(wh_session *ss, const char *sha256, uint64_t *size, wh_err *err)
{ (void)ss; (void)sha256; (void)size; return nyi(err); }
void wh_session_discard(wh_session *ss) { (void)ss; }
int wh_store_session_expire(wh_store *s, int64_t cutoff, wh_err *err)
{ (void)s; (void)cutoff; return nyi(err); }
int wh_store_remove(wh_store *s, const char *sha256, wh_err *err)
{ (void)s; (void)sha256; return nyi(err); }
