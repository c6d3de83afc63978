"""The input topics as Kafka keeps them: an org topic written in transactions, input topics that
gain partitions, and records that retention deleted before Huntline read them."""
import json
import subprocess

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions

import harness
import test_live_equals_replay as live

MEDIUM = harness.EXAMPLES / "medium-org.jsonl"


def medium_lines():
    return [line for line in MEDIUM.read_text().splitlines() if line.strip()]


def test_an_org_topic_written_in_transactions_is_read_to_its_end(broker, tmp_path):
    """The org topic as a transactional producer writes it: a commit marker ends each transaction
    and an aborted transaction's messages are never delivered; one partition holds aborted
    messages only, another was emptied by retention. `huntline run` starts, and its figures are
    replay's of the committed events."""
    lines = medium_lines()
    org = [line for line in lines if json.loads(line)["type"] in harness.ORG_TYPES]
    rest = [line for line in lines if json.loads(line)["type"] not in harness.ORG_TYPES]
    name = "transactional-org"
    topics = {"org": f"{name}.org", "crm": f"{name}.crm", "people": f"{name}.people",
              "dead_letter": f"{name}.dead-letter", "history": f"{name}.history"}
    harness.create_topics(broker, {topics["org"]: 3, topics["crm"]: 3, topics["people"]: 3,
                                   topics["dead_letter"]: 1, topics["history"]: 1},
                          compacted=[topics["history"]])

    producer = Producer({"bootstrap.servers": broker, "transactional.id": f"{name}-writer"})
    producer.init_transactions(30)

    def transaction(events, partition, commit):
        producer.begin_transaction()
        for event in events:
            producer.produce(topics["org"], value=event.encode(), partition=partition,
                             key=harness.contract_key(json.loads(event)).encode())
        assert producer.flush(30) == 0  # on the broker before the transaction ends
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)

    # Every user a second later on another team: it would move every figure were it applied.
    moved = []
    for line in org:
        event = json.loads(line)
        if event["type"] == "org.user.upserted":
            time = event["time"].replace(":00Z", ":01Z")
            moved.append(json.dumps(dict(event, id=event["id"] + "-aborted", time=time,
                                         data=dict(event["data"], team="aborted-team"))))
    # Partition 2: a committed transaction whose records retention then deleted.
    transaction(org[:10], 2, commit=True)
    assert harness.delete_records(broker, topics["org"], 2) > 0
    # Partition 0: the org in two committed transactions, then an aborted one.
    transaction(org[:len(org) // 2], 0, commit=True)
    transaction(org[len(org) // 2:], 0, commit=True)
    transaction(moved, 0, commit=False)
    # Partition 1: aborted messages only.
    transaction(moved, 1, commit=False)
    assert harness.produce_lines(broker, rest, topics) == len(rest)

    figures, _, _ = live.run_once(broker, topics, tmp_path, 3)
    _, replay = harness.replay_figures(tmp_path, lines)
    diff = live.differences(figures, replay)
    assert diff == [], f"{len(diff)} series differ from replay:\n" + "\n".join(diff[:60])


def add_partitions(broker, topic, total):
    admin = AdminClient({"bootstrap.servers": broker})
    for future in admin.create_partitions([NewPartitions(topic, total)]).values():
        future.result(timeout=30)


def test_input_topics_that_gain_partitions_stop_the_run_and_are_refused(broker, tmp_path):
    """Keys are spread over partitions by their hash: partitions added to the people or crm topic
    move keys away from the state that holds them. A running instance stops with a message naming
    the topic and both counts; a new start is refused alike before reading anything, and leaves
    the state as it was (refused again with the counts the state was built with)."""
    lines = medium_lines()
    topics = live.fresh_topics(broker, "gained-partitions", 3)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen,
                                  extra={"engine_time": "event_time"})
    log = tmp_path / "huntline.log"
    with harness.huntline_run(config, log, listen) as proc:
        live.settled_figures([listen], 3)
        add_partitions(broker, topics["people"], 5)
        harness.wait_for(lambda: proc.poll() is not None, 60, "huntline run to stop")
    people = f"{topics['people']} has 5 partitions, but the state was built with 3"
    assert proc.returncode == 1 and people in log.read_text(), log.read_text()[-3000:]

    add_partitions(broker, topics["crm"], 4)
    crm = f"{topics['crm']} has 4 partitions, but the state was built with 3"
    for _ in range(2):
        run = subprocess.run([harness.HUNTLINE, "run", "--config", str(config)], capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 1 and crm in run.stderr and people in run.stderr, run.stderr
        assert "org tables loaded" not in run.stderr


def records_lost(listen):
    """{(topic, partition): offsets} of huntline_input_records_lost_total at /metrics."""
    out = {}
    for series, value in harness.parse_exposition(harness.scrape(listen)).items():
        name, _, rest = series.partition("{")
        if name == "huntline_input_records_lost_total":
            labels = dict(pair.split("=", 1) for pair in rest.rstrip("}").split(","))
            out[(labels["topic"].strip('"'), int(labels["partition"].strip('"')))] = value
    return out


def test_records_deleted_before_they_were_read_are_reported(broker, tmp_path):
    """Retention deleted records below where a task resumes (its offset stored with the state, or
    committed to the group): each such partition has an error line naming it, the offset and the
    log start, and huntline_input_records_lost_total counts the offsets skipped."""
    lines = medium_lines()
    org = [line for line in lines if json.loads(line)["type"] in harness.ORG_TYPES]
    rest = [line for line in lines if json.loads(line)["type"] not in harness.ORG_TYPES]
    topics = live.fresh_topics(broker, "records-lost", 3)
    assert harness.produce_lines(broker, org + rest[:len(rest) // 2], topics) == len(org) + len(rest) // 2
    live.run_once(broker, topics, tmp_path, 3)

    consumer = Consumer({"bootstrap.servers": broker, "group.id": "records-lost-watermarks"})
    ends = {(t, p): consumer.get_watermark_offsets(TopicPartition(topics[t], p), timeout=10)[1]
            for t in ("crm", "people") for p in range(3)}
    assert harness.produce_lines(broker, rest[len(rest) // 2:], topics) == len(rest) - len(rest) // 2
    # crm/0 loses everything written since, people/1 its first three records since.
    crm_end = consumer.get_watermark_offsets(TopicPartition(topics["crm"], 0), timeout=10)[1]
    assert crm_end > ends["crm", 0]
    assert harness.delete_records(broker, topics["crm"], 0, crm_end) == crm_end
    people_end = consumer.get_watermark_offsets(TopicPartition(topics["people"], 1), timeout=10)[1]
    assert people_end > ends["people", 1] + 3
    assert harness.delete_records(broker, topics["people"], 1, ends["people", 1] + 3) == ends["people", 1] + 3
    consumer.close()
    lost = {(topics["crm"], 0): crm_end - ends["crm", 0], (topics["people"], 1): 3}
    expected_lines = {
        (topics["crm"], 0): f"{topics['crm']}/0: the offset {ends['crm', 0]} {{}} is below the log "
                            f"start offset {crm_end}: {lost[topics['crm'], 0]} records were deleted",
        (topics["people"], 1): f"{topics['people']}/1: the offset {ends['people', 1]} {{}} is below "
                               f"the log start offset {ends['people', 1] + 3}: 3 records were deleted"}

    def run_and_look(name, state, from_where, **kafka):
        listen = f"127.0.0.1:{harness.free_port()}"
        config = harness.write_config(tmp_path / f"{name}.json", broker, topics, state, listen,
                                      extra={"engine_time": "event_time"})
        settings = json.loads(config.read_text())
        settings["kafka"].update(kafka)
        config.write_text(json.dumps(settings))
        log = tmp_path / f"{name}.log"
        with harness.huntline_run(config, log, listen):
            harness.wait_for(lambda: records_lost(listen) == lost, 60, "the lost records counted")
            live.settled_figures([listen], 3)
            assert records_lost(listen) == lost
        errors = [line for line in log.read_text().splitlines() if line.startswith("huntline run: error:")]
        assert len(errors) == 2, log.read_text()
        for key, text in expected_lines.items():
            assert any(text.format(from_where) in line for line in errors), (text, errors)

    # An instance without state or changelog resuming at the group's offsets, the first one at
    # its own, then one without state restoring it from the changelog the first one wrote. (The
    # first two leave the changelog as it was: a run that logs reads past the loss, and an
    # instance of the group restoring after it has nothing lost.)
    run_and_look("from-group", tmp_path / "empty-state", "committed to the group",
                 rebuild_from_earliest=False, changelog=False)
    run_and_look("from-state", tmp_path / "state", "stored with the state", changelog=False)
    run_and_look("from-changelog", tmp_path / "empty-state-2", "stored with the state")


def test_an_org_tombstone_forgets_its_entity_at_each_start_without_a_dead_letter(broker, tmp_path):
    """A tombstone on the compacted org topic (the key with no value) forgets the account of its
    key: its target-list entries go, as in a replay that never had it, and no start sends the
    tombstone to the dead letters."""
    lines = medium_lines()
    forgotten = "acc-13"
    topics = live.fresh_topics(broker, "org-tombstone", 3)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    producer = Producer({"bootstrap.servers": broker})
    producer.produce(topics["org"], key=forgotten.encode(), value=None)
    assert producer.flush(30) == 0

    def is_forgotten(line):
        event = json.loads(line)
        return event["type"] == "crm.account.upserted" and event["data"]["account_id"] == forgotten
    assert any(is_forgotten(line) for line in lines)
    for sub in ("replay", "replay-all", "run"):
        (tmp_path / sub).mkdir()
    _, without = harness.replay_figures(tmp_path / "replay", [line for line in lines if not is_forgotten(line)])
    _, with_it = harness.replay_figures(tmp_path / "replay-all", lines)
    family = "huntline_target_accounts"
    assert with_it[family] != without[family]  # the account is on a target list

    for start in ("first", "restart"):
        figures, exposition, _ = live.run_once(broker, topics, tmp_path / "run", 3)
        assert figures[family] == without[family], start
        engine = harness.parse_exposition(exposition)
        assert engine.get("huntline_org_tombstones_total") == 1, start
        assert harness.read_topic(broker, topics["dead_letter"], f"dead-letters-{start}") == [], start
