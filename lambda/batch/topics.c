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

static uint64_t topic_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    h ^= h >> 33; /* spread the high bits into the slot index */
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

/* Doubles the table (and the names array, which holds half as many). */
static int grow(batch *b)
{
    size_t nslots = b->topic_nslots ? b->topic_nslots * 2 : 64;
    size_t *slots = calloc(nslots, sizeof *slots);
    char **names = realloc(b->topics, nslots / 2 * sizeof *names);
    if (slots == NULL || names == NULL) {
        free(slots);
        if (names != NULL)
            b->topics = names;
        return -1;
    }
    b->topics = names;
    for (size_t i = 0; i < b->ntopics; i++) {
        size_t at = topic_hash(names[i], strlen(names[i])) & (nslots - 1);
        for (size_t n = 0; n < TOPIC_MAX_PROBE && slots[at] != 0; n++)
            at = (at + 1) & (nslots - 1);
        if (slots[at] == 0)
            slots[at] = i + 1;
    }
    free(b->topic_slots);
    b->topic_slots = slots;
    b->topic_nslots = nslots;
    return 0;
}

const char *batch_intern_topic(batch *b, const char *topic, size_t len)
{
    if (b->ntopics >= b->topic_nslots / 2 && grow(b) != 0)
        return NULL;
    size_t mask = b->topic_nslots - 1, at = topic_hash(topic, len) & mask;
    size_t *free_slot = NULL;
    for (size_t n = 0; n < TOPIC_MAX_PROBE; n++, at = (at + 1) & mask) {
        size_t i = b->topic_slots[at];
        if (i == 0) {
            free_slot = &b->topic_slots[at];
            break;
        }
        const char *t = b->topics[i - 1];
        if (strncmp(t, topic, len) == 0 && t[len] == '\0')
            return t;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, topic, len);
    copy[len] = '\0';
    b->topics[b->ntopics++] = copy;
    if (free_slot != NULL)
        *free_slot = b->ntopics;
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
