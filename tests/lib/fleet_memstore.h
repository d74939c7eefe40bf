/* fleet_memstore.h: an in-memory fleet_store (lambda/fleet.h) for the
 * simulations: the same contract as the DynamoDB adapter (a report creates
 * the item at phase 0 and replaces or removes the caller's entry; advance is
 * conditional on the phase), shared by k simulated environments. */
#ifndef IRIS_FLEET_MEMSTORE_H
#define IRIS_FLEET_MEMSTORE_H

#include <pthread.h>

#include "lambda/fleet.h"

#define MEMSTORE_ITEMS 4

typedef struct memstore {
    pthread_mutex_t mu; /* environments' threads call it at once, as DynamoDB is */
    char keys[MEMSTORE_ITEMS][FLEET_KEY_MAX];
    fleet_item items[MEMSTORE_ITEMS];
    size_t nitems;
    size_t reports, advances, advances_won;
    int failing; /* 1: every call fails, as an unreachable store */
} memstore;

/* A zeroed store and the interface to it; memstore_destroy when done. */
void memstore_init(memstore *s, fleet_store *iface);
void memstore_destroy(memstore *s);

#endif
