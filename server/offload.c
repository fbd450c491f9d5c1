/*
 * offload.c - the worker pool behind offload.h: a mutex, a condition
 * variable and a singly linked FIFO of jobs.  Jobs are few (one per finished
 * upload or created invoice) and short-lived, so nothing cleverer is needed.
 */
#include "offload.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct job {
    void (*fn)(void *);
    void *arg;
    struct job *next;
} job;

struct wh_offload {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    job *head, *tail;
    bool stopping;
    unsigned nthreads;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    wh_offload *o = arg;
    pthread_mutex_lock(&o->lock);
    for (;;) {
        while (!o->head && !o->stopping)
            pthread_cond_wait(&o->cond, &o->lock);
        job *j = o->head;
        if (!j)
            break; /* stopping, and the queue is drained */
        o->head = j->next;
        if (!o->head)
            o->tail = NULL;
        pthread_mutex_unlock(&o->lock);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&o->lock);
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

int wh_offload_start(unsigned nthreads, wh_offload **out, wh_err *err)
{
    *out = NULL;
    if (nthreads < 1)
        nthreads = 1;
    wh_offload *o = calloc(1, sizeof *o);
    if (!o || !(o->threads = calloc(nthreads, sizeof *o->threads))) {
        free(o);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->cond, NULL);
    for (; o->nthreads < nthreads; o->nthreads++) {
        if (pthread_create(&o->threads[o->nthreads], NULL, worker, o) != 0) {
            wh_offload_free(o);
            return wh_err_set(err, WH_EIO, "cannot start worker threads");
        }
    }
    *out = o;
    return 0;
}

bool wh_offload_submit(wh_offload *o, void (*fn)(void *), void *arg)
{
    job *j = malloc(sizeof *j);
    if (!j)
        return false;
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&o->lock);
    if (o->stopping) {
        pthread_mutex_unlock(&o->lock);
        free(j);
        return false;
    }
    if (o->tail)
        o->tail->next = j;
    else
        o->head = j;
    o->tail = j;
    pthread_cond_signal(&o->cond);
    pthread_mutex_unlock(&o->lock);
    return true;
}

void wh_offload_stop(wh_offload *o)
{
    if (!o)
        return;
    pthread_mutex_lock(&o->lock);
    o->stopping = true;
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->lock);
    for (unsigned i = 0; i < o->nthreads; i++)
        pthread_join(o->threads[i], NULL);
    o->nthreads = 0;
}

void wh_offload_free(wh_offload *o)
{
    if (!o)
        return;
    wh_offload_stop(o);
    pthread_mutex_destroy(&o->lock);
    pthread_cond_destroy(&o->cond);
    free(o->threads);
    free(o);
}
