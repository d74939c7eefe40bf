/* kafka-local: an embedded Kafka for local runs and tests.
 *
 * Runs librdkafka's mock cluster as a long-lived process: creates the brokers
 * and topics, prints the bootstrap address on stdout (and optionally writes it
 * to a file), serves fault-injection commands on a Unix socket, and runs until
 * SIGINT or SIGTERM.  Real Kafka clients connect to it over TCP on 127.0.0.1.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "tests/doubles/kafka_local_control.h"

#define MAX_TOPICS 64

struct topic_spec {
    char name[250];
    int partitions;
};

struct options {
    int brokers;
    struct topic_spec topics[MAX_TOPICS];
    int n_topics;
    const char *bootstrap_file;
    const char *control_path;
    int verbose;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: kafka-local [--brokers N] [--topic NAME:PARTITIONS]... "
               "[--bootstrap-file FILE] [--control SOCKET] [-v]\n"
               "\n"
               "An embedded Kafka cluster (librdkafka's mock cluster) listening on 127.0.0.1.\n"
               "Prints the bootstrap address on stdout and runs until SIGINT/SIGTERM.\n"
               "\n"
               "  --brokers N              number of brokers (default 3)\n"
               "  --topic NAME:PARTITIONS  create a topic (repeatable; default iris:3);\n"
               "                           other topics are auto-created on first use\n"
               "  --bootstrap-file FILE    also write the bootstrap address to FILE\n"
               "                           (written atomically once the cluster is up)\n"
               "  --control SOCKET         accept fault-injection commands on this Unix\n"
               "                           socket (see tests/doubles/kafka_local_control.h)\n"
               "  -v, --verbose            log the cluster's warnings and control commands\n"
               "  -h, --help               this help\n");
}

static int parse_topic(const char *arg, struct topic_spec *t)
{
    const char *colon = strrchr(arg, ':');
    size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
    char *end;
    long parts = 1;
    if (len == 0 || len >= sizeof(t->name))
        return -1;
    if (colon) {
        errno = 0;
        parts = strtol(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end || parts < 1 || parts > 10000)
            return -1;
    }
    memcpy(t->name, arg, len);
    t->name[len] = '\0';
    t->partitions = (int)parts;
    return 0;
}

/* Returns 0 to run, 1 for --help, -1 on a usage error (already reported). */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'B'},
        {"topic", required_argument, NULL, 't'},
        {"bootstrap-file", required_argument, NULL, 'f'},
        {"control", required_argument, NULL, 'c'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    memset(o, 0, sizeof(*o));
    o->brokers = 3;
    while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'B':
            errno = 0;
            o->brokers = (int)strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || o->brokers < 1 || o->brokers > 100) {
                fprintf(stderr, "kafka-local: --brokers: expected 1..100, got '%s'\n", optarg);
                return -1;
            }
            break;
        case 't':
            if (o->n_topics == MAX_TOPICS || parse_topic(optarg, &o->topics[o->n_topics]) != 0) {
                fprintf(stderr, "kafka-local: --topic: expected NAME:PARTITIONS, got '%s'\n",
                        optarg);
                return -1;
            }
            o->n_topics++;
            break;
        case 'f':
            o->bootstrap_file = optarg;
            break;
        case 'c':
            o->control_path = optarg;
            break;
        case 'v':
            o->verbose++;
            break;
        case 'h':
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kafka-local: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (o->n_topics == 0)
        parse_topic("iris:3", &o->topics[o->n_topics++]);
    return 0;
}

static int log_verbose;

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 4 || log_verbose)
        fprintf(stderr, "kafka-local: %s: %s\n", fac, buf);
}

/* Writes the bootstrap address to path through a temporary file and rename,
 * so a reader polling for the file never sees it half written. */
static int write_bootstrap_file(const char *path, const char *bootstraps)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int bad = fprintf(f, "%s\n", bootstraps) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int control_listen(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 8) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Serves one control connection: one reply line per command line, until the
 * peer closes or a stop signal arrives. */
