"""Live equals replay under churn, with events produced while the engine runs: a generated quarter,
half of it as a backlog and the rest written by a producer that stays up while instances come and
go (one killed with SIGKILL and restarted, a third joining, the second leaving). Prints how many
series differ from `huntline replay` and how many org snapshots arrived after later events were
counted (metrics.md allows those to differ). A soak, not a test: run it by hand.

    HUNTLINE_BIN=build/ci/app/huntline /usr/bin/python3 tests/bench/live_chaos.py [EVENTS] [PARTITIONS] [ORDER_WAIT_MS]

The instances run with `order_wait_ms` 2000 by default: on a busy two-core machine the producer
now and then lands a write a second after making it, later than the 200 ms default allows for.
"""
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402
import test_live_equals_replay as live  # noqa: E402

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
PARTITIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 8
ORDER_WAIT_MS = int(sys.argv[3]) if len(sys.argv) > 3 else 2000


def main():
    with harness.workdir("chaos") as work, harness.kafka_broker(work) as broker:
        events = work / "events.jsonl"
        subprocess.run([harness.HUNTLINE, "generate", "--events", str(EVENTS), "--out", str(events)],
                       check=True, capture_output=True)
        lines = [line for line in events.read_text().splitlines() if line.strip()]
        _, replay = harness.replay_figures(work, lines)
        topics = live.fresh_topics(broker, "chaos", PARTITIONS)
        harness.produce_lines(broker, lines[:len(lines) * 4 // 8], topics)

        with live.Instances(broker, topics, work, "abc", group="chaos", extra={"order_wait_ms": ORDER_WAIT_MS}) as instances:
            instances.start("a")
            instances.start("b")
            listens = live.produce_second_half_with_churn(broker, topics, lines, instances)
            figures = live.settled_figures(listens, PARTITIONS)
            late = 0.0
            for listen in listens:
                engine = harness.parse_exposition(harness.scrape(listen))
                late += sum(v for k, v in engine.items() if k.startswith("huntline_org_changes_late_total"))
        diff = live.differences(figures, replay)
        print(f"{EVENTS} events, {PARTITIONS} partitions: {len(diff)} series differ from replay; "
              f"{late:.0f} org snapshots read after later events were counted (over both instances)")
        for line in diff[:40]:
            print("  " + line)


if __name__ == "__main__":
    main()
