/* alert_episode.h: the alerts of the sequential policy (an accuracy drop or
 * input drift found by lambda/monitor, and the notice that it ended), built
 * for alert_build_nth.  Internal to lambda/alert*.c. */
#ifndef IRIS_ALERT_EPISODE_H
#define IRIS_ALERT_EPISODE_H

#include "lambda/alert.h"

/* Builds the alert for monitor event ev of verdict v, for the batch b it was
 * found in.  Returns 0 or -1; the caller frees out with alert_free(). */
int alert_build_event(const alert_context *ctx, const batch *b, const evaluation *e,
                      const monitor_verdict *v, const monitor_event *ev, size_t max_message_bytes,
                      alert *out);

#endif
