/* kafka_local_control: parse and run kafka-local's fault-injection commands. */
#include "tests/doubles/kafka_local_control.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ERRORS 256
#define MAX_WORDS 6

static const struct {
    const char *name;
    int16_t key;
} api_names[] = {
    {"produce", 0},           {"fetch", 1},         {"list-offsets", 2},      {"metadata", 3},
    {"find-coordinator", 10}, {"api-versions", 18}, {"init-producer-id", 22},
};

/* Parses a whole decimal integer in [min, max]. */
static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int control_parse_error(const char *name, rd_kafka_resp_err_t *err)
{
    long code;
    if (parse_long(name, -200, 200, &code) == 0) {
        *err = (rd_kafka_resp_err_t)code;
        return 0;
    }
    const struct rd_kafka_err_desc *descs;
    size_t n;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++) {
        if (descs[i].name && strcmp(descs[i].name, name) == 0) {
            *err = descs[i].code;
            return 0;
        }
    }
    return -1;
}

static int parse_api_key(const char *s, int16_t *key)
{
    long v;
    if (parse_long(s, 0, 100, &v) == 0) {
        *key = (int16_t)v;
        return 0;
    }
    for (size_t i = 0; i < sizeof(api_names) / sizeof(api_names[0]); i++) {
        if (strcmp(api_names[i].name, s) == 0) {
            *key = api_names[i].key;
            return 0;
        }
    }
    return -1;
}

/* Parses "ERR[:RTT],ERR[:RTT]..." into errs (and rtts when not NULL).
 * Returns the count, or -1 with a reason in reply. */
static int parse_error_list(char *list, rd_kafka_resp_err_t *errs, int *rtts, char *reply,
                            size_t replylen)
{
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == MAX_ERRORS) {
            snprintf(reply, replylen, "error: more than %d errors", MAX_ERRORS);
            return -1;
        }
        char *colon = strchr(tok, ':');
        long rtt = 0;
        if (colon) {
            *colon = '\0';
            if (!rtts || parse_long(colon + 1, 0, 600000, &rtt) != 0) {
                snprintf(reply, replylen, "error: bad round-trip time '%s'", colon + 1);
                return -1;
            }
        }
        if (control_parse_error(tok, &errs[n]) != 0) {
            snprintf(reply, replylen, "error: unknown error name '%s'", tok);
            return -1;
        }
        if (rtts)
            rtts[n] = (int)rtt;
        n++;
    }
    if (n == 0)
        snprintf(reply, replylen, "error: empty error list");
    return n ? n : -1;
}

/* Pushes errors with round-trip times on one broker: the mock API is
 * variadic only, so push them one pair at a time. */
static rd_kafka_resp_err_t push_broker_errors(rd_kafka_mock_cluster_t *mcluster, int32_t broker,
                                              int16_t key, const rd_kafka_resp_err_t *errs,
                                              const int *rtts, int n)
{
    for (int i = 0; i < n; i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_broker_push_request_error_rtts(mcluster, broker, key,
                                                                             1, errs[i], rtts[i]);
        if (e)
            return e;
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

int control_execute(rd_kafka_mock_cluster_t *mcluster, const char *line, char *reply,
                    size_t replylen)
{
    char buf[4096];
    char *words[MAX_WORDS];
    int nw = 0;
    rd_kafka_resp_err_t errs[MAX_ERRORS];
    int rtts[MAX_ERRORS];
    rd_kafka_resp_err_t res = RD_KAFKA_RESP_ERR_NO_ERROR;
    long broker = 0, num = 0;
    int16_t key = 0;

    if (strlen(line) >= sizeof(buf)) {
        snprintf(reply, replylen, "error: command too long");
        return -1;
    }
    strcpy(buf, line);
    char *save = NULL;
    for (char *w = strtok_r(buf, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (nw == MAX_WORDS) {
            snprintf(reply, replylen, "error: too many arguments");
            return -1;
        }
        words[nw++] = w;
    }
    if (nw == 0) {
        snprintf(reply, replylen, "error: empty command");
        return -1;
    }
    const char *cmd = words[0];

    if (strcmp(cmd, "ping") == 0 && nw == 1) {
        /* nothing to do */
    } else if (strcmp(cmd, "request-errors") == 0 && nw == 3) {
        if (parse_api_key(words[1], &key) != 0) {
            snprintf(reply, replylen, "error: unknown api key '%s'", words[1]);
            return -1;
        }
        int n = parse_error_list(words[2], errs, NULL, reply, replylen);
        if (n < 0)
            return -1;
        rd_kafka_mock_push_request_errors_array(mcluster, key, (size_t)n, errs);
    } else if (strcmp(cmd, "broker-errors") == 0 && nw == 4) {
        if (parse_long(words[1], 1, 1000, &broker) != 0 || parse_api_key(words[2], &key) != 0) {
            snprintf(reply, replylen, "error: usage: broker-errors BROKER APIKEY ERR:RTT,...");
            return -1;
        }
        int n = parse_error_list(words[3], errs, rtts, reply, replylen);
        if (n < 0)
            return -1;
        res = push_broker_errors(mcluster, (int32_t)broker, key, errs, rtts, n);
    } else if (strcmp(cmd, "pending-errors") == 0 && nw == 3) {
        size_t cnt = 0;
        if (parse_long(words[1], 1, 1000, &broker) != 0 || parse_api_key(words[2], &key) != 0) {
            snprintf(reply, replylen, "error: usage: pending-errors BROKER APIKEY");
            return -1;
        }
        res = rd_kafka_mock_broker_error_stack_cnt(mcluster, (int32_t)broker, key, &cnt);
        if (!res) {
            snprintf(reply, replylen, "ok %zu", cnt);
            return 0;
        }
    } else if ((strcmp(cmd, "broker-down") == 0 || strcmp(cmd, "broker-up") == 0) && nw == 2) {
        if (parse_long(words[1], -1, 1000, &broker) != 0) {
            snprintf(reply, replylen, "error: bad broker id '%s'", words[1]);
            return -1;
        }
        res = cmd[7] == 'd' ? rd_kafka_mock_broker_set_down(mcluster, (int32_t)broker)
                            : rd_kafka_mock_broker_set_up(mcluster, (int32_t)broker);
    } else if (strcmp(cmd, "rtt") == 0 && nw == 3) {
        if (parse_long(words[1], -1, 1000, &broker) != 0 ||
            parse_long(words[2], 0, 600000, &num) != 0) {
            snprintf(reply, replylen, "error: usage: rtt BROKER MS");
            return -1;
        }
        res = rd_kafka_mock_broker_set_rtt(mcluster, (int32_t)broker, (int)num);
    } else if (strcmp(cmd, "leader") == 0 && nw == 4) {
        if (parse_long(words[2], 0, 100000, &num) != 0 ||
            parse_long(words[3], -1, 1000, &broker) != 0) {
            snprintf(reply, replylen, "error: usage: leader TOPIC PARTITION BROKER");
            return -1;
        }
        res = rd_kafka_mock_partition_set_leader(mcluster, words[1], (int32_t)num, (int32_t)broker);
    } else {
        snprintf(reply, replylen, "error: unknown command or wrong arguments: '%s'", cmd);
        return -1;
    }

    if (res) {
        snprintf(reply, replylen, "error: %s: %s", cmd, rd_kafka_err2str(res));
        return -1;
    }
    snprintf(reply, replylen, "ok");
    return 0;
}
