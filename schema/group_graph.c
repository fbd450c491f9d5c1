/*
 * group_graph.c - cycles in the `requires` relation (see group_graph.h).
 */
#include "group_graph.h"

#include <stdlib.h>
#include <string.h>

int wh_group_graph_init(wh_group_graph *g, size_t n, wh_err *err)
{
    memset(g, 0, sizeof *g);
    g->n = n;
    g->words = (n + 63) / 64;
    if (n == 0)
        return 0;
    if (n > SIZE_MAX / sizeof(uint64_t) / g->words)
        return wh_err_set(err, WH_ENOMEM, "too many groups to check for cycles");
    g->adj = calloc(n * g->words, sizeof *g->adj);
    return g->adj ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
}

void wh_group_graph_edge(wh_group_graph *g, size_t from, size_t to)
{
    g->adj[from * g->words + to / 64] |= (uint64_t)1 << (to % 64);
}

int wh_group_graph_cycle(const wh_group_graph *g, size_t *cycle, size_t *len, wh_err *err)
{
    size_t n = g->n;
    *len = 0;
    if (n == 0)
        return 0;
    int found = 0;
    unsigned char *color = calloc(n, 1);   /* 0 unvisited, 1 on the stack, 2 done */
    size_t *stack = malloc(n * sizeof *stack);
    size_t *next = calloc(n, sizeof *next);
    if (!color || !stack || !next) {
        found = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t root = 0; root < n && !found; root++) {
        if (color[root])
            continue;
        size_t top = 0;
        stack[top++] = root;
        color[root] = 1;
        while (top && !found) {
            size_t u = stack[top - 1];
            const uint64_t *row = g->adj + u * g->words;
            size_t v = next[u];
            while (v < n && !((row[v / 64] >> (v % 64)) & 1))
                v++;
            next[u] = v + 1;
            if (v >= n) {
                color[u] = 2;
                top--;
            } else if (color[v] == 0) {
                color[v] = 1;
                stack[top++] = v;
            } else if (color[v] == 1) {
                size_t from = top - 1;
                while (stack[from] != v)
                    from--;
                *len = top - from;
                memcpy(cycle, stack + from, *len * sizeof *cycle);
                found = 1;
            }
        }
    }
done:
    free(color);
    free(stack);
    free(next);
    return found;
}

void wh_group_graph_free(wh_group_graph *g)
{
    free(g->adj);
    g->adj = NULL;
}
