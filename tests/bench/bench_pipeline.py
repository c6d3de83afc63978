"""Whole-pipeline benchmark: replay and `huntline run` on a real broker, side by side with a plain
librdkafka consumer of the same topics. Prints a Markdown table (tests/bench/README.md).

    tests/bench/run.sh [EVENTS]                 builds the release preset, then runs this
    HUNTLINE_BIN=… HUNTLINE_RAW_CONSUME=… bench_pipeline.py [EVENTS]    any build, as it is

HUNTLINE_RAW_CONSUME defaults to tests/raw_consume beside HUNTLINE_BIN's app/ directory.
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
STEADY = 20_000        # events produced at a steady pace after the backlog, for latency
STEADY_RATE = 5_000    # events per second
RAW = os.environ.get("HUNTLINE_RAW_CONSUME", str(pathlib.Path(harness.HUNTLINE).parents[1] / "tests" / "raw_consume"))
RAW_TIMEOUT_S = 600    # raw_consume waits for every message: a missing one must not hang the run


def histogram(listen, name):
    """Cumulative buckets {le: count} of a histogram at /metrics."""
    out = {}
    for series, value in harness.parse_exposition(harness.scrape(listen)).items():
        if series.startswith(name + "_bucket{"):
            le = series.split('le="')[1].split('"')[0]
            out[float("inf") if le == "+Inf" else float(le)] = value
    return out


def quantile(buckets, q):
    """histogram_quantile's linear interpolation inside the bucket."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total == 0:
        return float("nan")
    rank, prev_bound, prev_count = q * total, 0.0, 0.0
    for b in bounds:
        if buckets[b] >= rank:
            if b == float("inf"):
                return prev_bound
            return prev_bound + (b - prev_bound) * (rank - prev_count) / max(buckets[b] - prev_count, 1e-9)
        prev_bound, prev_count = b, buckets[b]
    return bounds[-1]


def by_result(figures, topics):
    """crm+people events counted at /metrics, by result (accepted, late, …)."""
    out = {}
    for k, v in figures.items():
        if k.startswith("huntline_events_total{") and \
                ('topic="%s"' % topics["crm"] in k or 'topic="%s"' % topics["people"] in k):
            result = k.split('result="')[1].split('"')[0]
            out[result] = out.get(result, 0) + v
    return out


def consumed(listen, topics):
    return sum(by_result(harness.parse_exposition(harness.scrape(listen)), topics).values())


def published(listen, count):
    """True once `count` consumed events are visible at /metrics: the latency histogram observes
    each consumed event when the snapshot holding it is published, after its batch committed
    (the event counters move earlier, as each event is handled)."""
    return histogram(listen, "huntline_processing_latency_seconds").get(float("inf"), 0) >= count


def wait_running(proc, log, predicate, timeout, what):
    """harness.wait_for, failing at once with the log's tail if `huntline run` exits."""
    def check():
        if proc.poll() is not None:
            raise SystemExit("huntline run exited with status %s while waiting for %s; its log ends:\n%s"
                             % (proc.returncode, what, pathlib.Path(log).read_text()[-4000:]))
        return predicate()
    return harness.wait_for(check, timeout, what)


def history_records(broker, topic):
    """(records, bytes of the largest) on the history topic, read from its beginning to its end."""
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": broker, "group.id": "bench-history",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        count, largest, deadline = 0, 0, time.time() + 120
        remaining = {p for p, end in ends.items() if end > 0}
        while remaining and time.time() < deadline:
            message = consumer.poll(1.0)
            if message is None or message.error():
                continue
            count += 1
            largest = max(largest, len(message.value() or b""))
            if message.offset() + 1 >= ends[message.partition()]:
                remaining.discard(message.partition())
        return count, largest
    finally:
        consumer.close()


def family_sum(figures, name):
    return sum(v for k, v in figures.items() if k == name or k.startswith(name + "{"))


