"""Live equals replay under churn, with events produced while the engine runs: a generated quarter,
half of it as a backlog and the rest written by a producer that stays up while instances come and
go (one killed with SIGKILL and restarted, a third joining, the second leaving). Prints how many
series differ from `huntline replay` and how many org snapshots arrived after later events were
counted (metrics.md allows those to differ). A soak, not a test: run it by hand.

    HUNTLINE_BIN=build/ci/app/huntline /usr/bin/python3 tests/bench/live_chaos.py [EVENTS] [PARTITIONS]
"""
import contextlib
import pathlib
import signal
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402
import test_live_equals_replay as live  # noqa: E402

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
PARTITIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 8


def main():
    with harness.workdir("chaos") as work, harness.kafka_broker(work) as broker:
        events = work / "events.jsonl"
        subprocess.run([harness.HUNTLINE, "generate", "--events", str(EVENTS), "--out", str(events)],
                       check=True, capture_output=True)
        lines = [line for line in events.read_text().splitlines() if line.strip()]
        _, replay = harness.replay_figures(work, lines)
        topics = live.fresh_topics(broker, "chaos", PARTITIONS)
        cuts = [len(lines) * k // 8 for k in range(9)]
        harness.produce_lines(broker, lines[:cuts[4]], topics)
        producer = harness.producer_for(broker)

        def produce_live(first, last):
            for i in range(cuts[first], cuts[last], 2000):
                harness.produce_lines(broker, lines[i:min(i + 2000, cuts[last])], topics, producer=producer)
                harness.time.sleep(0.2)

        listens = {name: f"127.0.0.1:{harness.free_port()}" for name in "abc"}
        configs = {name: harness.write_config(work / f"{name}.json", broker, topics, work / f"state-{name}",
                                              listens[name], group="chaos", extra={"engine_time": "event_time"})
                   for name in "abc"}
        running = {}

        def start(name, log):
            stack = contextlib.ExitStack()
            proc = stack.enter_context(harness.huntline_run(configs[name], work / log, listens[name]))
            running[name] = (stack, proc)

        try:
            start("a", "a.log")
            start("b", "b.log")
            produce_live(4, 5)
            stack, proc = running.pop("a")
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            stack.close()
            start("a", "a-again.log")
            start("c", "c.log")
            produce_live(5, 6)
            running.pop("b")[0].close()
            produce_live(6, 8)
            figures = live.settled_figures([listens["a"], listens["c"]], PARTITIONS)
            late = 0.0
            for name in "ac":
                engine = harness.parse_exposition(harness.scrape(listens[name]))
                late += sum(v for k, v in engine.items() if k.startswith("huntline_org_changes_late_total"))
        finally:
            for stack, _ in running.values():
                stack.close()
        diff = live.differences(figures, replay)
        print(f"{EVENTS} events, {PARTITIONS} partitions: {len(diff)} series differ from replay; "
              f"{late:.0f} org snapshots read after later events were counted (over both instances)")
        for line in diff[:40]:
            print("  " + line)


if __name__ == "__main__":
    main()