static void control_serve(rd_kafka_mock_cluster_t *mcluster, int fd)
{
    char buf[8192];
    size_t used = 0;
    while (!stop_signal) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, 200);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
        if (n <= 0)
            return;
        used += (size_t)n;
        buf[used] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            char reply[512];
            *nl = '\0';
            control_execute(mcluster, line, reply, sizeof(reply));
            if (log_verbose)
                fprintf(stderr, "kafka-local: control: %s -> %s\n", line, reply);
            size_t rl = strlen(reply);
            reply[rl++] = '\n';
            if (write(fd, reply, rl) != (ssize_t)rl)
                return;
            line = nl + 1;
        }
        used = strlen(line);
        memmove(buf, line, used);
        if (used == sizeof(buf) - 1)
            return; /* a line longer than the buffer: drop the peer */
    }
}

static void wait_for_stop(rd_kafka_mock_cluster_t *mcluster, int listen_fd)
{
    while (!stop_signal) {
        if (listen_fd < 0) {
            pause();
            continue;
        }
        struct pollfd p = {.fd = listen_fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        control_serve(mcluster, fd);
        close(fd);
    }
}

int main(int argc, char **argv)
{
    struct options o;
    char errstr[512];
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mcluster = NULL;
    int listen_fd = -1;
    int status = 1;

    int pr = parse_options(argc, argv, &o);
    if (pr != 0) {
        if (pr > 0)
            usage(stdout);
        return pr > 0 ? 0 : 2;
    }
    log_verbose = o.verbose;

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "kafka-local: cannot create the librdkafka handle: %s\n", errstr);
        goto cleanup;
    }
    mcluster = rd_kafka_mock_cluster_new(rk, o.brokers);
    if (!mcluster) {
        fprintf(stderr, "kafka-local: cannot create a mock cluster of %d brokers\n", o.brokers);
        goto cleanup;
    }
    for (int i = 0; i < o.n_topics; i++) {
        int rf = o.brokers < 3 ? o.brokers : 3;
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(mcluster, o.topics[i].name, o.topics[i].partitions, rf);
        /* Spread the leaders round-robin so every broker serves produce
         * requests (the mock would pick them at random). */
        for (int p = 0; !err && p < o.topics[i].partitions; p++)
            err = rd_kafka_mock_partition_set_leader(mcluster, o.topics[i].name, p,
                                                     p % o.brokers + 1);
        if (err) {
            fprintf(stderr, "kafka-local: cannot create topic %s with %d partitions: %s\n",
                    o.topics[i].name, o.topics[i].partitions, rd_kafka_err2str(err));
            goto cleanup;
        }
    }
    if (o.control_path) {
        listen_fd = control_listen(o.control_path);
        if (listen_fd < 0) {
            fprintf(stderr, "kafka-local: cannot listen on control socket %s: %s\n", o.control_path,
                    strerror(errno));
            goto cleanup;
        }
    }

    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);
    if (o.bootstrap_file && write_bootstrap_file(o.bootstrap_file, bootstraps) != 0) {
        fprintf(stderr, "kafka-local: cannot write bootstrap file %s: %s\n", o.bootstrap_file,
                strerror(errno));
        goto cleanup;
    }
    printf("%s\n", bootstraps);
    fflush(stdout);
    if (o.verbose) {
        fprintf(stderr, "kafka-local: %d broker(s) at %s;", o.brokers, bootstraps);
        for (int i = 0; i < o.n_topics; i++)
            fprintf(stderr, " topic %s:%d", o.topics[i].name, o.topics[i].partitions);
        fprintf(stderr, "\n");
    }

    wait_for_stop(mcluster, listen_fd);
    if (o.verbose)
        fprintf(stderr, "kafka-local: stopping on signal %d\n", (int)stop_signal);
    status = 0;

cleanup:
    if (listen_fd >= 0) {
        close(listen_fd);
        unlink(o.control_path);
    }
    if (o.bootstrap_file && status == 0)
        unlink(o.bootstrap_file);
    if (mcluster)
        rd_kafka_mock_cluster_destroy(mcluster);
    if (rk)
        rd_kafka_destroy(rk);
    return status;
}
