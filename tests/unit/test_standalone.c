/*
 * test_standalone.c - standalone bindle tarballs: Bindle's own fixture
 * extracts to the fixture directory byte for byte; what wh_standalone_write
 * makes has the standalone layout, is the same bytes every time and
 * extracts back to its input; and every malicious archive (built here
 * header by header, so that nothing a tar tool would tidy up is lost) is
 * refused with a message naming its entry, with nothing written outside
 * the destination.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "schema/standalone.h"
#include "tests/unit/unit.h"

#define FIX_ID "1927aefa8fdc8327499e918300e2e49ecb271321530cc5881fcd069ca8372dcd"
#define FIX_SHA "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"

static char fixdir[3000];

/* ---- helpers ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *more = realloc(buf, cap *= 2);
            if (!more) {
                free(buf);
                buf = NULL;
            }
            buf = more;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *x = read_all(a, &la), *y = read_all(b, &lb);
    bool same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

static void sha_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* A scratch area: base/ holds dest/ only, so that anything an archive
 * writes outside dest shows up in base. */
typedef struct scratch {
    char base[64];
    char dest[96];
} scratch;

static void scratch_new(scratch *s)
{
    snprintf(s->base, sizeof s->base, "/tmp/wh-test-sa.XXXXXX");
    if (!mkdtemp(s->base))
        abort();
    snprintf(s->dest, sizeof s->dest, "%s/dest", s->base);
    mkdir(s->dest, 0700);
}

/* ---- a tar written header by header ---- */

typedef struct tarbuf {
    char *p;
    size_t len, cap;
} tarbuf;

static void tb_put(tarbuf *t, const void *data, size_t n)
{
    if (t->len + n > t->cap) {
        size_t cap = (t->len + n) * 2 + 4096;
        char *p = realloc(t->p, cap);
        if (!p)
            abort();
        t->p = p;
        t->cap = cap;
    }
    if (data)
        memcpy(t->p + t->len, data, n);
    else
        memset(t->p + t->len, 0, n);
    t->len += n;
}

static void octal(char *field, size_t width, uint64_t v)
{
    snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)v);
}

/* One ustar header (names up to 100 bytes, or split at a '/' into the
 * prefix field), `declared` in the size field (base-256 when octal cannot
 * hold it), then `len` bytes of data and the padding. */
static void tb_entry_sized(tarbuf *t, const char *name, char type, const char *link,
                           uint64_t declared, const void *data, size_t len)
{
    char h[512];
    memset(h, 0, sizeof h);
    size_t nl = strlen(name);
    if (nl <= 100) {
        memcpy(h, name, nl);
    } else {
        const char *cut = name + nl - 100;
        while (*cut && *cut != '/')
            cut++;
        memcpy(h + 345, name, (size_t)(cut - name));
        memcpy(h, cut + 1, strlen(cut + 1));
    }
    octal(h + 100, 8, type == '5' ? 0755 : 0644);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    if (declared < 077777777777ull) {
        octal(h + 124, 12, declared);
    } else {
        h[124] = (char)0x80;
        for (int i = 0; i < 8; i++)
            h[135 - i] = (char)((declared >> (8 * i)) & 0xff);
    }
    octal(h + 136, 12, 0);
    h[156] = type;
    if (link)
        memcpy(h + 157, link, strlen(link));
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    tb_put(t, h, 512);
    if (len) {
        tb_put(t, data, len);
        if (len % 512)
            tb_put(t, NULL, 512 - len % 512);
    }
}

static void tb_entry(tarbuf *t, const char *name, char type, const char *link,
                     const void *data, size_t len)
{
    tb_entry_sized(t, name, type, link, len, data, len);
}

static void tb_file(tarbuf *t, const char *name, const char *text)
{
    tb_entry(t, name, '0', NULL, text, strlen(text));
}

static void tb_end(tarbuf *t)
{
    tb_put(t, NULL, 1024);
}

/* A parcel entry named after its bytes. */
static void tb_parcel(tarbuf *t, const char *top, const char *text)
{
    char hex[65], name[200];
    sha_hex(text, strlen(text), hex);
    snprintf(name, sizeof name, "%s/parcels/%s.dat", top, hex);
    tb_file(t, name, text);
}

