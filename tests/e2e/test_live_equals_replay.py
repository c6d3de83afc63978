"""Live equals replay (metrics.md): the same events through `huntline run` on a real broker, read
as a backlog over any number of partitions, give the figures `huntline replay` gives for them,
and for the contract's example the figures of its expected file."""
import pathlib

import pytest

import harness

MEDIUM = harness.EXAMPLES / "medium-org.jsonl"


def fresh_topics(broker, name, partitions):
    names = {"org": f"{name}.org", "crm": f"{name}.crm", "people": f"{name}.people",
             "dead_letter": f"{name}.dead-letter", "history": f"{name}.history"}
    harness.create_topics(broker, {names["org"]: 1, names["crm"]: partitions, names["people"]: partitions,
                                   names["dead_letter"]: 1, names["history"]: 1},
                          compacted=[names["history"]])
    return names


def differences(got, want, rel=1e-9):
    """Series whose values differ between two {family: {labels: value}} maps, as readable lines."""
    out = []
    for family in sorted(set(got) | set(want)):
        g, w = got.get(family, {}), want.get(family, {})
        for labels in sorted(set(g) | set(w), key=sorted):
            a, b = g.get(labels, 0.0), w.get(labels, 0.0)
            if abs(a - b) > rel * max(abs(a), abs(b), 1.0):
                out.append(f"{family}{dict(sorted(labels))}: live {a} replay {b}")
    return out


def figures_once_caught_up(listen, events):
    """The computed figures at /metrics once every event is counted and no partition is catching up
    (and two scrapes a publish interval apart agree)."""
    def settled():
        figures = harness.parse_exposition(harness.scrape(listen))
        counted = sum(v for k, v in figures.items() if k.startswith("huntline_events_total{"))
        if counted != events or figures.get("huntline_catching_up_partitions") != 0:
            return None
        first = harness.computed_figures(harness.scrape(listen))
        harness.time.sleep(1.5)
        second = harness.computed_figures(harness.scrape(listen))
        return second if first == second else None

    return harness.wait_for(settled, 120, f"all {events} events counted and every partition caught up")


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_contract_example_as_a_backlog_equals_replay_and_the_contract(broker, tmp_path, partitions):
    lines = [line for line in MEDIUM.read_text().splitlines() if line.strip()]
    topics = fresh_topics(broker, f"medium-backlog-{partitions}", partitions)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen,
                                  extra={"engine_time": "event_time"})
    with harness.huntline_run(config, tmp_path / "huntline.log", listen):
        live = figures_once_caught_up(listen, len(lines))
    _, replay = harness.replay_figures(tmp_path, lines)
    expected = harness.computed_figures((harness.EXAMPLES / "medium-org.expected.prom").read_text())
    assert differences(replay, expected) == []
    diff = differences(live, replay)
    assert diff == [], f"{len(diff)} series differ from replay:\n" + "\n".join(diff[:60])
