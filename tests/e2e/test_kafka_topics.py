"""The input topics as Kafka keeps them: an org topic written in transactions, input topics that
gain partitions, and records that retention deleted before Huntline read them."""
import json

from confluent_kafka import Producer

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
