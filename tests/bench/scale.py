"""Scale benchmark: a large organisation's long stream through `huntline replay` and `huntline run`
on a real broker, with each process's memory sampled as it reads, so that the table shows both
the peak and how memory grows with the events read (README.md here states the target).

    HUNTLINE_BIN=… tests/bench/scale.py [EVENTS] [--teams N] [--targets-per-rep N] [--skip-run | --skip-replay]

Defaults: 10,000,000 events of 2,222 hunting teams (20,000 people) whose reps target 50 accounts
each and own 25 more (1,000,000 accounts, ~2.5 contacts each). The generated file is kept in
$HUNTLINE_CACHE/bench (it takes minutes to write) and reused by later runs with the same sizes.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402

CACHE = pathlib.Path(os.environ.get("HUNTLINE_CACHE", pathlib.Path.home() / ".cache" / "huntline")) / "bench"


def memory_mb(pid):
    """(VmRSS, VmHWM) of a process in MiB."""
    fields = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def file_position(pid, path):
    """How far the process has read `path` (bytes), from /proc/<pid>/fdinfo."""
    for fd in pathlib.Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) == str(path):
                for line in (pathlib.Path(f"/proc/{pid}/fdinfo") / fd.name).read_text().splitlines():
                    if line.startswith("pos:"):
                        return int(line.split()[1])
        except OSError:
            continue
    return None


def generate(events, teams, targets):
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"scale-{events}-{teams}-{targets}.jsonl"
    if not path.exists():
        partial = path.with_suffix(".partial")
        subprocess.run([harness.HUNTLINE, "generate", "--events", str(events), "--teams", str(teams),
                        "--targets-per-rep", str(targets), "--out", str(partial)], check=True)
        partial.rename(path)
    counts = {}
    with path.open() as f:
        for line in f:
            kind = line[line.rindex('"type":') + 7:].strip(' "}\n').split('"', 1)[0]
            counts[kind] = counts.get(kind, 0) + 1
    return path, counts


def growth(samples):
    """RSS at each quarter of the input read, and MiB per million events over the second half.
    `samples` are (fraction read, events read, rss[, series at /metrics])."""
    at = {}
    for q in (0.25, 0.5, 0.75, 1.0):
        reached = [s for s in samples if s[0] >= q - 1e-9]
        at[q] = reached[0] if reached else samples[-1]
    half, whole = at[0.5], at[1.0]
    per_million = (whole[2] - half[2]) / max((whole[1] - half[1]) / 1e6, 1e-9)
    return at, per_million


def replay(path, total_events):
    out = path.with_suffix(".replay.prom")
    start = time.perf_counter()
    # GNU time reports the peak however short the run; the samples show how it grew.
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", harness.HUNTLINE, "replay", "--input", str(path),
                             "--metrics-out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    size = path.stat().st_size
    samples = []
    while proc.poll() is None:
        try:
            children = pathlib.Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            if children:
                rss, _ = memory_mb(int(children[0]))
                position = file_position(int(children[0]), path)
                if position is not None:
                    samples.append((position / size, total_events * position / size, rss))
        except (FileNotFoundError, ProcessLookupError):
            pass
        time.sleep(0.5)
    _, stderr = proc.communicate()
    if proc.returncode != 0:
        sys.exit("huntline replay failed: " + stderr[-3000:])
    seconds = time.perf_counter() - start
    peak = int(stderr.strip().splitlines()[-1]) / 1024
    samples.append((1.0, total_events, samples[-1][2] if samples else 0.0))
    return seconds, peak, samples


def run_live(path, counts, properties=None, limits=None):
    org_types = harness.ORG_TYPES
    non_org = sum(n for kind, n in counts.items() if kind not in org_types)
    with harness.workdir("scale") as work, harness.kafka_broker(work) as broker:
        topics = {"org": "scale.org", "crm": "scale.crm", "people": "scale.people",
                  "dead_letter": "scale.dead-letter", "history": "scale.history"}
        harness.create_topics(broker, {topics["org"]: 1, topics["crm"]: 6, topics["people"]: 6,
                                       topics["dead_letter"]: 1})
        harness.create_topics(broker, {topics["history"]: 3}, compacted=[topics["history"]])
        with path.open() as f:
            harness.produce_lines(broker, f, topics)
        listen = f"127.0.0.1:{harness.free_port()}"
        config = harness.write_config(work / "run.json", broker, topics, work / "state", listen, group="scale",
                                      extra={"engine_time": "event_time",
                                             "batch": {"max_events": 20000, "max_wait_ms": 200},
                                             "kafka_properties": properties or {},
                                             **({"limits": limits} if limits else {})})
        log = work / "run.log"
        samples, peak = [], 0.0
        start = time.perf_counter()
        with harness.huntline_run(config, log, listen, healthy_within=600) as proc:
            while True:
                if proc.poll() is not None:
                    sys.exit("huntline run exited; its log ends:\n" + log.read_text()[-3000:])
                rss, hwm = memory_mb(proc.pid)
                peak = max(peak, hwm)
                figures = harness.parse_exposition(harness.scrape(listen))
                read = sum(v for k, v in figures.items() if k.startswith("huntline_events_total{") and
                           ('topic="%s"' % topics["crm"] in k or 'topic="%s"' % topics["people"] in k))
                samples.append((read / non_org, read, rss, len(figures)))
                if read >= non_org:
                    break
                if time.perf_counter() - start > 7200:
                    sys.exit("huntline run did not read the stream in two hours")
                time.sleep(1.0)
            seconds = time.perf_counter() - start
            state_mb = sum(f.stat().st_size for f in (work / "state").rglob("*") if f.is_file()) / 2**20
    return seconds, peak, samples, non_org, state_mb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=10_000_000)
    parser.add_argument("--teams", type=int, default=2222)
    parser.add_argument("--targets-per-rep", type=int, default=50)
    parser.add_argument("--skip-run", action="store_true", help="replay only")
    parser.add_argument("--skip-replay", action="store_true", help="`huntline run` only")
    parser.add_argument("--property", action="append", default=[], metavar="KEY=VALUE",
                        help="a librdkafka property for `huntline run` (kafka.properties)")
    parser.add_argument("--limit", action="append", default=[], metavar="KEY=N",
                        help="a `limits` setting for `huntline run`, e.g. org_cache_entries=200000")
    args = parser.parse_args()

    path, counts = generate(args.events, args.teams, args.targets_per_rep)
    total = sum(counts.values())
    people = counts.get("org.user.upserted", 0)
    accounts = counts.get("crm.account.upserted", 0)
    rows = [("stream", "%d events: %d people, %d accounts, %d contacts" % (
        total, people, accounts, counts.get("crm.contact.upserted", 0)),
        "`huntline generate --events %d --teams %d --targets-per-rep %d`" % (
            args.events, args.teams, args.targets_per_rep))]

    if not args.skip_replay:
        seconds, peak, samples = replay(path, total)
        at, per_million = growth(samples)
        rows += [("replay: events/s, peak RSS", "%.0f events/s, %.0f MiB" % (total / seconds, peak), "VmHWM"),
                 ("replay: RSS at 25 / 50 / 75 / 100 % read", " / ".join("%.0f" % at[q][2] for q in at) + " MiB",
                  "growth over the second half: %.1f MiB per million events" % per_million)]
    if not args.skip_run:
        properties = dict(p.split("=", 1) for p in args.property)
        limits = {k: int(v) for k, v in (p.split("=", 1) for p in args.limit)}
        seconds, peak, samples, non_org, state_mb = run_live(path, counts, properties, limits)
        at, per_million = growth(samples)
        rows += [("`huntline run`: crm+people events/s, peak RSS",
                  "%.0f events/s, %.0f MiB" % (non_org / seconds, peak),
                  "event time, 6+6 partitions, one instance; VmHWM"),
                 ("`huntline run`: RSS at 25 / 50 / 75 / 100 % read",
                  " / ".join("%.0f" % at[q][2] for q in at) + " MiB",
                  "growth over the second half: %.1f MiB per million events; state on disk %.0f MiB" % (
                      per_million, state_mb)),
                 ("`huntline run`: series at /metrics at 25 / 50 / 75 / 100 % read",
                  " / ".join("%d" % at[q][3] for q in at), "every series of the exposition")]
    harness.print_table(rows)
    print(json.dumps({"events": total, "people": people, "accounts": accounts}), file=sys.stderr)


if __name__ == "__main__":
    main()
