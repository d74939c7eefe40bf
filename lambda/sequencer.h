/* sequencer.h: the one lock of a handler shared by concurrent invocations
 * (Lambda Managed Instances), and tickets that keep the order of what is done
 * outside it.
 *
 * Workers take the lock for bookkeeping only (feeding the monitor, taking a
 * ticket) and never across I/O.  A worker whose batch raised alerts takes a
 * ticket under the lock; it then publishes when every earlier ticket is done,
 * without holding the lock, so alerts reach SNS in the order the monitor
 * decided them (an episode's alarm before its recovery) while workers without
 * alerts go on.  A sequencer made with on = 0 (classic Lambda: one invocation
 * at a time) takes no lock and never waits.
 */
#ifndef IRIS_SEQUENCER_H
#define IRIS_SEQUENCER_H

#include <pthread.h>
#include <stdint.h>

typedef struct sequencer {
    int on;
    pthread_mutex_t mu;
    pthread_cond_t turn;
    uint64_t next;    /* the next ticket to hand out */
    uint64_t serving; /* the ticket whose turn it is */
} sequencer;

/* Returns 0, or -1 when the lock could not be created. */
int sequencer_init(sequencer *s, int on);
void sequencer_destroy(sequencer *s);

void sequencer_lock(sequencer *s);
void sequencer_unlock(sequencer *s);

/* With the lock held: the next ticket. */
uint64_t sequencer_ticket(sequencer *s);
/* Without the lock: waits until every earlier ticket is done. */
void sequencer_wait_turn(sequencer *s, uint64_t ticket);
/* Without the lock: ends the turn of the ticket returned by the last
 * sequencer_wait_turn (each ticket must be waited for and ended once). */
void sequencer_done(sequencer *s);

#endif
