"""No refused message can stop `huntline run`: a refusal whose reason repeats a huge bad value,
and an original too large to carry whole with the dead-letter headers, both become dead letters
on the topic, and the events around them are counted as replay counts them."""
import json

from confluent_kafka import Consumer

import harness
import test_live_equals_replay as live

SMALL = harness.EXAMPLES / "small-org.jsonl"


def dead_letters(broker, topic, count):
    consumer = Consumer({"bootstrap.servers": broker, "group.id": "dead-letter-reader",
                         "auto.offset.reset": "earliest", "fetch.message.max.bytes": 2_000_000})
    consumer.subscribe([topic])
    letters = []
    for _ in range(60):
        if len(letters) == count:
            break
        message = consumer.poll(1.0)
        if message is not None and not message.error():
            letters.append(message)
    consumer.close()
    return letters


def test_oversized_refusals_become_bounded_dead_letters_and_the_engine_goes_on(broker, tmp_path):
    lines = [line for line in SMALL.read_text().splitlines() if line.strip()]
    activity = next(json.loads(line) for line in lines if json.loads(line)["type"] == "crm.activity.logged")
    # Its refusal's reason repeats the 600 KB `time`: reason and original together are over the
    # producer's 1,000,000-byte limit.
    huge_time = json.dumps(dict(activity, id="huge-time", time="x" * 600_000))
    # 990 KB: with the dead-letter headers it cannot be carried whole.
    huge_value = json.dumps({"specversion": "1.0", "pad": "y" * 990_000}).encode()
    _, replay = harness.replay_figures(tmp_path, lines)

    topics = live.fresh_topics(broker, "dead-letters", 3)
    middle = len(lines) // 2
    assert harness.produce_lines(broker, lines[:middle] + [huge_time], topics) == middle + 1
    producer = harness.producer_for(broker)
    producer.produce(topics["crm"], value=huge_value, key=b"a-huge")
    assert producer.flush(30) == 0
    assert harness.produce_lines(broker, lines[middle:], topics) == len(lines) - middle

    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen,
                                  extra={"engine_time": "event_time"})
    with harness.huntline_run(config, tmp_path / "huntline.log", listen) as proc:
        figures = live.settled_figures([listen], 3)
        assert proc.poll() is None
    assert live.differences(figures, replay) == []

    letters = dead_letters(broker, topics["dead_letter"], 2)
    assert len(letters) == 2
    by_key = {m.key(): m for m in letters}
    headers = {k: v for k, v in by_key[b"a-huge"].headers()}
    assert len(by_key[b"a-huge"].value()) == 64 * 1024
    assert by_key[b"a-huge"].value() == huge_value[:64 * 1024]
    assert headers["huntline.dlq.original_size"] == str(len(huge_value)).encode()
    assert headers["huntline.dlq.topic"] == topics["crm"].encode()
    (time_letter,) = [m for k, m in by_key.items() if k != b"a-huge"]
    assert time_letter.value() == huge_time.encode()  # fits whole: kept whole
    detail = dict(time_letter.headers())["huntline.dlq.detail"].decode()
    assert len(detail.encode()) <= 1024
    assert detail.startswith('time: "xxx') and detail.endswith(" bytes)"), detail[-80:]
