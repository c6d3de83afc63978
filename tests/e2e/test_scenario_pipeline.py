"""The hand-worked scenario of scenario_pipeline.py, through `huntline replay` and through a real
Kafka broker and Prometheus: every computed figure equals the one worked out by hand."""
import harness
import scenario_pipeline as scenario


def test_scenario_through_replay(tmp_path):
    summary, got = harness.replay_figures(tmp_path, scenario.lines())
    assert "1 duplicate, 1 stale" in summary
    for family in harness.COMPUTED_FAMILIES:
        assert got.get(family, {}) == scenario.EXPECTED.get(family, {}), family


def test_scenario_through_kafka_and_prometheus(broker, topics, tmp_path):
    with harness.scenario_through_kafka(broker, topics, tmp_path, scenario.lines()) as prom:
        harness.assert_figures_through_prometheus(prom, scenario.EXPECTED)
