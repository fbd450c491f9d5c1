/*
 * group_graph.h - the `requires` relation between an invoice's groups, and
 * the search for a cycle in it, which both validation (invoice_validate.c)
 * and resolution (resolve.c) refuse.
 *
 * Group G requires group H when a parcel that is a member of G lists H in
 * `requires`.  The relation is a matrix of bits (n^2 bits for n groups),
 * and the search is an iterative depth-first search (no recursion: the
 * group count comes from untrusted input) that finds the first cycle in
 * group order, so every report of the same invoice is the same.
 *
 * Ownership: a wh_group_graph owns its matrix; wh_group_graph_free.
 */
#ifndef WH_GROUP_GRAPH_H
#define WH_GROUP_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct wh_group_graph {
    size_t n;          /* groups */
    size_t words;      /* uint64_t per row */
    uint64_t *adj;     /* n rows */
} wh_group_graph;

/* A graph of n groups and no edges.  WH_ENOMEM when n is too large. */
int wh_group_graph_init(wh_group_graph *g, size_t n, wh_err *err);

/* Group `from` requires group `to` (both below n). */
void wh_group_graph_edge(wh_group_graph *g, size_t from, size_t to);

/*
 * Looks for a cycle: 1 with the groups of the first one in cycle[0..*len)
 * (each once; the last requires cycle[0]); 0 when there is none;
 * WH_ENOMEM.  `cycle` holds n entries.
 */
int wh_group_graph_cycle(const wh_group_graph *g, size_t *cycle, size_t *len,
                         wh_err *err);

void wh_group_graph_free(wh_group_graph *g);

#endif
