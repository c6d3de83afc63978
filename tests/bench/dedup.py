"""De-duplication memory benchmark: with `thresholds.dedup_window_days`, the ids a partition
remembers stay within the events of the window however long the stream, on a real broker
(README.md here has the table).

    HUNTLINE_BIN=… tests/bench/dedup.py [EVENTS] [--teams N] [--window DAYS] [--partitions N]

1. A long stream (`huntline generate --events EVENTS --teams N`: default 2,000,000 events of 100
   teams, about 300 days) is written to fresh topics.
2. One `huntline run` (event time, `dedup_window_days` 30) reads it as a backlog while its
   /metrics are scraped: `huntline_dedup_ids` per task, the process's memory and the state
   directory's size, at each tenth of the stream read.
3. The bound, computed from the file: a task remembers the ids of the events of the window's days
   and of the day its latest event is in (window + 1 days), plus ids of late events of earlier
   days until that day's prune. Checked against the busiest window + 2 days of the stream: the crm
   task against the crm events, the people tasks together against all people events.
Exits 1 if a task ever remembered more than its bound or less than half of it, or the crm task's
ids grew by more than a quarter between the second tenth of the stream and its end (the stream is
steady).
"""
import argparse
import collections
import datetime
import json
import os
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402
from scale import memory_mb  # noqa: E402
from test_live_equals_replay import fresh_topics  # noqa: E402


def day_of(time_text):
    return datetime.date.fromisoformat(time_text[:10]).toordinal()


def busiest(days, width):
    """Most events within `width` consecutive days."""
    if not days:
        return 0
    first, last = min(days), max(days)
    counts = [days.get(d, 0) for d in range(first, last + 1)]
    window = most = 0
    for i, n in enumerate(counts):
        window += n
        if i >= width:
            window -= counts[i - width]
        most = max(most, window)
    return most


def directory_mb(path):
    return sum(f.stat().st_size for f in pathlib.Path(path).rglob("*") if f.is_file()) / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=2_000_000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()

    with harness.workdir("dedup-bench") as work, harness.kafka_broker(work) as broker:
        path = work / "events.jsonl"
        subprocess.run([harness.HUNTLINE, "generate", "--events", str(args.events), "--teams", str(args.teams),
                        "--out", str(path)], check=True, capture_output=True)
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        days = {"crm": collections.Counter(), "people": collections.Counter()}
        first = last = None
        for line in lines:
            event = json.loads(line)
            kind = "crm" if event["type"] in harness.CRM_TYPES else (
                "org" if event["type"] in harness.ORG_TYPES else "people")
            if kind != "org":
                days[kind][day_of(event["time"])] += 1
            first = min(first or event["time"], event["time"])
            last = max(last or event["time"], event["time"])
        non_org = sum(days["crm"].values()) + sum(days["people"].values())
        bound = {kind: busiest(days[kind], args.window + 2) for kind in days}

        topics = fresh_topics(broker, "bench", args.partitions)
        assert harness.produce_lines(broker, lines, topics) == len(lines)

        listen = f"127.0.0.1:{harness.free_port()}"
        state = work / "state"
        config = harness.write_config(work / "huntline.json", broker, topics, state, listen,
                                      extra={"engine_time": "event_time",
                                             "thresholds": {"dedup_window_days": args.window},
                                             "kafka": {"changelog": False},
                                             "batch": {"max_events": max(1000, args.events // 200),
                                                       "max_wait_ms": 200}})
        samples = []  # (events read, crm ids, people ids summed, largest people task's, RSS MiB, state MiB)
        most = {"crm": 0, "people": 0}
        with harness.huntline_run(config, work / "huntline.log", listen) as proc:
            deadline = time.monotonic() + 3600
            while True:
                if proc.poll() is not None:
                    sys.exit("huntline run exited; its log ends:\n" + (work / "huntline.log").read_text()[-3000:])
                figures = harness.parse_exposition(harness.scrape(listen))
                read = sum(v for k, v in figures.items() if k.startswith("huntline_events_total{") and
                           ('topic="%s"' % topics["crm"] in k or 'topic="%s"' % topics["people"] in k))
                ids = {k: v for k, v in figures.items() if k.startswith("huntline_dedup_ids{")}
                crm = sum(v for k, v in ids.items() if 'topic="%s"' % topics["crm"] in k)
                people = [v for k, v in ids.items() if 'topic="%s"' % topics["people"] in k]
                most["crm"] = max(most["crm"], crm)
                most["people"] = max(most["people"], sum(people))
                samples.append((read, crm, sum(people), max(people, default=0), memory_mb(proc.pid)[0],
                                directory_mb(state)))
                if read >= non_org:
                    break
                if time.monotonic() > deadline:
                    sys.exit("the stream was not read in an hour")
                time.sleep(0.2)

    def at(fraction):
        return next(s for s in samples if s[0] >= fraction * non_org)

    rows = [("stream", "%d events (%d crm, %d people), %s to %s; %d+%d partitions" % (
        len(lines), sum(days["crm"].values()), sum(days["people"].values()), first[:10], last[:10],
        args.partitions, args.partitions), "`huntline generate --events %d --teams %d`" % (args.events, args.teams)),
            ("bound (busiest %d days of events)" % (args.window + 2), "crm task %d ids; people tasks together %d" % (
                bound["crm"], bound["people"]), "`dedup_window_days` %d" % args.window)]
    for tenth in range(1, 11):
        read, crm, people, largest, rss, disk = at(tenth / 10)
        rows.append(("ids after %d%% of the stream (%d events read)" % (tenth * 10, read),
                     "crm %d; people %d (largest partition %d)" % (crm, people, largest),
                     "RSS %.0f MiB, whole state directory %.0f MiB" % (rss, disk)))
    rows.append(("most ids at any sample", "crm %d; people %d" % (most["crm"], most["people"]),
                 "within the bound" if most["crm"] <= bound["crm"] and most["people"] <= bound["people"]
                 else "ABOVE THE BOUND"))
    harness.print_table(rows)
    growth = at(1.0)[1] / max(at(0.2)[1], 1)
    if most["crm"] > bound["crm"] or most["people"] > bound["people"]:
        sys.exit("a task remembered more ids than the window's events")
    # The window's ids are remembered: a gauge missing or near zero is no bound at all.
    if most["crm"] < bound["crm"] / 2 or most["people"] < bound["people"] / 2:
        sys.exit("the tasks remembered fewer ids than half the window's events: is huntline_dedup_ids reported?")
    if growth > 1.25:
        sys.exit("the crm task's ids grew %.2f times from a fifth of the stream to its end" % growth)


if __name__ == "__main__":
    main()
