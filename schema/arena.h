/*
 * arena.h - a bump allocator for data that lives and dies together.
 *
 * A parsed invoice is hundreds of small strings and arrays that are all freed
 * at the same moment.  Allocating them from one arena gives each invoice a
 * single owner and a single cleanup call (wh_arena_free), and makes a parse
 * that fails half-way trivially leak-free.
 *
 * Memory returned by wh_arena_* is owned by the arena and valid until
 * wh_arena_free; it must never be passed to free().
 */
#ifndef WH_ARENA_H
#define WH_ARENA_H

#include <stddef.h>

typedef struct wh_arena_chunk wh_arena_chunk;

typedef struct wh_arena {
    wh_arena_chunk *head;  /* the chunk being filled; older chunks follow */
    size_t total;          /* bytes allocated from the system so far */
    size_t limit;          /* 0 = unlimited; otherwise allocations past it fail */
} wh_arena;

/* Initialises an empty arena; `limit` bounds its total size (0: none). */
void wh_arena_init(wh_arena *a, size_t limit);

/* Releases every allocation made from the arena; it can be reused after. */
void wh_arena_free(wh_arena *a);

/* Returns `n` bytes aligned for any type, zeroed, or NULL when out of memory
 * or over the arena's limit. */
void *wh_arena_alloc(wh_arena *a, size_t n);

/* Copies `n` bytes of `s` and appends a NUL; NULL on failure. */
char *wh_arena_strndup(wh_arena *a, const char *s, size_t n);

/* Copies the NUL-terminated `s`; NULL on failure or when s is NULL. */
char *wh_arena_strdup(wh_arena *a, const char *s);

#endif