/* gzip of the buffer, through libarchive's raw writer. */
static char *gzip_of(const char *data, size_t len, size_t *out_len)
{
    size_t cap = len / 2 + 65536, used = 0;
    char *out = malloc(cap);
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_raw(a);
    archive_write_set_bytes_per_block(a, 0);
    archive_write_open_memory(a, out, cap, &used);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "data");
    archive_write_header(a, e);
    for (size_t off = 0; off < len;) {
        size_t n = len - off < 65536 ? len - off : 65536;
        archive_write_data(a, data + off, n);
        off += n;
    }
    archive_write_close(a);
    archive_write_free(a);
    archive_entry_free(e);
    *out_len = used;
    return out;
}

/* ---- the fixture ---- */

static void test_fixture_extracts_byte_for_byte(void)
{
    scratch s;
    scratch_new(&s);
    char tgz[4200], a[4200], b[4200];
    snprintf(tgz, sizeof tgz, "%s/standalone/%s.tar.gz", fixdir, FIX_ID);
    wh_err err = {0};
    CHECK_INT(wh_standalone_extract(tgz, s.dest, NULL, &err), 0);
    CHECK_STR(err.msg, "");
    snprintf(a, sizeof a, "%s/invoice.toml", s.dest);
    snprintf(b, sizeof b, "%s/standalone/%s/invoice.toml", fixdir, FIX_ID);
    CHECK(same_file(a, b));
    snprintf(a, sizeof a, "%s/parcels/%s.dat", s.dest, FIX_SHA);
    snprintf(b, sizeof b, "%s/standalone/%s/parcels/%s.dat", fixdir, FIX_ID, FIX_SHA);
    CHECK(same_file(a, b));
    snprintf(a, sizeof a, "%s/parcels", s.dest);
    CHECK_INT(count_entries(s.dest), 2);
    CHECK_INT(count_entries(a), 1);
    CHECK_INT(count_entries(s.base), 1);
    rm_rf(s.base);
}

static void test_extract_tmp_and_remove_tree(void)
{
    char tgz[4200], inv[4200];
    snprintf(tgz, sizeof tgz, "%s/standalone/%s.tar.gz", fixdir, FIX_ID);
    char *dir = NULL;
    wh_err err = {0};
    CHECK_INT(wh_standalone_extract_tmp(tgz, NULL, &dir, &err), 0);
    CHECK(dir != NULL);
    if (!dir)
        return;
    snprintf(inv, sizeof inv, "%s/invoice.toml", dir);
    CHECK(exists(inv));
    struct stat st;
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 077) == 0);
    wh_standalone_remove_tree(dir);
    CHECK(!exists(dir));
    free(dir);

    /* A failed extraction leaves no temporary directory behind. */
    char notar[] = "/tmp/wh-test-sa-notar.XXXXXX";
    int fd = mkstemp(notar);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, "not a tarball at all", 20) == 20);
        close(fd);
    }
    CHECK_INT(wh_standalone_extract_tmp(notar, NULL, &dir, &err), WH_EINVAL);
    CHECK(dir == NULL);
    CHECK_CONTAINS(err.msg, "not a tar");
    unlink(notar);

    /* remove_tree removes only what an extraction writes. */
    scratch s;
    scratch_new(&s);
    CHECK_INT(wh_standalone_extract(tgz, s.dest, NULL, &err), 0);
    snprintf(inv, sizeof inv, "%s/mine.txt", s.dest);
    write_file(inv, "keep", 4);
    wh_standalone_remove_tree(s.dest);
    CHECK(exists(inv));
    CHECK_INT(count_entries(s.dest), 1);
    rm_rf(s.base);
}

/* ---- writing ---- */

typedef struct written {
    scratch s;
    char out[200];
    char p[3][200];
    char sha[3][65];
} written;

static const char *const texts[3] = {"first parcel\n", "second, a wasm one\n", "third\n"};
static const char invoice[] = "bindleVersion = \"1.0.0\"\n\n[bindle]\nname = \"wharf.test/sa\"\n"
                              "version = \"1.2.3\"\n";

