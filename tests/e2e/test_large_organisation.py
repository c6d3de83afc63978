"""A large organisation's daily history: one crm task's day record is well over Kafka's 1 MB
message limit (15,000 reps with an activity each). It goes to the history topic in parts, the
engine keeps running, and the quarter's report read back from the topic equals replay's."""
import json

import harness
import test_live_equals_replay as live

REPS = 15_000


def event(n, kind, time, data):
    return json.dumps({"specversion": "1.0", "id": f"big-{n}", "source": "large-org", "type": kind,
                       "time": time, "data": data})


def large_organisation():
    lines = [event(0, "crm.account.upserted", "2026-09-29T08:00:00Z",
                   {"account_id": "a-1", "name": "Globex", "domains": ["globex.example"],
                    "relationship": "prospect", "owner_id": "u-1"})]
    for i in range(1, REPS + 1):
        lines.append(event(i, "org.user.upserted", "2026-09-29T08:00:00Z",
                           {"user_id": f"u-{i}", "name": f"Rep {i}", "email": f"rep{i}@acme.example",
                            "role": "rep", "team": f"team-{i % 300}", "timezone": "UTC", "active": True}))
    for i in range(1, REPS + 1):
        lines.append(event(REPS + i, "crm.activity.logged", "2026-09-29T10:00:00Z",
                           {"activity_id": f"act-{i}", "actor_id": f"u-{i}", "account_id": "a-1",
                            "channel": "call", "direction": "outbound", "outcome": "connected",
                            "duration_s": 60}))
    # A day later, and into the next quarter: the quarter's days are all recorded.
    lines.append(event(3 * REPS, "crm.activity.logged", "2026-10-01T10:00:00Z",
                       {"activity_id": "act-last", "actor_id": "u-1", "account_id": "a-1", "channel": "call",
                        "direction": "outbound", "outcome": "connected", "duration_s": 60}))
    return lines


def test_a_day_record_over_the_message_limit_goes_in_parts(broker, tmp_path):
    lines = large_organisation()
    _, replay = harness.replay_figures(tmp_path, lines)
    history = tmp_path / "replay-history"
    run = harness.subprocess.run([harness.HUNTLINE, "replay", "--input", str(tmp_path / "scenario.jsonl"),
                                  "--history-dir", str(history), "--metrics-out", str(tmp_path / "replay.prom")],
                                 capture_output=True, text=True)
    assert run.returncode == 0, run.stderr

    topics = live.fresh_topics(broker, "large-org", 2)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    figures, _, config = live.run_once(broker, topics, tmp_path, 2)
    assert live.differences(figures, replay) == []

    messages = harness.read_topic(broker, topics["history"], "history-reader")
    crm_day = [m for m in messages if m.key().decode().startswith("h/2026-09-29/t/") and
               ".crm/" in m.key().decode() and m.value()]
    assert sum(len(m.value()) for m in crm_day) > 1_000_000  # whole, it could not be sent
    assert len(crm_day) > 1 and any(m.key().decode().endswith("#1") for m in crm_day)
    assert max(len(m.value()) for m in messages if m.value()) <= 300_000

    live_report = live.quarter_report("--config", config, "--from-kafka", out=tmp_path / "live.json")
    replay_report = live.quarter_report("--history-dir", history, out=tmp_path / "replay.json")
    assert replay_report["has_data"]
    assert live_report == replay_report
