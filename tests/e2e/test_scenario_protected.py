"""The hand-worked fortnight of scenario_protected.py, through `huntline replay` and through a
real Kafka broker and Prometheus: every protected-time and meeting figure equals the one worked
out by hand, and team integrity is one PromQL expression."""
import harness
import scenario_protected as scenario

INTEGRITY_PROMQL = ("1 - sum by (team) (huntline_protected_lost_seconds_total)"
                    " / sum by (team) (huntline_protected_seconds_total)")


def test_protected_scenario_through_replay(tmp_path):
    summary, got = harness.replay_figures(tmp_path, scenario.lines())
    assert "0 stale, 1 late, 0 rejected" in summary
    for family in harness.COMPUTED_FAMILIES:
        assert got.get(family, {}) == scenario.EXPECTED.get(family, {}), family


def test_protected_scenario_through_kafka_and_prometheus(broker, topics, tmp_path):
    with harness.scenario_through_kafka(broker, topics, tmp_path, scenario.lines()) as prom:
        harness.assert_figures_through_prometheus(prom, scenario.EXPECTED)
        integrity = harness.query(prom, INTEGRITY_PROMQL)
        assert integrity.keys() == scenario.INTEGRITY.keys()
        for team, value in scenario.INTEGRITY.items():
            assert abs(integrity[team] - value) < 1e-9, team
