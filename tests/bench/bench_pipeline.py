"""Whole-pipeline benchmark: replay and `huntline run` on a real broker, side by side with a plain
librdkafka consumer of the same topics. Prints a Markdown table (tests/bench/README.md).

    tests/bench/run.sh [EVENTS]
"""
import json
import os
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
STEADY = 20_000        # events produced at a steady pace after the backlog, for latency
STEADY_RATE = 5_000    # events per second
RAW = os.environ.get("HUNTLINE_RAW_CONSUME", str(pathlib.Path(harness.HUNTLINE).parents[1] / "tests" / "raw_consume"))


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


def consumed(listen, topics):
    figures = harness.parse_exposition(harness.scrape(listen))
    return sum(v for k, v in figures.items() if k.startswith("huntline_events_total{")
               and ('topic="%s"' % topics["crm"] in k or 'topic="%s"' % topics["people"] in k))


def main():
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

        # 2. The same events on the broker.
        topics = {"org": "bench.org", "crm": "bench.crm", "people": "bench.people",
                  "dead_letter": "bench.dead-letter"}
        harness.create_topics(broker, {topics["org"]: 1, topics["crm"]: 3, topics["people"]: 3,
                                       topics["dead_letter"]: 1})
        harness.produce_lines(broker, backlog, topics)
        non_org = sum(1 for line in backlog if json.loads(line)["type"] not in harness.ORG_TYPES)

        def raw(group):
            out = subprocess.run([RAW, broker, group, str(non_org), topics["crm"], topics["people"]],
                                 check=True, capture_output=True, text=True)
            return json.loads(out.stdout)["per_second"]

        raw_before = raw("raw-before")

        listen = f"127.0.0.1:{harness.free_port()}"
        config = harness.write_config(work / "run.json", broker, topics, work / "state", listen,
                                      group="bench", extra={"batch": {"max_events": 20000,
                                                                      "max_wait_ms": 200}})
        with harness.huntline_run(config, work / "run.log", listen) as proc:
            start = time.perf_counter()
            harness.wait_for(lambda: consumed(listen, topics) >= non_org, 600, "the backlog")
            run_s = time.perf_counter() - start
            backlog_latency = histogram(listen, "huntline_processing_latency_seconds")
            commits = histogram(listen, "huntline_commit_duration_seconds")

            # Steady state: events arriving at a pace the engine keeps up with.
            before = histogram(listen, "huntline_processing_latency_seconds")
            steady_non_org = sum(1 for line in steady if json.loads(line)["type"] not in harness.ORG_TYPES)
            chunk = STEADY_RATE // 10
            for i in range(0, len(steady), chunk):
                harness.produce_lines(broker, steady[i:i + chunk], topics)
                time.sleep(0.1)
            harness.wait_for(lambda: consumed(listen, topics) >= non_org + steady_non_org, 120, "steady events")
            after = histogram(listen, "huntline_processing_latency_seconds")
            delta = {b: after[b] - before.get(b, 0) for b in after}
            peak_mb = int(next(line.split()[1] for line in open(f"/proc/{proc.pid}/status")
                               if line.startswith("VmHWM"))) / 1024

        raw_after = raw("raw-after")
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
        ]
        print("| measure | result | notes |\n|---|---|---|")
        for row in rows:
            print("| %s | %s | %s |" % row)


if __name__ == "__main__":
    main()
