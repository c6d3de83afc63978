"""Whole-pipeline benchmark: replay and `huntline run` on a real broker, side by side with a plain
librdkafka consumer of the same topics. Prints a Markdown table (tests/bench/README.md).

    tests/bench/run.sh [EVENTS]                 builds the release preset, then runs this
    HUNTLINE_BIN=… HUNTLINE_RAW_CONSUME=… bench_pipeline.py [EVENTS] [--peer]    any build, as it is

HUNTLINE_RAW_CONSUME defaults to tests/raw_consume beside HUNTLINE_BIN's app/ directory.
HUNTLINE_BENCH_CONFIG, a JSON object, is merged into `huntline run`'s configuration at the top
level (to try a setting against the defaults; a `batch` there replaces the benchmark's).

--peer also runs the Kafka Streams peer (tests/bench/peer, issue 16) on the same broker and
topics after `huntline run`, twice, each alone: its exact topology, whose counts are compared with
huntline_activities_total, then the issue's minimal one, of which only the total is checked. It
needs Java and, unless HUNTLINE_PEER_JAR names a built jar, Maven (the jar is built when missing
or older than the peer's sources).
"""
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402

_POSITIONAL = [a for a in sys.argv[1:] if not a.startswith("--")]
EVENTS = int(_POSITIONAL[0]) if _POSITIONAL else 1_000_000
PEER = "--peer" in sys.argv[1:]
if any(a.startswith("--") and a != "--peer" for a in sys.argv[1:]):
    sys.exit("usage: bench_pipeline.py [EVENTS] [--peer]")
PEER_DIR = pathlib.Path(__file__).resolve().parent / "peer"
PEER_JAR = os.environ.get("HUNTLINE_PEER_JAR", str(PEER_DIR / "target" / "huntline-streams-peer.jar"))
PEER_TIMEOUT_S = 900
STEADY = 20_000        # events produced at a steady pace after the backlog, for latency
STEADY_RATE = 5_000    # events per second
RAW = os.environ.get("HUNTLINE_RAW_CONSUME", str(pathlib.Path(harness.HUNTLINE).parents[1] / "tests" / "raw_consume"))
RAW_TIMEOUT_S = 600    # raw_consume waits for every message: a missing one must not hang the run


def scrape_only(listen, *families):
    """The named families at /metrics (`?name[]=`): what a poll needs, without making the engine
    serve (and this script parse) every series several times a second."""
    return harness.parse_exposition(requests.get(f"http://{listen}/metrics", params={"name[]": list(families)},
                                                 timeout=10).text)


def histogram(listen, name):
    """Cumulative buckets {le: count} of a histogram at /metrics."""
    out = {}
    for series, value in scrape_only(listen, name).items():
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
    return sum(by_result(scrape_only(listen, "huntline_events_total"), topics).values())


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


def scrape_times(listen, n=20):
    """(series in the exposition, the time of each of `n` scrapes in ms)."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        text = harness.scrape(listen)
        times.append((time.perf_counter() - start) * 1000)
    return sum(1 for line in text.splitlines() if line and not line.startswith("#")), times


def family_sum(figures, name):
    return sum(v for k, v in figures.items() if k == name or k.startswith(name + "{"))


def cpu_seconds(pid):
    """utime + stime of a process (all its threads) so far, from /proc/<pid>/stat."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def jvm_cpu_seconds(pid):
    """utime + stime so far of a JVM's JIT compiler threads and of its garbage collector's."""
    out = {"jit": 0.0, "gc": 0.0}
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        kind = "jit" if "CompilerThre" in name else "gc" if name.startswith(("GC Thread", "G1 ")) else None
        if kind:
            out[kind] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def activity_groups(figures):
    """huntline_activities_total summed over its other labels (partition, instance), by
    "team|role|behaviour|outcome", the peer's key."""
    out = {}
    for k, v in figures.items():
        if k.startswith("huntline_activities_total{"):
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', k))
            key = "|".join(labels[n] for n in ("team", "role", "behaviour", "outcome"))
            out[key] = out.get(key, 0) + v
    return out


