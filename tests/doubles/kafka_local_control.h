/* kafka_local_control: the fault-injection commands of kafka-local.
 *
 * kafka-local (an embedded librdkafka mock cluster) listens on a Unix socket
 * given with --control PATH.  Tests connect, write one command per line and
 * read one reply line per command: "ok" or "error: <reason>".
 *
 *   ping                                   -> ok
 *   request-errors APIKEY ERR[,ERR...]     the next requests of APIKEY fail
 *                                          with these errors, in order
 *   broker-errors BROKER APIKEY ERR:RTT[,ERR:RTT...]
 *                                          same, on one broker, each reply
 *                                          delayed by RTT ms
 *   pending-errors BROKER APIKEY           -> "ok N": broker-errors not yet
 *                                          served
 *   broker-down BROKER | broker-up BROKER  disconnect / accept again (-1 = all)
 *   rtt BROKER MS                          add MS of round-trip time (-1 = all)
 *   leader TOPIC PARTITION BROKER          move a partition's leader
 *
 * APIKEY is a number or one of produce, fetch, metadata, init-producer-id;
 * ERR is a librdkafka error name (NOT_LEADER_FOR_PARTITION, _TRANSPORT, ...)
 * or a number.
 */
#ifndef KAFKA_LOCAL_CONTROL_H
#define KAFKA_LOCAL_CONTROL_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Runs one command line (no trailing newline needed) against the cluster.
 * Returns 0 and writes "ok" to reply, or -1 and writes "error: ..." to reply. */
int control_execute(rd_kafka_mock_cluster_t *mcluster, const char *line, char *reply,
                    size_t replylen);

/* Looks up a librdkafka error by name (e.g. "NOT_LEADER_FOR_PARTITION",
 * "_TRANSPORT") or decimal number.  Returns 0 and sets *err, or -1. */
int control_parse_error(const char *name, rd_kafka_resp_err_t *err);

#endif
