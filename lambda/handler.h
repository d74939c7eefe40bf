/* handler.h: the iris scoring function: event -> batch -> score -> evaluate
 * -> alert -> response.  Composes the modules; knows nothing about HTTP. */
#ifndef IRIS_HANDLER_H
#define IRIS_HANDLER_H

#include <stddef.h>

#include "lambda/batch/batch.h"
#include "common/buf.h"
#include "lambda/evaluate.h"
#include "lambda/fleet.h"
#include "lambda/monitor.h"
#include "lambda/response.h"
#include "lambda/sequencer.h"
#include "runtime/runtime.h"
#include "model/model.h"

struct notifier;
struct monitor;
struct fleet_ddb;

/* What invocations share.  handler_invoke may run in several threads at once
 * (Lambda Managed Instances, AWS_LAMBDA_MAX_CONCURRENCY > 1): the model and
 * the configuration are read-only after handler_init; the monitor and the
 * order of the sequential alerts sit behind the sequencer; the SNS client is
 * safe to share; each invocation keeps its batch and its response in memory
 * of its own until the runtime has posted it. */
typedef struct handler_ctx {
    model *model;
    struct notifier *notifier;
    struct monitor *monitor; /* the sequential tests' state, kept across invocations */
    struct fleet_ddb *fleet; /* shared episodes (ALERT_STATE_TABLE), NULL when alone */
    char model_path[8192];
    char metrics_namespace[256];
    char function_name[256];
    sequencer seq; /* on when invocations run at once */
} handler_ctx;

/* Reads the configuration (see README "Configuration") and loads the model.
 * AWS_LAMBDA_MAX_CONCURRENCY above 1 makes the handler safe to call from
 * that many threads at once (the runtime validates the value).
 * On failure returns -1 with an init error type ("Runtime.InvalidModel",
 * "Runtime.InvalidConfiguration") and a specific message.  exe_path is
 * argv[0]'s resolved path, used to find model/iris-model.json beside it. */
int handler_init(handler_ctx *h, const char *exe_path, const char **err_type, char *err,
                 size_t errlen);
void handler_free(handler_ctx *h);

/* The runtime_handler. */
runtime_invocation_response handler_invoke(const runtime_invocation_request *req, void *ctx);

/* The batch summary as the inside of a JSON object (for log_fields), with
 * the invocation's X-Ray trace id when it has one ("" or NULL: none). */
int handler_write_summary(buf *out, const batch *b, const evaluation *e, const model *m,
                          const char *xray_trace_id);

/* A CloudWatch Embedded Metric Format document for the batch, with
 * AlertsPublished and AlertPublishFailures (the batch's alerts SNS accepted
 * and those that could not be published, usually 0 or 1; see
 * lambda/ALERTS.md), with a shared alert state (state not NULL)
 * AlertStateRequests and AlertStateFallbacks (requests to it, and tests decided
 * on local evidence because it failed; lambda/fleet.h) and, when v is not
 * NULL, the sequential tests' metrics (monitor_write_emf_names). */
int handler_write_emf(buf *out, const evaluation *e, const monitor_verdict *v, const char *ns,
                      const char *function_name, int64_t timestamp_ms, unsigned alerts_published,
                      unsigned alert_publish_failures, const fleet_counts *state);

#endif
