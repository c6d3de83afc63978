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

    figures, _, _ = live.run_once(broker, topics, tmp_path, 3)
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


def defects(lines):
    """The smallest input showing each defect a value checked at the door guards against, each
    under a new id, with the field its dead letter must name."""
    first = {}
    for line in lines:
        event = json.loads(line)
        first.setdefault(event["type"], event)

    def variant(kind, n, **data):
        event = json.loads(json.dumps(first[kind]))
        event["id"] = f"defect-{n}"
        event["data"].update(data)
        return event

    block = first["calendar.event.upserted"]
    out = [
        # A typo for 2026: time would step through a century of midnights.
        (dict(variant("crm.activity.logged", 1, activity_id="d-act-1"), time="2126-07-07T14:00:00Z"), "time"),
        # Breaks the flow ledger's identity for good.
        (variant("crm.opportunity.upserted", 2, opportunity_id="d-opp-2", amount=1e300), "data.amount"),
        # Twice: a +Inf counter.
        (variant("crm.activity.logged", 3, activity_id="d-act-3", duration_s=1e308), "data.duration_s"),
        (variant("crm.activity.logged", 4, activity_id="d-act-4", duration_s=1e308), "data.duration_s"),
        # Misspelt: taken as UTC, it would move the user's days and blocks.
        (variant("org.user.upserted", 5, user_id="u-ny", timezone="America/NewYork"), "data.timezone"),
        # Seconds and minutes: 10 s and 709 MB for three days; millions of protected seconds.
        (variant("calendar.event.upserted", 6, event_id="d-blk-6", rrule="FREQ=SECONDLY"), "data.rrule"),
        (variant("calendar.event.upserted", 7, event_id="d-blk-7", rrule="FREQ=MINUTELY;INTERVAL=30"),
         "data.rrule"),
        (variant("calendar.event.upserted", 8, event_id="d-blk-8",
                 rrule="FREQ=DAILY;BYHOUR=8,9,10,11,12;BYMINUTE=0,10,20,30,40,50"), "data.rrule"),
        # The label separator in a label value.
        (variant("crm.activity.logged", 9, activity_id="d-act-9", actor_id="evil\u001fdeal_work"), "data.actor_id"),
    ]
    assert block["data"]["rrule"]  # the variants above are series like the example's block
    return [(json.dumps(event), field) for event, field in out]


def test_each_defect_is_a_dead_letter_naming_its_field_and_the_rest_counts_as_without_it(broker, tmp_path):
    lines = [line for line in SMALL.read_text().splitlines() if line.strip()]
    (tmp_path / "clean").mkdir()
    _, clean = harness.replay_figures(tmp_path / "clean", lines)
    bad = defects(lines)
    # Each defect after the event it is a variant of: in the middle of the stream.
    mixed = lines[:len(lines) // 2] + [line for line, _ in bad] + lines[len(lines) // 2:]

    # Replay: the same figures, and one dead letter per defect naming its field.
    (tmp_path / "replay").mkdir()
    events = tmp_path / "replay" / "events.jsonl"
    events.write_text("\n".join(mixed) + "\n")
    run = harness.subprocess.run([harness.HUNTLINE, "replay", "--input", str(events), "--metrics-out",
                                  str(tmp_path / "replay" / "m.prom"), "--dead-letters",
                                  str(tmp_path / "replay" / "dead.jsonl")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert live.differences(harness.computed_figures((tmp_path / "replay" / "m.prom").read_text()), clean) == []
    replay_letters = [json.loads(line) for line in (tmp_path / "replay" / "dead.jsonl").read_text().splitlines()]
    assert len(replay_letters) == len(bad)
    for letter, (_, field) in zip(replay_letters, bad):
        assert letter["reason"] == "invalid_value", letter
        assert letter["detail"].startswith(field + ":"), (field, letter["detail"])

    # Live, through Kafka: the engine keeps running, the same figures, the same dead letters.
    topics = live.fresh_topics(broker, "defects", 3)
    assert harness.produce_lines(broker, mixed, topics) == len(mixed)
    figures, _, _ = live.run_once(broker, topics, tmp_path, 3)
    assert live.differences(figures, clean) == []
    letters = dead_letters(broker, topics["dead_letter"], len(bad))
    assert sorted(dict(m.headers())["huntline.dlq.detail"].decode().split(":")[0] for m in letters) == \
        sorted(field for _, field in bad)
    assert {dict(m.headers())["huntline.dlq.reason"] for m in letters} == {b"invalid_value"}


def test_series_past_a_familys_limit_are_refused_and_counted(tmp_path):
    """Any id becomes a label value: 40 reps' activities under a limit of 25 series per family
    keep 25 series in each per-rep family and count what was refused."""
    lines = [line for line in SMALL.read_text().splitlines() if line.strip()]
    activity = next(json.loads(line) for line in lines if json.loads(line)["type"] == "crm.activity.logged")
    for i in range(40):
        event = json.loads(json.dumps(activity))
        event["id"] = f"many-{i}"
        event["data"].update(activity_id=f"many-act-{i}", actor_id=f"u-many-{i}")
        lines.append(json.dumps(event))
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")
    config = tmp_path / "huntline.json"
    config.write_text(json.dumps({"limits": {"max_series_per_family": 25}}))

    def replay(*extra):
        out = tmp_path / "m.prom"
        run = harness.subprocess.run([harness.HUNTLINE, "replay", "--input", str(events), "--metrics-out", str(out),
                                      "--engine-metrics", *extra], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        replay.summary = run.stderr
        return harness.parse_exposition(out.read_text())

    unlimited = replay()
    assert "series updates refused" not in replay.summary
    limited = replay("--config", str(config))
    assert "series updates refused (limits.max_series_per_family: figures incomplete)" in replay.summary
    per_rep = "huntline_rep_activities_total"
    assert sum(1 for k in unlimited if k.startswith(per_rep + "{")) > 25
    assert sum(1 for k in limited if k.startswith(per_rep + "{")) == 25
    refused = {k: v for k, v in limited.items() if k.startswith("huntline_series_refused_total")}
    assert refused.get(f'huntline_series_refused_total{{family="{per_rep}"}}', 0) > 0, refused
    assert not any(k.startswith("huntline_series_refused_total") for k in unlimited)