static int make_written(written *w, const char *name, wh_err *err)
{
    scratch_new(&w->s);
    char base[sizeof w->s.base];
    memcpy(base, w->s.base, sizeof base);
    for (int i = 0; i < 3; i++) {
        snprintf(w->p[i], sizeof w->p[i], "%s/p%d", base, i);
        write_file(w->p[i], texts[i], strlen(texts[i]));
        sha_hex(texts[i], strlen(texts[i]), w->sha[i]);
    }
    snprintf(w->out, sizeof w->out, "%s/%s", base, name);
    /* The second parcel listed twice: written once. */
    const char *shas[4] = {w->sha[2], w->sha[0], w->sha[1], w->sha[0]};
    const char *paths[4] = {w->p[2], w->p[0], w->p[1], w->p[0]};
    return wh_standalone_write(w->out, "wharf.test/sa", "1.2.3", invoice, strlen(invoice),
                               shas, paths, 4, err);
}

static void test_write_layout(void)
{
    written w;
    wh_err err = {0};
    CHECK_INT(make_written(&w, "out.tar.gz", &err), 0);
    char top[65];
    sha_hex("wharf.test/sa/1.2.3", strlen("wharf.test/sa/1.2.3"), top);
    const char *sorted[3] = {w.sha[0], w.sha[1], w.sha[2]};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (strcmp(sorted[j], sorted[i]) < 0) {
                const char *x = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = x;
            }
    char want[6][200];
    snprintf(want[0], 200, "%s/", top);
    snprintf(want[1], 200, "%s/invoice.toml", top);
    snprintf(want[2], 200, "%s/parcels/", top);
    for (int i = 0; i < 3; i++)
        snprintf(want[3 + i], 200, "%s/parcels/%s.dat", top, sorted[i]);

    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    CHECK_INT(archive_read_open_filename(a, w.out, 10240), ARCHIVE_OK);
    struct archive_entry *e;
    int n = 0;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        if (n < 6)
            CHECK_STR(archive_entry_pathname(e), want[n]);
        CHECK_INT(archive_entry_mtime(e), 0);
        CHECK_INT(archive_entry_uid(e), 0);
        CHECK_INT(archive_entry_gid(e), 0);
        CHECK(archive_entry_uname(e) == NULL || !archive_entry_uname(e)[0]);
        bool dir = archive_entry_filetype(e) == AE_IFDIR;
        CHECK_INT(archive_entry_perm(e), dir ? 0755 : 0644);
        CHECK(dir == (n == 0 || n == 2));
        n++;
    }
    CHECK_INT(n, 6);
    archive_read_free(a);

    struct stat st;
    CHECK(stat(w.out, &st) == 0 && (st.st_mode & 0777) == 0644);
    /* No temporary file left beside it: the three parcels and the output. */
    CHECK_INT(count_entries(w.s.base), 5);
    rm_rf(w.s.base);
}

static void test_write_round_trip(void)
{
    written w;
    wh_err err = {0};
    CHECK_INT(make_written(&w, "rt.tar.gz", &err), 0);
    CHECK_INT(wh_standalone_extract(w.out, w.s.dest, NULL, &err), 0);
    CHECK_STR(err.msg, "");
    char path[300];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/invoice.toml", w.s.dest);
    char *got = read_all(path, &len);
    CHECK(got && len == strlen(invoice) && memcmp(got, invoice, len) == 0);
    free(got);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/parcels/%s.dat", w.s.dest, w.sha[i]);
        CHECK(same_file(path, w.p[i]));
    }
    snprintf(path, sizeof path, "%s/parcels", w.s.dest);
    CHECK_INT(count_entries(path), 3);
    rm_rf(w.s.base);
}

static void test_write_is_deterministic(void)
{
    written w1, w2;
    wh_err err = {0};
    CHECK_INT(make_written(&w1, "a.tar.gz", &err), 0);
    sleep(1);
    CHECK_INT(make_written(&w2, "b.tar.gz", &err), 0);
    CHECK(same_file(w1.out, w2.out));
    size_t len = 0;
    char *gz = read_all(w1.out, &len);
    /* gzip's MTIME field (bytes 4-7) is zero, so the time never leaks in. */
    CHECK(gz && len > 10 && (unsigned char)gz[0] == 0x1f && (unsigned char)gz[1] == 0x8b);
    CHECK(gz && len > 10 && !gz[4] && !gz[5] && !gz[6] && !gz[7]);
    free(gz);
    rm_rf(w1.s.base);
    rm_rf(w2.s.base);
}

