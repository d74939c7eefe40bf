/* topics.c: the batch's topic names, each distinct name stored once.
 *
 * A hash table (open addressing, linear probing) finds a name already seen
 * in constant time, so a batch of n distinct topics costs O(n), not O(n^2).
 * A probe is never longer than TOPIC_MAX_PROBE: past it the name is stored
 * again rather than searched further, so names crafted to collide cost
 * memory (bounded by the event's size), never quadratic time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/batch/batch_internal.h"

#define TOPIC_MAX_PROBE 32

/* A slot of the table: a name's hash (compared before the name) and index + 1
 * in b->topics (0: empty). */
typedef struct topic_slot {
    uint64_t hash;
    size_t index;
} topic_slot;

static uint64_t topic_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    h ^= h >> 33; /* spread the high bits into the slot index */
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

static topic_slot *probe_free(topic_slot *slots, size_t mask, uint64_t hash)
{
    size_t at = hash & mask;
    for (size_t n = 0; n < TOPIC_MAX_PROBE; n++, at = (at + 1) & mask)
        if (slots[at].index == 0)
            return &slots[at];
    return NULL;
}

/* Doubles the table (and the names array, which holds half as many). */
static int grow(batch *b)
{
    size_t nslots = b->topic_nslots ? b->topic_nslots * 2 : 64;
    topic_slot *slots = calloc(nslots, sizeof *slots), *old = b->topic_slots;
    char **names = realloc(b->topics, nslots / 2 * sizeof *names);
    if (names != NULL)
        b->topics = names;
    if (slots == NULL || names == NULL) {
        free(slots);
        return -1;
    }
    for (size_t i = 0; i < b->topic_nslots; i++) {
        topic_slot *t = old[i].index ? probe_free(slots, nslots - 1, old[i].hash) : NULL;
        if (t != NULL)
            *t = old[i];
    }
    free(old);
    b->topic_slots = slots;
    b->topic_nslots = nslots;
    return 0;
}

const char *batch_intern_topic(batch *b, const char *topic, size_t len)
{
    /* Records of one topic usually come together. */
    const char *last = b->ntopics ? b->topics[b->ntopics - 1] : NULL;
    if (last != NULL && strncmp(last, topic, len) == 0 && last[len] == '\0')
        return last;
    if (b->ntopics >= b->topic_nslots / 2 && grow(b) != 0)
        return NULL;
    topic_slot *slots = b->topic_slots, *free_slot = NULL;
    uint64_t hash = topic_hash(topic, len);
    size_t mask = b->topic_nslots - 1, at = hash & mask;
    for (size_t n = 0; n < TOPIC_MAX_PROBE; n++, at = (at + 1) & mask) {
        if (slots[at].index == 0) {
            free_slot = &slots[at];
            break;
        }
        const char *t = b->topics[slots[at].index - 1];
        if (slots[at].hash == hash && strncmp(t, topic, len) == 0 && t[len] == '\0')
            return t;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, topic, len);
    copy[len] = '\0';
    b->topics[b->ntopics++] = copy;
    if (free_slot != NULL)
        *free_slot = (topic_slot){hash, b->ntopics};
    return copy;
}

void batch_topics_free(batch *b)
{
    for (size_t i = 0; i < b->ntopics; i++)
        free(b->topics[i]);
    free(b->topics);
    free(b->topic_slots);
    b->topics = NULL;
    b->topic_slots = NULL;
    b->ntopics = b->topic_nslots = 0;
}
