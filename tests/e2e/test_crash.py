"""A crash loses no accepted event and counts none twice: kill -9 `huntline run` in the middle of a
stream of 120,000 events, restart it, and compare every computed figure with an uninterrupted run."""
import os
import signal
import subprocess
import time

import harness

EVENTS = 120_000


def domain_figures(listen):
    """Every family of the contract (engine metrics describe a process and restart from zero)."""
    return harness.computed_figures(harness.scrape(listen))


def handled(listen):
    figures = harness.parse_exposition(harness.scrape(listen))
    return sum(v for k, v in figures.items() if k.startswith("huntline_events_total{"))


def caught_up(listen, partitions):
    figures = harness.parse_exposition(harness.scrape(listen))
    lags = {k: v for k, v in figures.items() if k.startswith("huntline_consumer_lag_messages{")}
    return len(lags) == partitions and all(v == 0 for v in lags.values())


def settle(listen, partitions):
    """The figures once the consumer has caught up and nothing moves for two seconds."""
    def stable():
        before = domain_figures(listen)
        time.sleep(2)
        after = domain_figures(listen)
        # The crm figures show once this instance is elected to publish them and has read to the
        # end: until then the people figures alone may look settled.
        published = "huntline_activities_total" in after
        return after if after == before and published and caught_up(listen, partitions) else None

    return harness.wait_for(stable, 240, "the consumer to catch up and the figures to settle")


def test_kill_9_mid_stream_loses_nothing_and_counts_nothing_twice(broker, topics, tmp_path):
    events = tmp_path / "events.jsonl"
    subprocess.run([harness.HUNTLINE, "generate", "--events", str(EVENTS), "--teams", "8",
                    "--out", str(events)], check=True)
    lines = events.read_text().splitlines()
    assert harness.produce_lines(broker, lines, topics) == EVENTS
    partitions = 6  # crm and people, 3 each

    # An uninterrupted run.
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "a.json", broker, topics, tmp_path / "state-a", listen,
                                  group="uninterrupted")
    with harness.huntline_run(config, tmp_path / "a.log", listen):
        expected = settle(listen, partitions)
    assert sum(expected["huntline_activities_total"].values()) > 50_000
    assert set(harness.COMPUTED_FAMILIES) - {"huntline_protected_conflicts_upcoming"} <= set(expected), \
        "a family the stream should fill is empty: the comparison would not test it"

    # The same stream, killed with SIGKILL half-way, then restarted on the same state.
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "b.json", broker, topics, tmp_path / "state-b", listen,
                                  group="crashed", extra={"batch": {"max_events": 500,
                                                                    "max_wait_ms": 50}})
    with harness.huntline_run(config, tmp_path / "b1.log", listen) as proc:
        harness.wait_for(lambda: handled(listen) >= EVENTS // 3, 120, "a third of the stream")
        at_kill = handled(listen)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert at_kill < EVENTS, "the stream was over before the crash: nothing was tested"
    with harness.huntline_run(config, tmp_path / "b2.log", listen):
        # The restarted process resumes from the offsets stored with its state, so it handles
        # only the rest of the stream.
        recovered = settle(listen, partitions)
        assert handled(listen) < EVENTS
    diff = [f"{family}{dict(labels)}: {recovered.get(family, {}).get(labels)} != {value}"
            for family, series in expected.items() for labels, value in series.items()
            if recovered.get(family, {}).get(labels) != value]
    diff += [f"{family}: {len(recovered[family])} series, {len(expected.get(family, {}))} expected"
             for family in recovered if len(recovered[family]) != len(expected.get(family, {}))]
    assert diff == [], "\n".join(diff[:40])
