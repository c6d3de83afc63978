"""`huntline connect` on a real broker: the vendors' own records on their topics become the
contract's events on Huntline's topics, and `huntline run` over them gives the figures `huntline
replay` gives over what `huntline translate` writes for the same records; a `kill -9` of connect
in the middle loses no event and counts none twice."""
import json
import os
import signal
import subprocess
import time

import requests

import harness
from test_live_equals_replay import differences, fresh_topics, settled_figures

REPO = harness.ROOT
SAMPLES = REPO.parent / "shared" / "samples"
EXPECTED = REPO / "tests" / "connectors" / "expected"
MAPPING = REPO / "tests" / "connectors" / "mapping-test.yaml"
FORMATS = {"salesforce-cdc": "sf", "hubspot": "hs", "google-calendar": "g", "microsoft-graph": "m", "ics": "ics"}


def connect_config(path, broker, name, topics, state_dir, listen, batch=200):
    sources = [{"format": f, "topic": f"{name}.native.{short}"} for f, short in FORMATS.items()]
    path.write_text(json.dumps({
        "id": f"{name}-connect", "kafka": {"brokers": broker}, "state_dir": str(state_dir), "listen": listen,
        "mapping_file": str(MAPPING), "batch": {"max_messages": batch, "max_wait_ms": 100},
        "topics": {"org": topics["org"], "crm": topics["crm"], "people": topics["people"],
                   "dead_letter": topics["dead_letter"]},
        "sources": sources}))
    return path


def records_read(listen):
    try:
        figures = harness.parse_exposition(harness.scrape(listen))
    except requests.RequestException:
        return -1
    return sum(v for k, v in figures.items() if k.startswith("huntline_connect_records_total"))


def produce(broker, topic, messages):
    producer = harness.producer_for(broker)
    for key, value in messages:
        producer.produce(topic, value=value.encode(), key=key.encode() if key else None)
    producer.flush(30)


