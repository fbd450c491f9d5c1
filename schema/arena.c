/*
 * arena.c - chunked bump allocation; see arena.h.
 */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct wh_arena_chunk {
    wh_arena_chunk *next;
    size_t used;
    size_t cap;
    alignas(max_align_t) unsigned char data[];
};

enum { CHUNK_MIN = 4096 - sizeof(wh_arena_chunk) };

void wh_arena_init(wh_arena *a, size_t limit)
{
    a->head = NULL;
    a->total = 0;
    a->limit = limit;
}

void wh_arena_free(wh_arena *a)
{
    wh_arena_chunk *c = a->head;
    while (c) {
        wh_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}

void *wh_arena_alloc(wh_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    wh_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        /* Grow geometrically so that big invoices need few mallocs. */
        size_t cap = c ? c->cap * 2 : CHUNK_MIN;
        if (cap < n)
            cap = n;
        if (cap > (size_t)1 << 24 && n <= (size_t)1 << 24)
            cap = (size_t)1 << 24;
        if (a->limit && a->total + cap > a->limit) {
            if (a->total + n > a->limit)
                return NULL;
            cap = n;
        }
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
        a->total += cap;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *wh_arena_strndup(wh_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = wh_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *wh_arena_strdup(wh_arena *a, const char *s)
{
    return s ? wh_arena_strndup(a, s, strlen(s)) : NULL;
}