def main():
    for binary in (harness.HUNTLINE, RAW):
        if not os.access(binary, os.X_OK):
            sys.exit(f"bench_pipeline.py: no executable {binary} (build it, or set HUNTLINE_BIN and "
                     "HUNTLINE_RAW_CONSUME; tests/bench/run.sh builds the release preset)")
    with harness.workdir("bench") as work, harness.kafka_broker(work) as broker:
        events = work / "events.jsonl"
        subprocess.run([harness.HUNTLINE, "generate", "--events", str(EVENTS + STEADY), "--out", str(events)],
                       check=True)
        lines = events.read_text().splitlines()
        backlog, steady = lines[:EVENTS], lines[EVENTS:]

        # 1. Replay of the whole file.
        replay_file = work / "replay.jsonl"
        replay_file.write_text("\n".join(backlog) + "\n")
        start = time.perf_counter()
        # GNU time reports the replay's own peak (a forked child's rusage would count the
        # benchmark's memory from before exec).
        replay = subprocess.run(["/usr/bin/time", "-f", "%M", harness.HUNTLINE, "replay", "--input",
                                 str(replay_file), "--metrics-out", str(work / "replay.prom")],
                                check=True, capture_output=True, text=True)
        replay_s = time.perf_counter() - start
        replay_rss_mb = int(replay.stderr.strip().splitlines()[-1]) / 1024
        replay_figures = harness.parse_exposition((work / "replay.prom").read_text())

        # 2. The same events on the broker.
        topics = {"org": "bench.org", "crm": "bench.crm", "people": "bench.people",
                  "dead_letter": "bench.dead-letter", "history": "bench.history"}
        harness.create_topics(broker, {topics["org"]: 1, topics["crm"]: 3, topics["people"]: 3,
                                       topics["dead_letter"]: 1})
        harness.create_topics(broker, {topics["history"]: 3}, compacted=[topics["history"]])
        harness.produce_lines(broker, backlog, topics)
        non_org = sum(1 for line in backlog if json.loads(line)["type"] not in harness.ORG_TYPES)

        def raw(group):
            out = subprocess.run([RAW, broker, group, str(non_org), topics["crm"], topics["people"]],
                                 check=True, capture_output=True, text=True, timeout=RAW_TIMEOUT_S)
            return json.loads(out.stdout)["per_second"]

        raw_before = raw("raw-before")

        listen = f"127.0.0.1:{harness.free_port()}"
        # Engine time follows event time, as in replay and the demo: over a generated history the
        # wall clock would settle every protected block on arrival, and the calendar work would
        # not be measured.
        config = harness.write_config(work / "run.json", broker, topics, work / "state", listen,
                                      group="bench", extra={"engine_time": "event_time",
                                                            "batch": {"max_events": 20000,
                                                                      "max_wait_ms": 200}})
        run_log = work / "run.log"
        with harness.huntline_run(config, run_log, listen) as proc:
            start = time.perf_counter()
            wait_running(proc, run_log, lambda: consumed(listen, topics) >= non_org, 600, "the backlog")
            run_s = time.perf_counter() - start
            wait_running(proc, run_log, lambda: published(listen, non_org), 60, "the backlog published")
            # Every task caught up and engine time moved on to the backlog's end (the caught-up
            # check runs every 250 ms): the figures no longer change.
            settled = []

            def stable():
                figures = harness.parse_exposition(harness.scrape(listen))
                settled.append(figures)
                computed = lambda f: {k: v for k, v in f.items() if k.split("{")[0] in harness.COMPUTED_FAMILIES}
                return (figures.get("huntline_catching_up_partitions") == 0 and len(settled) > 1
                        and computed(settled[-2]) == computed(figures))
            wait_running(proc, run_log, lambda: stable() or time.sleep(0.5), 60, "the backlog's figures settled")
            backlog_figures = settled[-1]
            backlog_results = by_result(backlog_figures, topics)
            backlog_latency = histogram(listen, "huntline_processing_latency_seconds")
            commits = histogram(listen, "huntline_commit_duration_seconds")

            # Steady state: events arriving at a pace the engine keeps up with.
            before = histogram(listen, "huntline_processing_latency_seconds")
            steady_non_org = sum(1 for line in steady if json.loads(line)["type"] not in harness.ORG_TYPES)
            chunk = STEADY_RATE // 10
            for i in range(0, len(steady), chunk):
                harness.produce_lines(broker, steady[i:i + chunk], topics)
                time.sleep(0.1)
            wait_running(proc, run_log, lambda: consumed(listen, topics) >= non_org + steady_non_org, 120, "steady events")
            wait_running(proc, run_log, lambda: published(listen, non_org + steady_non_org), 60, "steady events published")
            after = histogram(listen, "huntline_processing_latency_seconds")
            delta = {b: after[b] - before.get(b, 0) for b in after}
            peak_mb = int(next(line.split()[1] for line in open(f"/proc/{proc.pid}/status")
                               if line.startswith("VmHWM"))) / 1024

        raw_after = raw("raw-after")
        history_count, history_largest = history_records(broker, topics["history"])
        raw_rate = (raw_before + raw_after) / 2
        run_rate = non_org / run_s
        rows = [
            ("replay, %d events (1 process, no Kafka)" % EVENTS, "%.0f events/s" % (EVENTS / replay_s),
             "%.2f s; peak RSS %.0f MiB" % (replay_s, replay_rss_mb)),
            ("raw librdkafka consume of crm+people, same broker", "%.0f msg/s" % raw_rate,
             "mean of before (%.0f) and after (%.0f) the run" % (raw_before, raw_after)),
            ("`huntline run` from the broker, %d crm+people events" % non_org, "%.0f events/s" % run_rate,
             "%.2f × the raw consume rate; %.2f s" % (run_rate / raw_rate, run_s)),
            ("event→metric latency, backlog (p50 / p99)",
             "%.0f / %.0f ms" % (quantile(backlog_latency, .5) * 1000, quantile(backlog_latency, .99) * 1000),
             "consumed → visible at /metrics, while draining the backlog"),
            ("event→metric latency, steady %d events/s (p50 / p99)" % STEADY_RATE,
             "%.0f / %.0f ms" % (quantile(delta, .5) * 1000, quantile(delta, .99) * 1000),
             "batches close after 200 ms; the snapshot is rebuilt every 500 ms"),
            ("RocksDB commit per batch, backlog (p50 / p99)",
             "%.0f / %.0f ms" % (quantile(commits, .5) * 1000, quantile(commits, .99) * 1000),
             "%d batches; each writes the changed state, metric series and offsets" % commits[float("inf")]),
            ("`huntline run` peak memory", "%.0f MiB" % peak_mb, "VmHWM"),
            ("history records sent by `huntline run` (largest)",
             "%d (%.2f MiB)" % (history_count, history_largest / 2**20),
             "on the compacted history topic, Kafka's default 1 MB message limit; a day record "
             "over 256 KiB goes in parts"),
            ("`huntline run` backlog events by result",
             ", ".join("%s %d" % (r, n) for r, n in sorted(backlog_results.items(), key=lambda x: -x[1])
                       if n or r in ("accepted", "late")),
             "`huntline_events_total` of crm+people; replay's summary, all events: " + ", ".join(
                 "%s %s" % (r, n) for n, r in re.findall(r"(\d+) (accepted|duplicate|stale|late|rejected)",
                                                        replay.stderr) if n != "0" or r in ("accepted", "late"))),
            ("protected time settled, replay / run (hours)",
             "%.0f / %.0f" % (family_sum(replay_figures, "huntline_protected_seconds_total") / 3600,
                              family_sum(backlog_figures, "huntline_protected_seconds_total") / 3600),
             "`huntline_protected_seconds_total` after the same backlog, both in event time"),
        ]
        print("| measure | result | notes |\n|---|---|---|")
        for row in rows:
            print("| %s | %s | %s |" % row)


if __name__ == "__main__":
    main()
