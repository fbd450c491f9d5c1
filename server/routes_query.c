/*
 * routes_query.c - GET /v1/_q, Bindle's search, and GET /healthz.
 *
 * Parameters: q (space-separated terms), v (npm-style SemVer range), o
 * (offset), l (limit), strict (terms match the name only), yanked (include
 * yanked bindles).  Bindle's limit is a u8, so a limit over 255 is served as
 * 255 and the reply's `limit` says so; limit 0 answers only `total`.  Results
 * come ordered by name, then SemVer precedence, then version text, so paging
 * is stable while nothing is published in between.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schema/utf8.h"
#include "auth.h"
#include "server.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 255
#define MAX_QUERY_BYTES 1024

/* Parses a non-negative decimal; false for anything else. */
static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

static int parse_bool(const char *s, bool *out)
{
    if (!s || strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || !*s) {
        *out = false;
        return 0;
    }
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
        *out = true;
        return 0;
    }
    return -1;
}

/*
 * The JSON reply: `head`'s fields, then the stored documents copied in as
 * they are.  They are canonical compact JSON already (what GET /v1/_i
 * serves), so parsing each only to print it again, which cost more than
 * the search itself, would change nothing.
 */
static void reply_json(wh_req *req, const json_t *head, const wh_meta_hits *hits)
{
    static const char key[] = ",\"invoices\":[", tail[] = "]}";
    size_t head_len = json_dumpb(head, NULL, 0, JSON_COMPACT);
    size_t len = head_len + sizeof key + sizeof tail;
    for (size_t i = 0; i < hits->n; i++)
        len += hits->docs[i]->json_len + 1;
    char *buf = head_len > 2 ? malloc(len) : NULL;
    if (!buf || json_dumpb(head, buf, head_len, JSON_COMPACT) != head_len) {
        free(buf);
        return wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot build the search reply");
    }
    /* Over the head's closing brace. */
    size_t used = head_len - 1;
    memcpy(buf + used, key, sizeof key - 1);
    used += sizeof key - 1;
    for (size_t i = 0; i < hits->n; i++) {
        if (i)
            buf[used++] = ',';
        memcpy(buf + used, hits->docs[i]->json, hits->docs[i]->json_len);
        used += hits->docs[i]->json_len;
    }
    memcpy(buf + used, tail, sizeof tail - 1);
    used += sizeof tail - 1;
    struct MHD_Response *r = MHD_create_response_from_buffer(used, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    wh_reply_response(req, MHD_HTTP_OK, r);
}

/* A name filter no bindle matches (names are never empty). */
static const char *const no_names[] = {""};
static const bool no_prefix[] = {false};

void wh_route_query(wh_req *req)
{
    wh_meta_query q = {0};
    q.q = wh_req_arg(req, "q");
    q.range = wh_req_arg(req, "v");
    const char *o = wh_req_arg(req, "o"), *l = wh_req_arg(req, "l");
    if (q.q && strlen(q.q) > MAX_QUERY_BYTES)
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "q is over %d bytes", MAX_QUERY_BYTES);
    if (q.range && strlen(q.range) > MAX_QUERY_BYTES)
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "v is over %d bytes", MAX_QUERY_BYTES);
    if ((q.q && !wh_utf8_valid(q.q, strlen(q.q))) || (q.range && !wh_utf8_valid(q.range, strlen(q.range))))
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "q and v must be UTF-8");
    if (o && *o && !parse_u64(o, &q.offset))
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "o (offset) must be a whole number, not \"%s\"", o);
    if (q.offset > INT64_MAX)
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "o (offset) is too large");
    uint64_t limit = DEFAULT_LIMIT;
    if (l && *l && !parse_u64(l, &limit))
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "l (limit) must be a whole number, not \"%s\"", l);
    q.limit = limit > MAX_LIMIT ? MAX_LIMIT : (uint32_t)limit;
    if (parse_bool(wh_req_arg(req, "strict"), &q.strict) != 0)
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "strict must be true or false");
    if (parse_bool(wh_req_arg(req, "yanked"), &q.yanked) != 0)
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "yanked must be true or false");

    wh_err e;
    wh_meta_hits *hits = NULL;
    bool all;
    if (!wh_auth_read_names(req, &all, &q.names, &q.name_prefix, &q.n_names))
        return;
    if (!all && q.n_names == 0) {
        /* Scopes that read nothing by name: an empty result, not an error. */
        q.names = no_names;
        q.name_prefix = no_prefix;
        q.n_names = 1;
    }
    if (wh_meta_search(req->srv->meta, &q, &hits, &e) != 0)
        return wh_reply_err(req, &e);
    json_t *doc = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:b, s:b}",
                            "query", q.q ? q.q : "",
                            "strict", q.strict,
                            "offset", (json_int_t)q.offset,
                            "limit", (json_int_t)q.limit,
                            "timestamp", (json_int_t)time(NULL),
                            "total", (json_int_t)hits->total,
                            "more", q.offset + hits->n < hits->total,
                            "yanked", q.yanked);
    if (doc && req->want_json) {
        reply_json(req, doc, hits);
        json_decref(doc);
        wh_meta_hits_free(hits);
        return;
    }
    json_t *invoices = doc ? json_array() : NULL;
    for (size_t i = 0; invoices && i < hits->n; i++) {
        json_t *inv = json_loadb(hits->docs[i]->json, hits->docs[i]->json_len, 0, NULL);
        if (!inv || json_array_append_new(invoices, inv) != 0) {
            json_decref(invoices);
            invoices = NULL;
        }
    }
    wh_meta_hits_free(hits);
    if (!invoices || json_object_set_new(doc, "invoices", invoices) != 0) {
        json_decref(doc);
        return wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot build the search reply");
    }
    wh_reply_doc(req, MHD_HTTP_OK, doc);
}

/* 200 when the database answers; 503 when it does not. */
void wh_route_health(wh_req *req)
{
    wh_err e;
    static const char probe[] = "0000000000000000000000000000000000000000000000000000000000000000";
    if (wh_meta_parcel_has(req->srv->meta, probe, &e) < 0) {
        e.code = WH_EBUSY;
        return wh_reply_err(req, &e);
    }
    wh_reply_doc(req, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
}