def activities_in(lines):
    """crm.activity.logged events (each (source, id) once, as the engines count them)."""
    ids = set()
    for line in lines:
        event = json.loads(line)
        if event["type"] == "crm.activity.logged":
            ids.add((event["source"], event["id"]))
    return len(ids)


def build_peer():
    if "HUNTLINE_PEER_JAR" in os.environ:
        if not os.path.exists(PEER_JAR):
            sys.exit(f"bench_pipeline.py: HUNTLINE_PEER_JAR names no file ({PEER_JAR})")
        return
    sources = [PEER_DIR / "pom.xml", *(PEER_DIR / "src").rglob("*")]
    if os.path.exists(PEER_JAR) and all(f.stat().st_mtime <= os.path.getmtime(PEER_JAR) for f in sources):
        return
    print("bench_pipeline.py: building the Kafka Streams peer (mvn -q -B package in %s)" % PEER_DIR,
          file=sys.stderr)
    subprocess.run(["mvn", "-q", "-B", "package"], cwd=PEER_DIR, check=True)


def run_peer(work, broker, topics, expected, topology="exact"):
    """Runs the peer's `topology` (exact or minimal) to completion, with an application id and a
    state directory of its own. Its interval is from its start (the JVM's spawn) to the moment it
    reports every activity in its count store; its CPU is the JVM's utime+stime at that moment."""
    name = "peer" if topology == "exact" else "peer-" + topology
    log = work / (name + ".log")
    args = ["java", "-jar", PEER_JAR, "--topology", topology, "--bootstrap", broker, "--org-topic",
            topics["org"], "--crm-topic", topics["crm"], "--application-id", "bench-" + name, "--state-dir",
            str(work / (name + "-state")), "--expect-activities", str(expected),
            "--timeout-s", str(PEER_TIMEOUT_S)]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    with open(log, "wb") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
    done, wall, cpu, threads = None, None, None, None
    try:
        for line in proc.stdout:
            message = json.loads(line)
            if message.get("event") == "done":
                wall, cpu, threads = time.perf_counter() - start, cpu_seconds(proc.pid), jvm_cpu_seconds(proc.pid)
                done = message
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not done or not done["complete"]:
        sys.exit("bench_pipeline.py: the Kafka Streams peer (%s) counted %s of %d activities (status %s); "
                 "its log ends:\n%s" % (topology, done and done["activities"], expected, proc.returncode,
                                        log.read_text()[-4000:]))
    done.update(wall_s=wall, cpu_s=cpu, jit_cpu_s=threads["jit"], gc_cpu_s=threads["gc"], load=load)
    return done


