"""The hand-worked scenario of scenario_pipeline.py, through `huntline replay` and through a real
Kafka broker and Prometheus: every computed figure equals the one worked out by hand."""
import subprocess

import harness
import scenario_pipeline as scenario


def test_scenario_through_replay(tmp_path):
    events = tmp_path / "scenario.jsonl"
    events.write_text("\n".join(scenario.lines()) + "\n")
    out = tmp_path / "metrics.prom"
    run = subprocess.run([harness.HUNTLINE, "replay", "--input", str(events), "--metrics-out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "1 duplicate, 1 stale" in run.stderr
    got = harness.computed_figures(out.read_text())
    for family in harness.COMPUTED_FAMILIES:
        assert got.get(family, {}) == scenario.EXPECTED.get(family, {}), family


def test_scenario_through_kafka_and_prometheus(broker, topics, tmp_path):
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
