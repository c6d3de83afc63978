"""The hand-worked fortnight of scenario_protected.py, through `huntline replay` and through a
real Kafka broker and Prometheus: every protected-time and meeting figure equals the one worked
out by hand, and team integrity is one PromQL expression."""
import subprocess

import harness
import scenario_protected as scenario

INTEGRITY_PROMQL = ("1 - sum by (team) (huntline_protected_lost_seconds_total)"
                    " / sum by (team) (huntline_protected_seconds_total)")


def test_protected_scenario_through_replay(tmp_path):
    events = tmp_path / "scenario.jsonl"
    events.write_text("\n".join(scenario.lines()) + "\n")
    out = tmp_path / "metrics.prom"
    run = subprocess.run([harness.HUNTLINE, "replay", "--input", str(events), "--metrics-out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "0 stale, 1 late, 0 rejected" in run.stderr
    got = harness.computed_figures(out.read_text())
    for family in harness.COMPUTED_FAMILIES:
        assert got.get(family, {}) == scenario.EXPECTED.get(family, {}), family


def test_protected_scenario_through_kafka_and_prometheus(broker, topics, tmp_path):
    lines = scenario.lines()
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state",
                                  listen, extra={"engine_time": "event_time"})
    with harness.huntline_run(config, tmp_path / "huntline.log", listen), \
            harness.prometheus(tmp_path, [listen]) as prom:
        harness.wait_for(
            lambda: harness.query(prom, "sum(huntline_events_total)").get(frozenset(), 0)
            == len(lines), 60, "every scenario event counted in Prometheus")
        harness.assert_figures_through_prometheus(prom, scenario.EXPECTED)
        integrity = harness.query(prom, INTEGRITY_PROMQL)
        assert integrity.keys() == scenario.INTEGRITY.keys()
        for team, value in scenario.INTEGRITY.items():
            assert abs(integrity[team] - value) < 1e-9, team