static void test_write_failures_leave_nothing(void)
{
    scratch s;
    scratch_new(&s);
    char out[200], p[200];
    snprintf(out, sizeof out, "%s/x.tar.gz", s.base);
    snprintf(p, sizeof p, "%s/nope", s.base);
    const char *sha = FIX_SHA, *path = p;
    wh_err err = {0};
    CHECK_INT(wh_standalone_write(out, "a", "1.0.0", "x", 1, &sha, &path, 1, &err),
              WH_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "nope");
    CHECK(!exists(out));
    CHECK_INT(count_entries(s.base), 1);

    const char *bad = "ABCDEF";
    CHECK_INT(wh_standalone_write(out, "a", "1.0.0", "x", 1, &bad, &path, 1, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "is not a sha256");
    CHECK(!exists(out));

    /* An existing output is replaced whole; a failed write leaves it be. */
    write_file(out, "old", 3);
    CHECK_INT(wh_standalone_write(out, "a", "1.0.0", "x", 1, &sha, &path, 1, &err),
              WH_ENOTFOUND);
    size_t len = 0;
    char *old = read_all(out, &len);
    CHECK(old && len == 3 && memcmp(old, "old", 3) == 0);
    free(old);
    CHECK_INT(wh_standalone_write(out, "a", "1.0.0", "x", 1, NULL, NULL, 0, &err), 0);
    CHECK_INT(wh_standalone_extract(out, s.dest, NULL, &err), 0);
    CHECK_INT(count_entries(s.base), 2);
    rm_rf(s.base);
}

/* ---- reading what a tar tool would not write ---- */

static void test_plain_tar_with_dot_slash(void)
{
    scratch s;
    scratch_new(&s);
    tarbuf t = {0};
    tb_entry(&t, "./top/", '5', NULL, NULL, 0);
    tb_file(&t, "./top/invoice.toml", invoice);
    tb_parcel(&t, "./top", "plain tar parcel");
    tb_end(&t);
    wh_err err = {0};
    CHECK_INT(wh_standalone_extract_mem(t.p, t.len, s.dest, NULL, &err), 0);
    CHECK_STR(err.msg, "");
    char hex[65], path[300];
    sha_hex("plain tar parcel", 16, hex);
    snprintf(path, sizeof path, "%s/parcels/%s.dat", s.dest, hex);
    CHECK(exists(path));
    free(t.p);
    rm_rf(s.base);
}

typedef void (*build_fn)(tarbuf *t);

static void b_absolute(tarbuf *t) { tb_file(t, "/top/invoice.toml", invoice); }
static void b_dotdot(tarbuf *t) { tb_file(t, "top/../../evil", "x"); }
static void b_dotdot_dir(tarbuf *t) { tb_entry(t, "top/../..", '5', NULL, NULL, 0); }
static void b_symlink(tarbuf *t)
{
    tb_entry(t, "top/parcels", '2', "..", NULL, 0);
    tb_parcel(t, "top", "through the link");
}
static void b_symlink_invoice(tarbuf *t) { tb_entry(t, "top/invoice.toml", '2', "/etc/passwd", NULL, 0); }
static void b_symlink_odd_name(tarbuf *t) { tb_entry(t, "top/parcels/aa", '2', "/etc/passwd", NULL, 0); }
static void b_dir_as_invoice(tarbuf *t) { tb_entry(t, "top/invoice.toml/", '5', NULL, NULL, 0); }
static void b_file_as_parcels(tarbuf *t) { tb_file(t, "top/parcels", "x"); }
static void b_hardlink(tarbuf *t)
{
    tb_file(t, "top/invoice.toml", invoice);
    tb_entry(t, "top/parcels/" FIX_SHA ".dat", '1', "top/invoice.toml", NULL, 0);
}
static void b_chardev(tarbuf *t) { tb_entry(t, "top/invoice.toml", '3', NULL, NULL, 0); }
static void b_blockdev(tarbuf *t) { tb_entry(t, "top/parcels", '4', NULL, NULL, 0); }
static void b_fifo(tarbuf *t) { tb_entry(t, "top/invoice.toml", '6', NULL, NULL, 0); }
static void b_other_name(tarbuf *t)
{
    tb_file(t, "top/invoice.toml", invoice);
    tb_file(t, "top/README.md", "hello");
}
static void b_upper_hex(tarbuf *t)
{
    tb_file(t, "top/parcels/23F310B54076878FD4C36F0C60EC92011A8B406349B98DD37D08577D17397DE5.dat",
            "isolinear");
}
static void b_nested(tarbuf *t) { tb_file(t, "top/parcels/sub/" FIX_SHA ".dat", "x"); }
static void b_two_tops(tarbuf *t)
{
    tb_file(t, "a/invoice.toml", invoice);
    tb_file(t, "b/invoice.toml", invoice);
}
static void b_no_top(tarbuf *t) { tb_file(t, "invoice.toml", invoice); }
static void b_dup_invoice(tarbuf *t)
{
    tb_file(t, "top/invoice.toml", invoice);
    tb_file(t, "top/invoice.toml", invoice);
}
static void b_dup_parcel(tarbuf *t)
{
    tb_parcel(t, "top", "twice");
    tb_parcel(t, "top", "twice");
}
static void b_dup_dir(tarbuf *t)
{
    tb_entry(t, "top", '5', NULL, NULL, 0);
    tb_entry(t, "top/", '5', NULL, NULL, 0);
}
static void b_big_invoice(tarbuf *t)
{
    tb_entry_sized(t, "top/invoice.toml", '0', NULL, 2 * 1024 * 1024, "x", 1);
}
static void b_huge_parcel(tarbuf *t)
{
    tb_entry_sized(t, "top/parcels/" FIX_SHA ".dat", '0', NULL, 1ull << 40, "x", 1);
}
static void b_many(tarbuf *t)
{
    tb_file(t, "top/invoice.toml", invoice);
    char text[32];
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof text, "parcel %d", i);
        tb_parcel(t, "top", text);
    }
}
static void b_wrong_sha(tarbuf *t)
{
    tb_file(t, "top/invoice.toml", invoice);
    tb_file(t, "top/parcels/" FIX_SHA ".dat", "not the isolinear chip");
}
static void b_no_invoice(tarbuf *t)
{
    tb_entry(t, "top/", '5', NULL, NULL, 0);
    tb_parcel(t, "top", "alone");
}
static void b_gnu_longname(tarbuf *t)
{
    const char *evil = "top/parcels/../../../../evil";
    tb_entry(t, "././@LongLink", 'L', NULL, evil, strlen(evil) + 1);
    tb_file(t, "short", "x");
}
static void b_pax_path(tarbuf *t)
{
    const char rec[] = "25 path=top/../../evil.d\n";
    tb_entry(t, "PaxHeader/x", 'x', NULL, rec, strlen(rec));
    tb_file(t, "top/invoice.toml", invoice);
}
static void b_long_top(tarbuf *t)
{
    char name[400];
    memset(name, 'a', 300);
    snprintf(name + 300, sizeof name - 300, "/invoice.toml");
    const char *evil = name;
    tb_entry(t, "././@LongLink", 'L', NULL, evil, strlen(evil) + 1);
    tb_file(t, "short", invoice);
}