def main():
    for binary in (harness.HUNTLINE, RAW):
        if not os.access(binary, os.X_OK):
            sys.exit(f"bench_pipeline.py: no executable {binary} (build it, or set HUNTLINE_BIN and "
                     "HUNTLINE_RAW_CONSUME; tests/bench/run.sh builds the release preset)")
    if PEER:
        build_peer()
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
                                                            "batch": {"max_events": 20000},
                                                            **json.loads(os.environ.get("HUNTLINE_BENCH_CONFIG", "{}"))})
        run_log = work / "run.log"
        backlog_activities = activities_in(backlog) if PEER else None
        spawned = time.perf_counter()
        # The steady events' producer stays up from here, as a connector's would: a new producer
        # stamps its first messages before it has its topics' metadata and its idempotent
        # producer id, and they land a second or more later (past order_wait_ms).
        producer = harness.producer_for(broker)
        harness.produce_lines(broker, [], topics, producer=producer)
        with harness.huntline_run(config, run_log, listen) as proc:
            start = time.perf_counter()
            wait_running(proc, run_log, lambda: consumed(listen, topics) >= non_org, 600, "the backlog")
            run_s = time.perf_counter() - start
            # The peer's definition: from the process's start to every event handled, and its
            # utime+stime over that interval (a process starts at 0).
            run_from_start_s, run_cpu_s = time.perf_counter() - spawned, cpu_seconds(proc.pid)
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

            # Steady state: events arriving at a pace the engine keeps up with, from the producer
            # started with the run.
            before = histogram(listen, "huntline_processing_latency_seconds")
            before_e2e = histogram(listen, "huntline_end_to_end_latency_seconds")
            before_publish = histogram(listen, "huntline_publish_duration_seconds")
            before_commit = histogram(listen, "huntline_commit_duration_seconds")
            steady_non_org = sum(1 for line in steady if json.loads(line)["type"] not in harness.ORG_TYPES)
            chunk = STEADY_RATE // 10
            # How long each write took to be acknowledged after its timestamp: one acknowledged
            # later than order_wait_ms landed too late for event-time order.
            acked_after_ms = []
            on_delivery = lambda err, msg: acked_after_ms.append(time.time() * 1000 - msg.timestamp()[1])
            for i in range(0, len(steady), chunk):
                harness.produce_lines(broker, steady[i:i + chunk], topics, producer=producer,
                                      on_delivery=on_delivery)
                time.sleep(0.1)
            acked_after_ms.sort()
            acked_after_ms = acked_after_ms or [0.0]
            wait_running(proc, run_log, lambda: consumed(listen, topics) >= non_org + steady_non_org, 120, "steady events")
            wait_running(proc, run_log, lambda: published(listen, non_org + steady_non_org), 60, "steady events published")
            after = histogram(listen, "huntline_processing_latency_seconds")
            delta = {b: after[b] - before.get(b, 0) for b in after}
            after_e2e = histogram(listen, "huntline_end_to_end_latency_seconds")
            delta_e2e = {b: after_e2e[b] - before_e2e.get(b, 0) for b in after_e2e}
            after_publish = histogram(listen, "huntline_publish_duration_seconds")
            delta_publish = {b: after_publish[b] - before_publish.get(b, 0) for b in after_publish}
            after_commit = histogram(listen, "huntline_commit_duration_seconds")
            delta_commit = {b: after_commit[b] - before_commit.get(b, 0) for b in after_commit}
            series, scrape_ms = scrape_times(listen)
            # Messages that landed too late for event-time order (after order_wait_ms): the one
            # way `huntline run` may differ from replay on live input.
            engine = harness.parse_exposition(harness.scrape(listen))
            late_org = family_sum(engine, "huntline_org_changes_late_total")
            crm_out_of_order = family_sum(engine, "huntline_crm_out_of_order_total")
            late_lines = [line for line in run_log.read_text().splitlines()
                          if "(out of order " in line or "(late org change " in line]
            landed_late = sum(1 for line in late_lines
                              if "was not yet in its partition" in line or "landed past order_wait_ms" in line)
            if PEER:
                all_activities = activities_in(lines)
                def every_activity():
                    groups = activity_groups(harness.parse_exposition(harness.scrape(listen)))
                    return groups if sum(groups.values()) >= all_activities else None
                final_activities = wait_running(proc, run_log, every_activity, 60, "every activity at /metrics")
            peak_mb = int(next(line.split()[1] for line in open(f"/proc/{proc.pid}/status")
                               if line.startswith("VmHWM"))) / 1024

        raw_after = raw("raw-after")
        # The peer after `huntline run`, alone on the same broker, over the same topics (the
        # backlog and the steady events); and a replay of those events, the reference for both.
        # Then the peer's minimal topology, alone too, with its own application id and state.
        peer = run_peer(work, broker, topics, all_activities) if PEER else None
        minimal = run_peer(work, broker, topics, all_activities, "minimal") if PEER else None
        if PEER:
            subprocess.run([harness.HUNTLINE, "replay", "--input", str(events), "--metrics-out",
                            str(work / "replay-all.prom")], check=True, capture_output=True)
            replay_activities = activity_groups(harness.parse_exposition((work / "replay-all.prom").read_text()))
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
             "applied → visible at /metrics (`huntline_processing_latency_seconds`); `freshness_ms` "
             "at its default (100)"),
            ("written→metric latency, steady %d events/s (p50 / p99)" % STEADY_RATE,
             "%.0f / %.0f ms" % (quantile(delta_e2e, .5) * 1000, quantile(delta_e2e, .99) * 1000),
             "the message's Kafka timestamp → visible (`huntline_end_to_end_latency_seconds`): "
             "`order_wait_ms` (200) included"),
            ("steady: snapshot rebuild; RocksDB commit (p50 / p99)",
             "%.0f / %.0f ms; %.0f / %.0f ms" % (quantile(delta_publish, .5) * 1000, quantile(delta_publish, .99) * 1000,
                                              quantile(delta_commit, .5) * 1000, quantile(delta_commit, .99) * 1000),
             "%d rebuilds (`huntline_publish_duration_seconds`) and %d commits in the steady phase: "
             "what the applied→visible latency waits for" % (delta_publish.get(float("inf"), 0),
                                                           delta_commit.get(float("inf"), 0))),
            ("messages that landed too late for event-time order",
             "%d crm, %d org" % (crm_out_of_order, late_org),
             "crm messages applied after a later event of another partition written after them "
             "(`huntline_crm_out_of_order_total`), org snapshots after later events were counted "
             "(`huntline_org_changes_late_total`); %d of those the log names were written before the "
             "ones they came after, and landed past `order_wait_ms`; the steady writes were acknowledged "
             "to the benchmark's producer %.0f / %.0f / %.0f ms (p50 / p99 / max) after their timestamps, "
             "%d of them over 200 ms" % (landed_late, acked_after_ms[len(acked_after_ms) // 2],
                                         acked_after_ms[int(len(acked_after_ms) * .99)], acked_after_ms[-1],
                                         sum(1 for a in acked_after_ms if a > 200))),
            ("scrape of /metrics, %d series (median / slowest of 20)" % series,
             "%.1f / %.1f ms" % (statistics.median(scrape_ms), max(scrape_ms)),
             "one GET each, after the steady events"),
            ("RocksDB commit per batch, backlog (p50 / p99)",
             "%.0f / %.0f ms" % (quantile(commits, .5) * 1000, quantile(commits, .99) * 1000),
             "%d batches, each the changed state, metric series and offsets; the processing thread's "
             "time (`huntline_commit_duration_seconds`): handing the batch to the writer thread, and "
             "waiting for the one before" % commits[float("inf")]),
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
        if peer:
            counts = peer["counts"]

            def differing(a, b):
                return sorted(g for g in set(a) | set(b) if a.get(g, 0) != b.get(g, 0))

            def listed(groups, a, b):
                return ", ".join("%s %d/%d" % (g, a.get(g, 0), b.get(g, 0)) for g in groups[:4])
            against_run = differing(counts, final_activities)
            against_replay = differing(counts, replay_activities)
            run_replay = differing(final_activities, replay_activities)
            # The contract's one allowed difference: an org snapshot read after later events were
            # counted. Any other difference between run and replay is an engine fault.
            if run_replay:
                print("bench_pipeline.py: what `huntline run` said of messages that came late:\n" +
                      "\n".join(late_lines[:24]), file=sys.stderr)
            if run_replay and not late_org and not crm_out_of_order:
                print("bench_pipeline.py: `huntline run` differs from replay, and no message landed late",
                      file=sys.stderr)
            for what, groups, a, b in (("peer/run", against_run, counts, final_activities),
                                       ("peer/replay", against_replay, counts, replay_activities),
                                       ("run/replay", run_replay, final_activities, replay_activities)):
                if groups:
                    print("bench_pipeline.py: activity groups differing, %s: %s" % (what, ", ".join(
                        "%s %d/%d" % (g, a.get(g, 0), b.get(g, 0)) for g in groups)), file=sys.stderr)
            def cpu_notes(p):
                """Where the JVM's CPU went: before the first crm record; JIT compilers and GC."""
                before = p["first_record_cpu_ms"] / 1000
                return ("%.1f CPU-s of it before its first crm record (%.0f activities per CPU-second after it); "
                        "JIT compiler threads %.1f CPU-s, GC threads %.1f CPU-s"
                        % (before, all_activities / max(p["cpu_s"] - before, 1e-9), p["jit_cpu_s"], p["gc_cpu_s"]))
            peer_rate = all_activities / peer["wall_s"]
            peer_per_cpu = all_activities / peer["cpu_s"]
            run_rate_a = backlog_activities / run_from_start_s
            run_per_cpu = backlog_activities / run_cpu_s
            rows += [
                ("Kafka Streams peer: activities/s, %d activities" % all_activities, "%.0f activities/s" % peer_rate,
                 "from its start to every activity in its count store: %.2f s (org topic loaded and threads "
                 "running at %.1f s, first crm record at %.1f s); %s; load average %.1f at its start"
                 % (peer["wall_s"], peer["running_ms"] / 1000, peer["first_record_ms"] / 1000,
                    ", ".join("%s %s" % kv for kv in sorted(peer["config"].items())), peer["load"])),
                ("Kafka Streams peer: activities per CPU-second", "%.0f" % peer_per_cpu,
                 "%.1f CPU-s: the JVM's utime+stime (/proc/<pid>/stat) over the same interval; the broker's not "
                 "counted; %s" % (peer["cpu_s"], cpu_notes(peer))),
                ("`huntline run`: activities/s, %d activities" % backlog_activities, "%.0f activities/s" % run_rate_a,
                 "the peer's definition: from its start to every backlog event handled, %.2f s; the interval "
                 "covers all %d crm+people events (people events are work the peer does not do)"
                 % (run_from_start_s, non_org)),
                ("`huntline run`: activities per CPU-second", "%.0f" % run_per_cpu,
                 "%.1f CPU-s, utime+stime over the same interval" % run_cpu_s),
                ("Huntline / peer", "%.2f× activities/s; %.2f× per CPU-second" % (run_rate_a / peer_rate,
                                                                                 run_per_cpu / peer_per_cpu),
                 "Huntline over the backlog; the peer over the backlog and the steady events"),
                ("peer counts against `huntline run`",
                 "%d of %d groups differ" % (len(against_run), len(set(counts) | set(final_activities))),
                 "(team, role, behaviour, outcome): the peer's count store against huntline_activities_total "
                 "after the steady events; totals %d / %d; %d crm records merged out of event-time order%s"
                 % (sum(counts.values()), sum(final_activities.values()), peer["crm_behind"],
                    "; first (peer/run): " + listed(against_run, counts, final_activities) if against_run else "")),
                ("peer counts against replay of the same events",
                 "%d of %d groups differ" % (len(against_replay), len(set(counts) | set(replay_activities))),
                 "`huntline replay` of the backlog and the steady events, in file order; `huntline run` against "
                 "it: %d groups differ%s" % (len(run_replay), " (run/replay: " + listed(
                     run_replay, final_activities, replay_activities) + ")" if run_replay else "")),
            ]
            # The minimal topology: only its total is checked (run_peer fails unless its count
            # store holds exactly every activity); its groups are not the contract's.
            minimal_counts = minimal["counts"]
            minimal_rate = all_activities / minimal["wall_s"]
            minimal_per_cpu = all_activities / minimal["cpu_s"]
            rows += [
                ("Kafka Streams minimal peer: activities/s, %d activities" % all_activities,
                 "%.0f activities/s" % minimal_rate,
                 "the issue's minimal application (`--topology minimal`), same definition: %.2f s (threads "
                 "running at %.1f s, first crm record at %.1f s); %s; load average %.1f at its start"
                 % (minimal["wall_s"], minimal["running_ms"] / 1000, minimal["first_record_ms"] / 1000,
                    ", ".join("%s %s" % kv for kv in sorted(minimal["config"].items())), minimal["load"])),
                ("Kafka Streams minimal peer: activities per CPU-second", "%.0f" % minimal_per_cpu,
                 "%.1f CPU-s over the same interval; %s" % (minimal["cpu_s"], cpu_notes(minimal))),
                ("Huntline / minimal peer", "%.2f× activities/s; %.2f× per CPU-second"
                 % (run_rate_a / minimal_rate, run_per_cpu / minimal_per_cpu),
                 "Huntline over the backlog; the minimal peer over the backlog and the steady events"),
                ("minimal peer counts: total against the activities in the stream",
                 "%d / %d" % (sum(minimal_counts.values()), all_activities),
                 "totals only: its %d groups are not the contract's (users' latest team and role, behaviour "
                 "from the direction alone; `huntline run` has %d); %d crm events read, %d rejected"
                 % (len(minimal_counts), len(final_activities), minimal["crm_events"], minimal["crm_rejected"])),
            ]
        print("| measure | result | notes |\n|---|---|---|")
        for row in rows:
            print("| %s | %s | %s |" % row)


if __name__ == "__main__":
    main()