def translate(tmp_path, fmt, text, calendar, state, name):
    source = tmp_path / f"{name}.in"
    source.write_text(text)
    out = tmp_path / f"{name}.jsonl"
    args = ["--calendar", calendar] if calendar else []
    run = subprocess.run([harness.HUNTLINE, "translate", "--from", fmt, "--input", str(source), "--out", str(out),
                          "--config", str(MAPPING), "--state", str(state), *args],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return [line for line in out.read_text().splitlines() if line.strip()]


def by_key(events):
    """Events grouped by their Kafka key, in order."""
    out = {}
    for event in events:
        out.setdefault(event["partitionkey"], []).append(event)
    return out


def test_every_vendor_sample_through_connect_gives_the_events_of_its_translation(broker, tmp_path):
    """Every sample on its vendor's topic, as a sync job would put it there: connect writes what
    translate writes for it, each key's events in the same order, and nothing else; what it
    cannot map is on the dead-letter topic, as translate's dead letters."""
    name = "connect-samples"
    topics = fresh_topics(broker, name, 3)
    harness.create_topics(broker, {f"{name}.native.{short}": 1 for short in FORMATS.values()})
    expected_events, expected_dead, count = [], 0, 0
    for path in sorted(EXPECTED.glob("*.json")):
        expected = json.loads(path.read_text())
        args = expected["translate_args"]
        calendar = args[args.index("--calendar") + 1] if "--calendar" in args else ""
        if "--observed-at" in args:
            continue  # a tombstone's time is when it was fetched: connect has no such time
        text = (SAMPLES / expected["sample"]).read_text()
        produce(broker, f"{name}.native.{FORMATS[expected['format']]}", [(calendar, text)])
        count += 1
        expected_events += map(json.loads, translate(tmp_path, expected["format"], text, calendar,
                                                     tmp_path / "translate-state", path.stem))
        expected_dead += len((tmp_path / f"{path.stem}.dead.jsonl").read_text().splitlines())
    assert len(expected_events) > 30 and expected_dead > 30
    listen = f"127.0.0.1:{harness.free_port()}"
    config = connect_config(tmp_path / "connect.json", broker, name, topics, tmp_path / "connect-state", listen)
    with harness.process([harness.HUNTLINE, "connect", "--config", str(config)], tmp_path / "connect.log"):
        harness.wait_for(lambda: records_read(listen) == count, 60, f"connect to read the {count} samples")
    written = [e for topic in ("org", "crm", "people") for e in read_all(broker, topics[topic])]
    assert by_key(written) == by_key(expected_events)
    dead = read_all(broker, topics["dead_letter"])
    assert len(dead) == expected_dead
    assert all(d["reason"] and d["detail"] and "@" in d["input"] for d in dead)


def cdc(entity, record, change_type, number, fields):
    header = {"entityName": entity, "recordIds": [record], "changeType": change_type,
              "transactionKey": f"tx-{number}", "sequenceNumber": 1, "commitNumber": number,
              "commitTimestamp": 1772323200000 + number * 60000, "commitUser": "0055f000005mc66AAA",
              "changedFields": [], "nulledFields": []}
    return json.dumps({"ChangeEventHeader": header, **fields})


def generated_cdc(accounts):
    """Accounts, their opportunities and completed calls, as Salesforce's CDC would send them."""
    messages, number = [], 0
    for i in range(accounts):
        account = f"001GEN{i:09d}AA"
        number += 1
        messages.append(cdc("Account", account, "CREATE", number, {"Name": f"Account {i}", "Website": f"acct{i}.example",
                                                                  "Type": "Prospect", "OwnerId": "0055f000005mc66AAA"}))
        number += 1
        messages.append(cdc("Opportunity", f"006GEN{i:09d}AA", "CREATE", number, {
            "AccountId": account, "OwnerId": "0055f000005mc66AAA", "Type": "New Customer", "LeadSource": "Web",
            "StageName": ["Prospecting", "Qualification", "Closed Won"][i % 3], "Amount": 1000 + i,
            "CloseDate": 1782777600000, "CreatedDate": 1772323200000 + number * 60000}))
        number += 1
        messages.append(cdc("Task", f"00TGEN{i:09d}AA", "CREATE", number, {
            "OwnerId": "0055f000005mc66AAA", "CreatedById": "0055f000005mc66AAA", "AccountId": account,
            "Status": "Completed", "IsClosed": True, "TaskSubtype": "Call", "CallType": "Outbound",
            "CallDurationInSeconds": 60 + i % 300}))
    return messages


def read_all(broker, topic):
    """Every committed message of `topic`, each partition in order (a transaction's marker may
    follow its last message: the end of a partition is where its consumer says it is)."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition
    consumer = Consumer({"bootstrap.servers": broker, "group.id": f"read-{topic}-{time.time()}",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "enable.partition.eof": True})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    values, ended = [], set()
    try:
        while len(ended) < len(partitions):
            message = consumer.poll(10)
            assert message is not None, f"{topic} did not reach its end"
            if message.error():
                assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
                ended.add(message.partition())
                continue
            values.append(json.loads(message.value()))
    finally:
        consumer.close()
    return values


def test_a_kill_of_connect_in_the_middle_loses_no_event_and_counts_none_twice(broker, tmp_path):
    name = "connect-kill"
    topics = fresh_topics(broker, name, 3)
    harness.create_topics(broker, {f"{name}.native.{short}": 1 for short in FORMATS.values()})
    messages = generated_cdc(400)
    produce(broker, f"{name}.native.sf", [("", m) for m in messages])
    expected_lines = translate(tmp_path, "salesforce-cdc", "\n".join(messages), "", tmp_path / "translate-state", "all")
    assert len(expected_lines) == 1200

    want = {(e["source"], e["id"]) for e in map(json.loads, expected_lines)}

    def written():
        return [(e["source"], e["id"]) for e in read_all(broker, topics["org"]) + read_all(broker, topics["crm"])]

    listen = f"127.0.0.1:{harness.free_port()}"
    config = connect_config(tmp_path / "connect.json", broker, name, topics, tmp_path / "connect-state", listen,
                            batch=20)
    with harness.process([harness.HUNTLINE, "connect", "--config", str(config)], tmp_path / "connect.log") as proc:
        harness.wait_for(lambda: records_read(listen) >= 300, 60, "connect to read part of the stream")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(set(written())) < len(want)  # killed in the middle
    with harness.process([harness.HUNTLINE, "connect", "--config", str(config)], tmp_path / "connect-2.log"):
        harness.wait_for(lambda: want <= set(written()), 120, "connect to write the rest after its restart")
        time.sleep(1)
    ids = written()
    assert set(ids) == want  # nothing lost, nothing made up
    duplicates = len(ids) - len(set(ids))
    print(f"events written twice around the kill: {duplicates}")

    _, want_figures = harness.replay_figures(tmp_path, expected_lines)
    run_listen = f"127.0.0.1:{harness.free_port()}"
    run_config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", run_listen,
                                      extra={"engine_time": "event_time"})
    with harness.huntline_run(run_config, tmp_path / "huntline.log", run_listen):
        got = settled_figures([run_listen], 3)
    assert want_figures and not differences(got, want_figures)  # a repeat counts nothing twice


def test_a_partition_added_to_a_source_is_read_without_a_restart(broker, tmp_path):
    from confluent_kafka.admin import AdminClient, NewPartitions
    name = "connect-grow"
    topics = fresh_topics(broker, name, 1)
    harness.create_topics(broker, {f"{name}.native.{short}": 1 for short in FORMATS.values()})
    page = (SAMPLES / "google" / "g-02-compass-incremental-sync-recurring-series-created.json").read_text()
    produce(broker, f"{name}.native.g", [("test.user@gmail.com", page)])
    listen = f"127.0.0.1:{harness.free_port()}"
    config = connect_config(tmp_path / "connect.json", broker, name, topics, tmp_path / "connect-state", listen)
    with harness.process([harness.HUNTLINE, "connect", "--config", str(config)], tmp_path / "connect.log"):
        harness.wait_for(lambda: records_read(listen) == 1, 60, "connect to read the first page")
        admin = AdminClient({"bootstrap.servers": broker})
        for future in admin.create_partitions([NewPartitions(f"{name}.native.g", 2)]).values():
            future.result(30)
        producer = harness.producer_for(broker)
        later = (SAMPLES / "google" / "g-07-compass-allday-transparent.json").read_text()
        producer.produce(f"{name}.native.g", value=later.encode(), key=b"foo@gmail.com", partition=1)
        producer.flush(30)
        harness.wait_for(lambda: records_read(listen) == 2, 60, "connect to read the new partition")
        written = harness.parse_exposition(harness.scrape(listen))
        assert written[f'huntline_connect_events_total{{topic="{topics["people"]}"}}'] == 2
    events = read_all(broker, topics["people"])
    assert {e["data"]["calendar_id"] for e in events} == {"u-test", "u-foo"}


def test_a_bad_configuration_stops_connect_naming_the_field(tmp_path):
    config = tmp_path / "connect.json"
    config.write_text(json.dumps({"kafka": {"brokers": "127.0.0.1:1"}, "state_dir": str(tmp_path / "state"),
                                  "sources": [{"format": "salesforce", "topic": "sf"}]}))
    result = subprocess.run([harness.HUNTLINE, "connect", "--config", str(config)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert "sources[0].format" in result.stderr and "salesforce-cdc" in result.stderr