typedef struct refusal {
    const char *name;
    build_fn build;
    const char *message;
    bool tail;            /* end-of-archive blocks after the entries */
} refusal;

static const wh_standalone_limits small = {.max_entries = 10, .max_total_bytes = 1 << 20,
                                           .max_invoice_bytes = 64 * 1024};

static void check_refused(const char *what, const char *buf, size_t len,
                          const wh_standalone_limits *lim, const char *message)
{
    scratch s;
    scratch_new(&s);
    wh_err err = {0};
    int rc = wh_standalone_extract_mem(buf, len, s.dest, lim, &err);
    if (rc != WH_EINVAL || !strstr(err.msg, message))
        fprintf(stderr, "  case %s: rc %d, \"%s\"\n", what, rc, err.msg);
    CHECK_INT(rc, WH_EINVAL);
    CHECK_CONTAINS(err.msg, message);
    /* Nothing beside dest: no "evil", no file through a link. */
    CHECK_INT(count_entries(s.base), 1);
    char parent_evil[200];
    snprintf(parent_evil, sizeof parent_evil, "%s/../evil", s.base);
    CHECK(!exists(parent_evil));
    rm_rf(s.base);
}

static void test_malicious_archives_refused(void)
{
    static const refusal cases[] = {
        {"absolute", b_absolute, "entry \"/top/invoice.toml\" has an absolute path", true},
        {"dotdot", b_dotdot, "entry \"top/../../evil\" has a \"..\" component", true},
        {"dotdot dir", b_dotdot_dir, "has a \"..\" component", true},
        {"symlink dir", b_symlink, "entry \"top/parcels\" is a symbolic link", true},
        {"symlink file", b_symlink_invoice, "entry \"top/invoice.toml\" is a symbolic link", true},
        {"symlink odd name", b_symlink_odd_name, "entry \"top/parcels/aa\" is a symbolic link",
         true},
        {"dir as invoice", b_dir_as_invoice, "entry \"top/invoice.toml/\" is a directory, "
                                             "where a standalone bindle has a regular file", true},
        {"file as parcels", b_file_as_parcels, "entry \"top/parcels\" is a regular file, where "
                                               "a standalone bindle has a directory", true},
        {"hard link", b_hardlink, "is a hard link", true},
        {"char device", b_chardev, "is a character device", true},
        {"block device", b_blockdev, "is a block device", true},
        {"fifo", b_fifo, "is a FIFO", true},
        {"other name", b_other_name, "entry \"top/README.md\" is not part of a standalone", true},
        {"upper hex", b_upper_hex, "is not part of a standalone bindle", true},
        {"nested", b_nested, "is not part of a standalone bindle", true},
        {"two tops", b_two_tops, "entry \"b/invoice.toml\" is outside the top-level directory "
                                 "\"a\"", true},
        {"no top", b_no_top, "entry \"invoice.toml\" is a file outside any directory", true},
        {"dup invoice", b_dup_invoice, "entry \"top/invoice.toml\" appears twice", true},
        {"dup parcel", b_dup_parcel, ".dat\" appears twice", true},
        {"dup dir", b_dup_dir, "entry \"top/\" appears twice", true},
        {"big invoice", b_big_invoice, "is 2097152 bytes, over the 65536 allowed for an invoice",
         false},
        {"huge parcel", b_huge_parcel, "(1099511627776 bytes) takes the bindle over the 1048576 "
                                       "bytes allowed", false},
        {"too many", b_many, "more than 10 entries", true},
        {"wrong sha", b_wrong_sha, "entry \"top/parcels/" FIX_SHA ".dat\" does not match its "
                                   "name", true},
        {"no invoice", b_no_invoice, "holds no invoice.toml", true},
        {"gnu longname", b_gnu_longname, "has a \"..\" component", true},
        {"pax path", b_pax_path, "has a \"..\" component", true},
        {"long top", b_long_top, "the top-level directory's name is over 255 bytes", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tarbuf t = {0};
        cases[i].build(&t);
        if (cases[i].tail)
            tb_end(&t);
        check_refused(cases[i].name, t.p, t.len, &small, cases[i].message);
        size_t gz_len = 0;
        char *gz = gzip_of(t.p, t.len, &gz_len);
        check_refused(cases[i].name, gz, gz_len, &small, cases[i].message);
        free(gz);
        free(t.p);
    }
}

static void test_wrong_parcel_is_not_kept(void)
{
    scratch s;
    scratch_new(&s);
    tarbuf t = {0};
    b_wrong_sha(&t);
    tb_end(&t);
    wh_err err = {0};
    CHECK_INT(wh_standalone_extract_mem(t.p, t.len, s.dest, NULL, &err), WH_EINVAL);
    char path[300];
    snprintf(path, sizeof path, "%s/parcels/%s.dat", s.dest, FIX_SHA);
    CHECK(!exists(path));
    free(t.p);
    rm_rf(s.base);
}

static void test_gzip_bomb_stops_at_the_limit(void)
{
    /* A pax header of 1000000 zero bytes (libarchive reads up to 1 MiB of
     * one into memory) and 64 MiB of zeros after it, in 64 KiB of gzip:
     * no entry is ever handed out, only the decompression bound sees it. */
    static const wh_standalone_limits tiny = {.max_entries = 4, .max_total_bytes = 64 * 1024,
                                              .max_invoice_bytes = 16 * 1024};
    size_t big = 64u << 20;
    tarbuf t = {0};
    tb_entry_sized(&t, "PaxHeader/bomb", 'x', NULL, 1000000, NULL, 0);
    tb_put(&t, NULL, big);
    size_t gz_len = 0;
    char *gz = gzip_of(t.p, t.len, &gz_len);
    CHECK(gz_len < big / 100);
    check_refused("bomb", gz, gz_len, &tiny, "decompresses to more than 147456 bytes");

    /* And a zero-filled parcel declared within the limits of the entry
     * but past the total. */
    tarbuf p = {0};
    tb_entry_sized(&p, "top/parcels/" FIX_SHA ".dat", '0', NULL, 4u << 20, NULL, 0);
    tb_put(&p, NULL, 4u << 20);
    tb_end(&p);
    char *gz2 = gzip_of(p.p, p.len, &gz_len);
    check_refused("zero parcel", gz2, gz_len, &small, "takes the bindle over");
    free(gz2);
    free(p.p);
    free(gz);
    free(t.p);
}

static void test_damaged_input_refused(void)
{
    wh_err err = {0};
    check_refused("empty", "", 0, &small, "not a tar or gzip'd tar");
    check_refused("text", "hello, this is not a tarball\n", 29, &small, "not a tar");

    /* Cut in the middle of a parcel's data. */
    tarbuf t = {0};
    tb_file(&t, "top/invoice.toml", invoice);
    char data[3000];
    memset(data, 'z', sizeof data);
    tb_entry(&t, "top/parcels/" FIX_SHA ".dat", '0', NULL, data, sizeof data);
    check_refused("truncated", t.p, 1536 + 1000, &small, "top/parcels/" FIX_SHA ".dat");
    size_t gz_len = 0;
    char *gz = gzip_of(t.p, t.len, &gz_len);
    check_refused("truncated gzip", gz, gz_len / 2, &small, "");
    free(gz);
    free(t.p);

    /* The destination must be empty. */
    scratch s;
    scratch_new(&s);
    char f[200];
    snprintf(f, sizeof f, "%s/already", s.dest);
    write_file(f, "x", 1);
    tarbuf ok = {0};
    tb_file(&ok, "top/invoice.toml", invoice);
    tb_end(&ok);
    CHECK_INT(wh_standalone_extract_mem(ok.p, ok.len, s.dest, NULL, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "is not empty");
    snprintf(f, sizeof f, "%s/missing", s.base);
    CHECK_INT(wh_standalone_extract_mem(ok.p, ok.len, f, NULL, &err), WH_ENOTFOUND);
    CHECK_INT(wh_standalone_extract("/nonexistent/x.tar.gz", s.dest, NULL, &err), WH_ENOTFOUND);
    free(ok.p);
    rm_rf(s.base);
}

int main(void)
{
    const char *fx = getenv("WHARF_FIXTURES");
    snprintf(fixdir, sizeof fixdir, "%s/bindle", fx ? fx : "../shared/fixtures");
    RUN(test_fixture_extracts_byte_for_byte);
    RUN(test_extract_tmp_and_remove_tree);
    RUN(test_write_layout);
    RUN(test_write_round_trip);
    RUN(test_write_is_deterministic);
    RUN(test_write_failures_leave_nothing);
    RUN(test_plain_tar_with_dot_slash);
    RUN(test_malicious_archives_refused);
    RUN(test_wrong_parcel_is_not_kept);
    RUN(test_gzip_bomb_stops_at_the_limit);
    RUN(test_damaged_input_refused);
    return unit_done("standalone");
}
