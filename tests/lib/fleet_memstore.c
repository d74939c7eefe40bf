/* fleet_memstore.c: the simulations' shared store. */
#include "tests/lib/fleet_memstore.h"

#include <stdio.h>
#include <string.h>

static fleet_item *find(memstore *s, const char *key)
{
    for (size_t i = 0; i < s->nitems; i++)
        if (strcmp(s->keys[i], key) == 0)
            return &s->items[i];
    if (s->nitems == MEMSTORE_ITEMS)
        return NULL;
    snprintf(s->keys[s->nitems], FLEET_KEY_MAX, "%s", key);
    memset(&s->items[s->nitems], 0, sizeof s->items[0]);
    return &s->items[s->nitems++];
}

static int report_locked(memstore *s, const char *key, const fleet_entry *mine,
                         fleet_item *out, char *err, size_t errlen);
static int advance_locked(memstore *s, const char *key, int64_t from, fleet_item *out, char *err,
                          size_t errlen);

static int report(void *ctx, const char *key, const fleet_entry *mine, int64_t expires_s,
                  int64_t deadline_ms, fleet_item *out, char *err, size_t errlen)
{
    memstore *s = ctx;
    (void)expires_s;
    (void)deadline_ms;
    pthread_mutex_lock(&s->mu);
    int rc = report_locked(s, key, mine, out, err, errlen);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int advance(void *ctx, const char *key, int64_t from, const char *env, int64_t expires_s,
                   int64_t deadline_ms, fleet_item *out, char *err, size_t errlen)
{
    memstore *s = ctx;
    (void)env;
    (void)expires_s;
    (void)deadline_ms;
    pthread_mutex_lock(&s->mu);
    int rc = advance_locked(s, key, from, out, err, errlen);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int report_locked(memstore *s, const char *key, const fleet_entry *mine,
                         fleet_item *out, char *err, size_t errlen)
{
    s->reports++;
    fleet_item *it = s->failing ? NULL : find(s, key);
    if (it == NULL) {
        snprintf(err, errlen, "ConnectionError: the simulated store is down");
        return FLEET_STORE_FAILED;
    }
    size_t i = 0;
    while (i < it->nentries && strcmp(it->entries[i].env, mine->env) != 0)
        i++;
    if (mine->value <= 0) {
        if (i < it->nentries)
            it->entries[i] = it->entries[--it->nentries];
    } else if (i < it->nentries || it->nentries < FLEET_MAX_ENTRIES) {
        if (i == it->nentries)
            it->nentries++;
        it->entries[i] = *mine;
    }
    *out = *it;
    return FLEET_STORE_OK;
}

static int advance_locked(memstore *s, const char *key, int64_t from, fleet_item *out, char *err,
                          size_t errlen)
{
    s->advances++;
    fleet_item *it = s->failing ? NULL : find(s, key);
    if (it == NULL) {
        snprintf(err, errlen, "ConnectionError: the simulated store is down");
        return FLEET_STORE_FAILED;
    }
    if (it->phase != from) {
        *out = *it;
        return FLEET_STORE_LOST;
    }
    it->phase++;
    s->advances_won++;
    *out = *it;
    return FLEET_STORE_OK;
}

void memstore_init(memstore *s, fleet_store *iface)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    iface->ctx = s;
    iface->report = report;
    iface->advance = advance;
}

void memstore_destroy(memstore *s)
{
    pthread_mutex_destroy(&s->mu);
}
