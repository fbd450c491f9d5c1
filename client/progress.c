/*
 * progress.c - the progress line (progress.h).
 *
 * The rate is the average since the start: transfers over one pool of
 * connections are steady enough that a moving window would only make the
 * ETA jump about.
 */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Redraws at most this often (nanoseconds). */
#define REDRAW_NS 100000000LL

struct wh_progress {
    bool draw;              /* enabled and stderr is a terminal */
    bool drawn;             /* a line is on the screen */
    size_t items, total_items;
    uint64_t bytes, total_bytes;
    long long start_ns, last_ns;
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* "12.5 MiB", "800 B". */
static void human(uint64_t n, char *buf, size_t cap)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%llu B", (unsigned long long)n);
    else
        snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

wh_progress *wh_progress_new(bool enabled, size_t total_items, uint64_t total_bytes)
{
    wh_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->draw = enabled && isatty(STDERR_FILENO);
    p->total_items = total_items;
    p->total_bytes = total_bytes;
    p->start_ns = now_ns();
    return p;
}

void wh_progress_format(const wh_progress *p, char *buf, size_t cap)
{
    if (!p || cap == 0)
        return;
    char done[32], total[32], rate[32], eta[32] = "";
    /* A retried transfer counts its bytes twice; never show more than all. */
    uint64_t bytes = p->bytes < p->total_bytes ? p->bytes : p->total_bytes;
    human(bytes, done, sizeof done);
    human(p->total_bytes, total, sizeof total);
    double secs = (double)(now_ns() - p->start_ns) / 1e9;
    double bps = secs > 0.0 ? (double)p->bytes / secs : 0.0;
    human((uint64_t)bps, rate, sizeof rate);
    if (bps >= 1.0 && bytes < p->total_bytes)
        snprintf(eta, sizeof eta, "  ETA %.0fs", (double)(p->total_bytes - bytes) / bps);
    snprintf(buf, cap, "parcels %zu/%zu  %s / %s  %s/s%s", p->items, p->total_items, done,
             total, rate, eta);
}

static void redraw(wh_progress *p, bool force)
{
    if (!p->draw)
        return;
    long long t = now_ns();
    if (!force && p->drawn && t - p->last_ns < REDRAW_NS)
        return;
    p->last_ns = t;
    char line[160];
    wh_progress_format(p, line, sizeof line);
    /* \r and erase-to-end: the new line may be shorter than the old. */
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
    p->drawn = true;
}

void wh_progress_bytes(wh_progress *p, uint64_t delta)
{
    if (!p)
        return;
    p->bytes += delta;
    redraw(p, false);
}

void wh_progress_item_done(wh_progress *p)
{
    if (!p)
        return;
    p->items++;
    redraw(p, false);
}

void wh_progress_finish(wh_progress *p)
{
    if (!p)
        return;
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    free(p);
}
