"""connector_group.py: the connector stand-in's consumer group as its log
tells it, for `make demo` and tests/integration/fleet_test.py.

build/sink-connector -v writes one line each time the group gives a task its
partitions ("sink-connector: task N: assigned K partition(s): iris/0,iris/1"),
as a Kafka Connect worker logs each task consumer's newly assigned
partitions.  The group is stable when every task holds its latest assignment
and together they hold each partition of the topic exactly once.  Producing
before that lets a task that joined first take records that a later rebalance
moves to another task: records it had not committed are read again by their
new owner (at least once), and the stream waits while the group re-forms.

kafka-local's group coordinator (librdkafka's mock cluster) waits 3 s for the
members of a new group, like a broker's group.initial.rebalance.delay.ms
default (KIP-134); a member that joins after that starts a second rebalance,
which that coordinator completes only when its rebalance timer runs out, one
second short of the members' session.timeout.ms (librdkafka's default 45000
ms: 44 s).  A real broker completes it as soon as every member has rejoined.
So on a loaded machine the group took about 50 s to settle here, and twice
that when two members joined late.  Runs of several tasks against
kafka-local therefore pass KAFKA_LOCAL_GROUP (session.timeout.ms 10 s, above
the 6 s a broker accepts at the least: group.min.session.timeout.ms), so a
late member costs 9 s; heartbeats still go every 3 s from librdkafka's own
thread.  The stand-in's default stays the real consumers' 45 s.
"""
import re
import time

ASSIGNED = re.compile(r"^sink-connector: task (\d+): assigned \d+ partition\(s\): (.*)$",
                      re.MULTILINE)
SETTLE_TIMEOUT = 75.0
# build/sink-connector options for several tasks on kafka-local (see above).
KAFKA_LOCAL_GROUP = ["-X", "session.timeout.ms=10000"]


class GroupNotSettled(Exception):
    """The group did not settle in time, or the connector exited first.
    seen: the latest assignment of each task that had one."""

    def __init__(self, message, seen):
        super().__init__(message)
        self.seen = seen


def assignment_lines(log_text):
    """(task, [partition numbers]) for each assignment line, in log order."""
    return [(int(m.group(1)), sorted(int(p.rsplit("/", 1)[1]) for p in m.group(2).split(",") if p))
            for m in ASSIGNED.finditer(log_text)]


def assignments(log_text):
    """{task: sorted partitions}: each task's latest assignment."""
    return dict(assignment_lines(log_text))


def is_settled(latest, tasks, partitions):
    """Every task has an assignment and together they hold each of the
    partitions exactly once."""
    held = sorted(p for ps in latest.values() for p in ps)
    return len(latest) == tasks and held == list(range(partitions))


def describe(latest, tasks):
    """The assignments seen, one clause a task, for an error message."""
    return "; ".join(
        f"task {t}: " + (",".join(str(p) for p in latest[t]) or "no partition") if t in latest
        else f"task {t}: no assignment yet" for t in range(tasks))


def wait_settled(read_log, proc, tasks, partitions, timeout=SETTLE_TIMEOUT):
    """Waits until the group of proc (a subprocess.Popen of the stand-in, run
    with -v) is stable: tasks tasks holding partitions partitions.  read_log()
    returns its log so far.  Returns (assignments, the number of assignment
    lines so far: later ones are rebalances); raises GroupNotSettled naming
    what it saw when the connector exits first or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        text = read_log()
        latest = assignments(text)
        if is_settled(latest, tasks, partitions):
            return latest, len(assignment_lines(text))
        if proc.poll() is not None:
            raise GroupNotSettled(
                f"the connector exited (status {proc.returncode}) before its {tasks} task(s) "
                f"held the {partitions} partitions ({describe(latest, tasks)})", latest)
        if time.monotonic() >= deadline:
            raise GroupNotSettled(
                f"the connector's consumer group did not settle within {timeout:.0f} s: "
                f"{tasks} task(s) should hold partitions 0-{partitions - 1} once each, "
                f"seen {describe(latest, tasks)}", latest)
        time.sleep(0.1)
