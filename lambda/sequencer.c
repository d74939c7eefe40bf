/* sequencer.c: a lock and a ticket queue (see sequencer.h). */
#include "lambda/sequencer.h"

#include <string.h>

int sequencer_init(sequencer *s, int on)
{
    memset(s, 0, sizeof *s);
    s->on = on;
    if (!on)
        return 0;
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&s->turn, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        return -1;
    }
    return 0;
}

void sequencer_destroy(sequencer *s)
{
    if (s == NULL || !s->on)
        return;
    pthread_cond_destroy(&s->turn);
    pthread_mutex_destroy(&s->mu);
    s->on = 0;
}

void sequencer_lock(sequencer *s)
{
    if (s->on)
        pthread_mutex_lock(&s->mu);
}

void sequencer_unlock(sequencer *s)
{
    if (s->on)
        pthread_mutex_unlock(&s->mu);
}

uint64_t sequencer_ticket(sequencer *s)
{
    return s->next++;
}

void sequencer_wait_turn(sequencer *s, uint64_t ticket)
{
    if (!s->on)
        return;
    pthread_mutex_lock(&s->mu);
    while (s->serving != ticket)
        pthread_cond_wait(&s->turn, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void sequencer_done(sequencer *s)
{
    if (!s->on) {
        s->serving++;
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->serving++;
    pthread_cond_broadcast(&s->turn);
    pthread_mutex_unlock(&s->mu);
}
