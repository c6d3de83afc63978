"""Changelog benchmark: what logging every task's changes to Kafka in transactions costs, and how
long an instance with an empty state directory takes to restore every partition from the
changelogs, on a real broker (README.md here has the table).

    HUNTLINE_BIN=… tests/bench/changelog.py [EVENTS] [--partitions N] [--rounds N]

1. The stream (`huntline generate --events EVENTS`) is written to fresh topics once.
2. `huntline run` reads it as a backlog (engine time following event time) with `kafka.changelog`
   on and off, alternated `--rounds` times, each in a group and state directory of its own:
   crm+people events/s of each, and their ratio.
3. Failover, with and without standby copies (`kafka.num_standby_replicas` 1 and 0): two
   instances share the partitions and read the stream; once settled (and the copies caught up),
   one is killed (SIGKILL): the changelog messages the other restores taking its partitions over,
   and the seconds from the kill until it has every partition published again (the group's
   `session.timeout.ms`, 10 s here, is part of it).
4. Every input record is deleted (as retention would), and a new instance with an empty state
   directory joins the group of the last run with the changelog: the changelog messages it
   restores, the seconds the restores took (from its log), and the seconds from its start until
   every partition is published again.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402
from test_live_equals_replay import Instances, fresh_topics  # noqa: E402

RESTORED = re.compile(r"; (\d+) records restored from (\S+) in ([0-9.e+-]+) s")


def engine_figures(listen):
    return harness.parse_exposition(harness.scrape(listen))


def read_events(figures, topics):
    return sum(v for k, v in figures.items() if k.startswith("huntline_events_total{") and
               ('topic="%s"' % topics["crm"] in k or 'topic="%s"' % topics["people"] in k))


def settled(figures, partitions):
    return (figures.get("huntline_catching_up_partitions") == 0 and
            figures.get("huntline_assigned_partitions") == partitions + 1 and
            figures.get("huntline_crm_publisher") == 1 and
            all(v == 0 for k, v in figures.items() if k.startswith("huntline_consumer_lag_messages")))


def run(work, broker, topics, name, partitions, non_org, changelog):
    """One `huntline run` over the whole stream: its crm+people events/s."""
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(work / f"{name}.json", broker, topics, work / f"state-{name}", listen,
                                  group=name,
                                  extra={"engine_time": "event_time", "kafka": {"changelog": changelog},
                                         "batch": {"max_events": 20000, "max_wait_ms": 200}})
    start = time.perf_counter()
    with harness.huntline_run(config, work / f"{name}.log", listen) as proc:
        while True:
            if proc.poll() is not None:
                sys.exit(f"huntline run {name} exited; its log ends:\n" + (work / f"{name}.log").read_text()[-3000:])
            figures = engine_figures(listen)
            if read_events(figures, topics) >= non_org and settled(figures, partitions):
                break
            if time.perf_counter() - start > 3600:
                sys.exit(f"huntline run {name} did not read the stream in an hour")
            time.sleep(0.5)
        return non_org / (time.perf_counter() - start)


def failover(work, broker, topics, partitions, standbys):
    """Two instances read the stream; one is killed: (changelog messages the other restores, seconds
    from the kill until every partition is published by the other)."""
    name = "failover-%d" % standbys
    (work / name).mkdir()
    with Instances(broker, topics, work / name, "xy", group=name,
                   extra={"kafka": {"num_standby_replicas": standbys},
                          "batch": {"max_events": 20000, "max_wait_ms": 200}}) as instances:
        instances.start("x")
        instances.start("y")
        x, y = instances.listens["x"], instances.listens["y"]

        def shared():
            figures = [engine_figures(x), engine_figures(y)]
            owned = [f.get("huntline_assigned_partitions", 0) - 1 for f in figures]
            # Each owns some: a look taken before the second has joined the group would count
            # the restores of its first assignment as the failover's.
            return (sum(owned) == partitions and min(owned) > 0 and sum(f.get("huntline_crm_publisher", 0) for f in figures) == 1 and
                    all(f.get("huntline_catching_up_partitions") == 0 for f in figures) and
                    all(v == 0 for f in figures for k, v in f.items()
                        if k.startswith("huntline_consumer_lag_messages")))
        harness.wait_for(shared, 3600, "both instances caught up")
        if standbys:
            def copies_still():
                first = engine_figures(y).get("huntline_standby_records_total", 0)
                time.sleep(2)
                return first > 0 and engine_figures(y).get("huntline_standby_records_total", 0) == first
            harness.wait_for(copies_still, 600, "the standby copies caught up")
        before = engine_figures(y)
        restored_before = sum(v for k, v in before.items() if k.startswith("huntline_restored_records_total{"))
        y_log = next((work / name).glob("y-*.log"))
        log_before = len(y_log.read_text())
        start = time.perf_counter()
        instances.kill("x")
        harness.wait_for(lambda: engine_figures(y).get("huntline_assigned_partitions") == partitions + 1, 3600,
                         "the survivor given every partition")
        assigned = time.perf_counter() - start
        harness.wait_for(lambda: settled(engine_figures(y), partitions), 3600, "the survivor publishing everything")
        seconds = time.perf_counter() - start
        after = engine_figures(y)
        restored = sum(v for k, v in after.items() if k.startswith("huntline_restored_records_total{"))
        restore_seconds = sum(float(m.group(3)) for m in RESTORED.finditer(y_log.read_text()[log_before:]))
    return restored - restored_before, assigned, seconds, restore_seconds


def restore(work, broker, topics, group, partitions):
    """A new, empty instance in `group` once the input is gone: (records restored, seconds the
    restores took, seconds until every partition is published)."""
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(work / "restorer.json", broker, topics, work / "state-restorer", listen,
                                  group=group, extra={"engine_time": "event_time"})
    log = work / "restorer.log"
    start = time.perf_counter()
    with harness.huntline_run(config, log, listen, healthy_within=3600):
        harness.wait_for(lambda: settled(engine_figures(listen), partitions), 3600,
                         "every partition restored and published")
        until_published = time.perf_counter() - start
        figures = engine_figures(listen)
    restored = sum(v for k, v in figures.items() if k.startswith("huntline_restored_records_total{"))
    seconds = sum(float(m.group(3)) for m in RESTORED.finditer(log.read_text()))
    return restored, seconds, until_published


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    with harness.workdir("changelog-bench") as work, harness.kafka_broker(work) as broker:
        path = work / "events.jsonl"
        subprocess.run([harness.HUNTLINE, "generate", "--events", str(args.events), "--out", str(path)],
                       check=True, capture_output=True)
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        non_org = sum(1 for line in lines if json.loads(line)["type"] not in harness.ORG_TYPES)
        topics = fresh_topics(broker, "bench", args.partitions)
        assert harness.produce_lines(broker, lines, topics) == len(lines)

        rates = {True: [], False: []}
        for r in range(args.rounds):
            for changelog in (True, False):
                name = f"{'logged' if changelog else 'unlogged'}-{r}"
                rates[changelog].append(run(work, broker, topics, name, args.partitions, non_org, changelog))
        failovers = {standbys: failover(work, broker, topics, args.partitions, standbys) for standbys in (1, 0)}
        for kind in ("crm", "people"):
            for p in range(args.partitions):
                harness.delete_records(broker, topics[kind], p)
        restored, seconds, until_published = restore(work, broker, topics, f"logged-{args.rounds - 1}",
                                                     args.partitions)

    logged = " / ".join("%.0f" % x for x in rates[True])
    unlogged = " / ".join("%.0f" % x for x in rates[False])
    ratio = " / ".join("%.2f" % (a / b) for a, b in zip(rates[True], rates[False]))
    rows = [
        ("stream", "%d events, %d crm+people; %d+%d partitions" % (len(lines), non_org, args.partitions,
                                                                  args.partitions),
         "`huntline generate --events %d`" % args.events),
        ("`huntline run` with changelogs (transactions): crm+people events/s", logged,
         "event time, one instance, read as a backlog; one value per round"),
        ("`huntline run` without (`kafka.changelog: false`)", unlogged, "alternated with the above"),
        ("ratio with / without", ratio, "per round"),
        ("failover without standby copies: kill -9 to every partition published by the other",
         "%.1f s; %d changelog messages restored in %.2f s" % (failovers[0][2], failovers[0][0], failovers[0][3]),
         "two instances; the group's session timeout (10 s) is most of it"),
        ("failover with a standby copy (`num_standby_replicas` 1)",
         "%.1f s; %d changelog messages restored in %.2f s" % (failovers[1][2], failovers[1][0], failovers[1][3]),
         "the same, the survivor keeping copies of the other's partitions"),
        ("restore of every partition by an empty instance", "%d messages in %.1f s (%.0f messages/s)" % (
            restored, seconds, restored / max(seconds, 1e-9)), "input deleted first: all from the changelogs"),
        ("empty instance: start to every partition published", "%.1f s" % until_published,
         "org topic read, restores, group joined"),
    ]
    harness.print_table(rows)


if __name__ == "__main__":
    main()
