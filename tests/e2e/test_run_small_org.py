"""`huntline run` on a real Kafka broker, scraped by a real Prometheus: the contract's figures for
small-org.jsonl, both CloudEvents modes, and a malformed message on the dead-letter topic."""
import subprocess

from confluent_kafka import Consumer, Producer

import harness

MALFORMED = b'{"specversion":"1.0","id":"bad-1","source":"x","type":"crm.activity.logged",' \
            b'"time":"2026-07-07T14:00:00Z","data":{"activity_id":"z","actor_id":"u-rep",' \
            b'"account_id":"a-globex","channel":"pigeon","direction":"outbound","outcome":"connected"}}'


def test_small_org_figures_reach_prometheus(broker, topics, tmp_path):
    lines = (harness.EXAMPLES / "small-org.jsonl").read_text().splitlines()
    # ex-7 (the activity) and ex-8 (an opportunity) travel in binary mode.
    assert harness.produce_lines(broker, lines, topics, binary_ids={"ex-7", "ex-8"}) == 12
    producer = Producer({"bootstrap.servers": broker})
    producer.produce(topics["crm"], value=MALFORMED, key=b"a-globex")
    producer.produce(topics["crm"], value=b"{not json", key=b"a-globex")
    assert producer.flush(30) == 0

    listen = f"127.0.0.1:{harness.free_port()}"
    # Engine time follows event time, as in `huntline replay`, so the windows of the contract's
    # expected figures (30, 45, 90 days before the last event) hold here too. Batches and the
    # snapshot follow `freshness_ms` at its default (the harness's fixed batch length left out).
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state",
                                  listen, extra={"engine_time": "event_time", "batch": {"max_events": 5000}})
    with harness.huntline_run(config, tmp_path / "huntline.log", listen), \
            harness.prometheus(tmp_path, [listen]) as prom:
        harness.wait_for(
            lambda: harness.query(prom, 'sum(huntline_events_total{result="accepted"})')
            .get(frozenset(), 0) == 12, 60, "12 accepted events in Prometheus")
        harness.wait_until_caught_up(prom, 14)
        # A live run's task series carry their partition (`crm` here): summed away.
        activities = harness.query(prom, "sum without (partition) (huntline_activities_total)")
        assert activities == {frozenset({"team": "east-hunters", "role": "rep",
                                         "behaviour": "target_prospecting",
                                         "outcome": "connected"}.items()): 1.0}
        seconds = harness.query(prom, "sum without (partition) (huntline_activity_seconds_total)")
        assert seconds == {frozenset({"team": "east-hunters", "role": "rep",
                                      "behaviour": "target_prospecting"}.items()): 600.0}
        per_rep = harness.query(prom, "sum without (partition) (huntline_rep_activities_total)")
        assert per_rep == {frozenset({"team": "east-hunters", "rep": "u-rep",
                                      "behaviour": "target_prospecting"}.items()): 1.0}
        # Figures from the global tables: whole on every instance, so max across instances.
        assert harness.query(prom, "max by (team, rep) (huntline_target_accounts)") == {
            frozenset({"team": "east-hunters", "rep": "u-rep"}.items()): 1.0}
        assert harness.query(prom, "max by (team) (huntline_quota_quarter_amount)") == {
            frozenset({"team": "east-hunters"}.items()): 300000.0}
        # Every figure of the contract's expected file that Huntline computes so far.
        harness.assert_figures_through_prometheus(prom, harness.computed_figures(
            (harness.EXAMPLES / "small-org.expected.prom").read_text()))
        rejected = harness.query(prom, 'sum(huntline_events_total{result="rejected"})')
        assert rejected == {frozenset(): 2.0}
        reasons = harness.query(prom, "huntline_dead_letters_total")
        assert reasons[frozenset({"reason": "invalid_value"}.items())] == 1.0
        assert reasons[frozenset({"reason": "invalid_json"}.items())] == 1.0
        assert harness.query(prom, "huntline_build_info")
        # The state holds calendars and attendees' emails: readable by its owner alone.
        assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700

        exposition = harness.scrape(listen)
        # Every applied message is in both latency histograms once visible; measured from when it
        # was written (before the run started, here), the end-to-end one is the longer.
        own = harness.parse_exposition(exposition)
        applied = own["huntline_processing_latency_seconds_count"]
        assert applied == 8  # 6 crm and people events, 2 malformed
        assert own["huntline_end_to_end_latency_seconds_count"] == applied
        assert own["huntline_end_to_end_latency_seconds_sum"] > own["huntline_processing_latency_seconds_sum"]
        assert own["huntline_publish_duration_seconds_count"] >= 1
        lint = subprocess.run(["promtool", "check", "metrics"], input=exposition.encode(),
                              capture_output=True)
        assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()

    consumer = Consumer({"bootstrap.servers": broker, "group.id": "dlq-reader",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topics["dead_letter"]])
    letters = []
    deadline_polls = 60
    while len(letters) < 2 and deadline_polls:
        message = consumer.poll(1.0)
        deadline_polls -= 1
        if message is not None and not message.error():
            letters.append(message)
    consumer.close()
    assert len(letters) == 2
    bad = next(m for m in letters if m.value() == MALFORMED)
    headers = {k: v.decode() for k, v in bad.headers()}
    assert bad.key() == b"a-globex"
    assert headers["huntline.dlq.reason"] == "invalid_value"
    assert headers["huntline.dlq.detail"].startswith('data.channel: "pigeon" is not one of')
    assert headers["huntline.dlq.topic"] == topics["crm"]
    assert headers["huntline.dlq.partition"].isdigit()
    assert headers["huntline.dlq.offset"].isdigit()
    assert "huntline.dlq.rejected_at" in headers
    assert any(m.value() == b"{not json" for m in letters)
