"""Chaos: instances of one group killed, stopped, started and replaced by empty ones at random
while a stream is produced, and the broker restarted once: at the end every figure must equal
`huntline replay` of the stream, so nothing was lost and nothing counted twice.

    HUNTLINE_BIN=… HUNTLINE_DELETE_RECORDS=… tests/bench/chaos.py [EVENTS] [--faults N] [--partitions N] [--seed N] [--standbys N] [--no-changelog]

Half the stream (`huntline generate --events EVENTS`, default 500,000) is written before the first
instance starts; the rest is written in chunks while the faults happen, one every few seconds,
chosen at random among those possible (at least one instance always runs, at most three):
SIGKILL of a running instance, SIGTERM of one, a start of a stopped one (its state directory as
it left it), a start of a new instance with an empty state directory. Halfway through the broker
is stopped and started again. After each fault the group must settle again: every people
partition owned and one instance publishing the crm figures. Prints the faults survived and the
series that differ from replay; exits 1 if any differ.
"""
import argparse
import collections
import contextlib
import json
import pathlib
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402
import test_live_equals_replay as live  # noqa: E402


class Broker:
    """A single-node broker on fixed ports and a data directory, so it can be restarted."""

    def __init__(self, work):
        self.work = pathlib.Path(work)
        self.port, self.cport = harness.free_port(), harness.free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.stack = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.stack = contextlib.ExitStack()
        proc = self.stack.enter_context(harness.process(
            [str(harness.ROOT / "deploy" / "kafka" / "broker.sh"), str(self.work / "kafka"), str(self.port),
             str(self.cport)], self.work / f"kafka-{self.starts}.log"))

        def ready():
            assert proc.poll() is None, (self.work / f"kafka-{self.starts}.log").read_text()[-2000:]
            harness.AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(timeout=2)
            return True
        harness.wait_for(ready, 120, "the Kafka broker")

    def stop(self):
        self.stack.close()


def engine(listen):
    try:
        return harness.parse_exposition(harness.scrape(listen))
    except Exception:  # noqa: BLE001 - an instance starting or stopping
        return None


def group_settled(instances, partitions):
    owned = publishers = 0
    for name, (_, proc) in instances.running.items():
        if proc.poll() is not None:
            logs = sorted(instances.workdir.glob(f"{name}-*.log"))
            sys.exit(f"chaos: instance {name} exited ({proc.returncode}); its log ends:\n" +
                     logs[-1].read_text()[-3000:])
        figures = engine(instances.listens[name])
        if figures is None:
            return False
        owned += figures.get("huntline_assigned_partitions", 0) - 1
        publishers += figures.get("huntline_crm_publisher", 0)
    return owned == partitions and publishers == 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=500_000)
    parser.add_argument("--faults", type=int, default=50)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-changelog", action="store_true",
                        help="kafka.changelog false: a partition that moves is rebuilt from the input")
    parser.add_argument("--standbys", type=int, default=0,
                        help="kafka.num_standby_replicas of every instance")
    parser.add_argument("--workdir", help="keep the logs and state there (default: a temporary directory)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with (contextlib.nullcontext(pathlib.Path(args.workdir)) if args.workdir else harness.workdir("chaos")) as work:
        work.mkdir(parents=True, exist_ok=True)
        path = work / "events.jsonl"
        subprocess.run([harness.HUNTLINE, "generate", "--events", str(args.events), "--out", str(path)],
                       check=True, capture_output=True)
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        lines.append(live.closing_org_snapshot(lines))
        _, replay = harness.replay_figures(work, lines)

        broker = Broker(work)
        broker.start()
        try:
            topics = live.fresh_topics(broker.bootstrap, "chaos", args.partitions)
            half = len(lines) // 2
            harness.produce_lines(broker.bootstrap, lines[:half], topics)
            names = [f"i{n}" for n in range(args.faults + 3)]
            instances = live.Instances(broker.bootstrap, topics, work, names, group="chaos",
                                       extra={"order_wait_ms": 2000,
                                              "kafka": ({"changelog": False} if args.no_changelog else
                                                        {"num_standby_replicas": args.standbys})})
            survived = collections.Counter()
            stopped, fresh = [], list(names)
            with instances:
                instances.start(fresh.pop(0))
                harness.wait_for(lambda: group_settled(instances, args.partitions), 180, "the first instance")
                chunks = [lines[i:i + 2000] for i in range(half, len(lines), 2000)]
                per_fault = max(1, len(chunks) // (args.faults + 1))
                producer = harness.producer_for(broker.bootstrap)
                for n in range(args.faults):
                    for chunk in chunks[n * per_fault:(n + 1) * per_fault]:
                        harness.produce_lines(broker.bootstrap, chunk, topics, producer=producer)
                    if n == args.faults // 2:
                        broker.stop()
                        broker.start()
                        survived["broker restart"] += 1
                    choices = []
                    running = list(instances.running)
                    if len(running) > 1:
                        choices += ["kill -9", "stop"]
                    if len(running) < 3:
                        choices += ["new empty instance"] + (["start"] if stopped else [])
                    fault = rng.choice(choices)
                    if fault == "kill -9":
                        name = rng.choice(running)
                        instances.kill(name)
                        stopped.append(name)
                    elif fault == "stop":
                        name = rng.choice(running)
                        instances.stop(name)
                        stopped.append(name)
                    elif fault == "start":
                        instances.start(stopped.pop(rng.randrange(len(stopped))))
                    else:
                        instances.start(fresh.pop(0))
                    harness.wait_for(lambda: group_settled(instances, args.partitions), 300,
                                     f"the group to settle after fault {n + 1} ({fault})")
                    survived[fault] += 1
                    print(f"chaos: fault {n + 1}/{args.faults}: {fault}; running {sorted(instances.running)}",
                          flush=True)
                for chunk in chunks[args.faults * per_fault:]:
                    harness.produce_lines(broker.bootstrap, chunk, topics, producer=producer)
                listens = [instances.listens[name] for name in instances.running]
                harness.wait_for(lambda: group_settled(instances, args.partitions), 300, "the group to settle")
                figures = live.settled_figures(listens, args.partitions, timeout=900)
        finally:
            broker.stop()

    diff = live.differences(figures, replay)
    print(json.dumps({"events": len(lines), "faults survived": dict(survived),
                      "series differing from replay": len(diff)}))
    for line in diff[:40]:
        print("  " + line)
    sys.exit(1 if diff else 0)


if __name__ == "__main__":
    main()
