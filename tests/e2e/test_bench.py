"""The whole-pipeline benchmark (tests/bench) still runs end to end, on a small input and the
binaries under test: its figures are not compared, only that it completes and prints its table."""
import json
import os
import pathlib
import subprocess
import sys

import harness

BENCH = harness.ROOT / "tests" / "bench" / "bench_pipeline.py"
EVENTS = 20_000


def test_benchmark_runs_on_a_small_input():
    env = dict(os.environ)
    env["HUNTLINE_BIN"] = harness.HUNTLINE
    # raw_consume is built with the tests, beside the app/ directory of the binary under test.
    env.setdefault("HUNTLINE_RAW_CONSUME",
                   str(pathlib.Path(harness.HUNTLINE).parents[1] / "tests" / "raw_consume"))
    run = subprocess.run([sys.executable, str(BENCH), str(EVENTS)], env=env, capture_output=True,
                         text=True, timeout=170)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    table = [line for line in run.stdout.splitlines() if line.startswith("|")]
    assert table[:2] == ["| measure | result | notes |", "|---|---|---|"], run.stdout
    measures = [line.split(" | ")[0] for line in table[2:]]
    for expected in ("| replay, %d events" % EVENTS, "| raw librdkafka consume",
                     "| `huntline run` from the broker", "| event→metric latency, backlog",
                     "| event→metric latency, steady", "| RocksDB commit per batch",
                     "| `huntline run` peak memory"):
        assert any(m.startswith(expected) for m in measures), (expected, run.stdout)


SCALE = harness.ROOT / "tests" / "bench" / "scale.py"


def test_scale_benchmark_runs_on_a_small_organisation(tmp_path):
    env = dict(os.environ, HUNTLINE_BIN=harness.HUNTLINE, HUNTLINE_CACHE=str(tmp_path))
    run = subprocess.run([sys.executable, str(SCALE), "20000", "--teams", "10", "--targets-per-rep", "5"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    measures = [line.split(" | ")[0] for line in run.stdout.splitlines() if line.startswith("| ")]
    for expected in ("| stream", "| replay: events/s, peak RSS", "| replay: RSS at",
                     "| `huntline run`: crm+people events/s, peak RSS", "| `huntline run`: RSS at"):
        assert any(m.startswith(expected) for m in measures), (expected, run.stdout)


BOUNDED = harness.ROOT / "tests" / "bench" / "bounded_work.py"


def test_bounded_work_benchmark_runs_and_repeats_change_no_figure():
    env = dict(os.environ, HUNTLINE_BIN=harness.HUNTLINE)
    run = subprocess.run([sys.executable, str(BOUNDED), "20", "500"], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = [line for line in run.stdout.splitlines() if line.startswith("| ") and "sent" in line]
    assert len(rows) == 2, run.stdout


CHANGELOG = harness.ROOT / "tests" / "bench" / "changelog.py"


def test_changelog_benchmark_runs_on_a_small_input():
    env = dict(os.environ, HUNTLINE_BIN=harness.HUNTLINE, HUNTLINE_DELETE_RECORDS=harness.DELETE_RECORDS)
    run = subprocess.run([sys.executable, str(CHANGELOG), "5000", "--partitions", "2", "--rounds", "1"],
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = {line.split(" | ")[0]: line for line in run.stdout.splitlines() if line.startswith("| ")}
    for expected in ("| `huntline run` with changelogs", "| `huntline run` without", "| ratio with / without",
                     "| failover without standby copies", "| failover with a standby copy",
                     "| restore of every partition by an empty instance"):
        assert any(r.startswith(expected) for r in rows), (expected, run.stdout)
    restore = next(line for key, line in rows.items() if key.startswith("| restore of every partition"))
    assert not restore.split(" | ")[1].startswith("0 messages"), restore
    # A standby copy leaves the survivor nothing to restore of what the killed instance committed.
    standby = next(line for key, line in rows.items() if key.startswith("| failover with a standby copy"))
    assert "; 0 changelog messages restored in " in standby.split(" | ")[1], standby


CHAOS = harness.ROOT / "tests" / "bench" / "chaos.py"


def test_chaos_benchmark_survives_its_faults_and_equals_replay():
    """The chaos run, short: 20,000 events, 6 faults and a broker restart; it exits 1 when a
    figure differs from replay."""
    env = dict(os.environ, HUNTLINE_BIN=harness.HUNTLINE, HUNTLINE_DELETE_RECORDS=harness.DELETE_RECORDS)
    run = subprocess.run([sys.executable, str(CHAOS), "20000", "--faults", "6", "--partitions", "4"],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    summary = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("{")))
    assert summary["series differing from replay"] == 0
    assert sum(summary["faults survived"].values()) == 7, summary


DEDUP = harness.ROOT / "tests" / "bench" / "dedup.py"


def test_dedup_benchmark_keeps_the_ids_within_the_window():
    """Half a year of a small organisation with a 30-day window: the script exits 1 when a task
    remembers more ids than the busiest window's events, or its ids grow with the stream."""
    env = dict(os.environ, HUNTLINE_BIN=harness.HUNTLINE)
    run = subprocess.run([sys.executable, str(DEDUP), "60000", "--teams", "5"], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = [line for line in run.stdout.splitlines() if line.startswith("| ids after")]
    assert len(rows) == 10, run.stdout
    assert "within the bound" in run.stdout, run.stdout
