"""`privacy.per_person_metrics`: per-person series (`rep`, `leader`, `interrupter`) show user ids,
keyed pseudonyms, or nothing, on /metrics, in replay and in the daily history on the history topic
(and so in reports); every team figure stays as it was."""
import json
import re

import pytest
import harness
import test_live_equals_replay as live

SMALL = harness.EXAMPLES / "small-org.jsonl"
PEOPLE = ("rep", "leader", "interrupter")


def user_ids(lines):
    return {json.loads(line)["data"]["user_id"] for line in lines if '"org.user.upserted"' in line}


def without_people(figures):
    """The figures with every per-person label summed away: what a team sees."""
    out = {}
    for family, series in figures.items():
        for labels, value in series.items():
            key = frozenset((k, v) for k, v in labels if k not in PEOPLE)
            out.setdefault(family, {})
            out[family][key] = out[family].get(key, 0.0) + value
    return out


def person_values(figures):
    return {v for series in figures.values() for labels in series for k, v in labels if k in PEOPLE}


def replay(tmp_path, lines, privacy):
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")
    config = tmp_path / "replay-config.json"
    config.write_text(json.dumps({"privacy": privacy}))
    out = tmp_path / "replay.prom"
    run = harness.subprocess.run([harness.HUNTLINE, "replay", "--input", str(events), "--metrics-out", str(out),
                                  "--config", str(config)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return harness.computed_figures(out.read_text())


@pytest.mark.parametrize("mode", ["off", "pseudonymized"])
def test_per_person_series_follow_the_privacy_switch_live_and_in_replay(broker, tmp_path, mode):
    lines = [line for line in SMALL.read_text().splitlines() if line.strip()]
    ids = user_ids(lines)
    (tmp_path / "plain").mkdir()
    _, plain = harness.replay_figures(tmp_path / "plain", lines)
    assert person_values(plain) & ids  # the stream has per-person series to hide

    privacy = {"per_person_metrics": mode, "pseudonym_key": "team-secret", "per_person_reports": True}
    want = replay(tmp_path, lines, privacy)
    assert without_people(want) == without_people(plain)
    if mode == "off":
        assert person_values(want) == {""}
    else:
        assert person_values(want) and all(v.startswith("p-") for v in person_values(want))
        assert len(person_values(want)) == len(person_values(plain))

    topics = live.fresh_topics(broker, f"privacy-{mode}", 3)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    figures, exposition, config = live.run_once(broker, topics, tmp_path, 3, extra={"privacy": privacy})
    assert live.differences(figures, want) == []
    for user in ids:
        assert f'"{user}"' not in exposition, user

    # The day records on the shared history topic hide them too, and so the report made from them.
    records = [m.value() or b"" for m in harness.read_topic(broker, topics["history"], "privacy-reader")]
    assert records
    for user in ids:
        assert not any(user.encode() in value for value in records), user
    report = tmp_path / "report.json"
    run = harness.subprocess.run([harness.HUNTLINE, "report", "--config", str(config), "--from-kafka",
                                  "--quarter", "FY2026-Q3", "--format", "json", "--out", str(report)],
                                 capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    text = report.read_text()
    assert json.loads(text)["has_data"]
    for user in ids:
        assert f'"{user}"' not in text, user
    protected = json.loads(text)["organisation"]["protected_time"]
    if mode == "off":
        # Every manager under one empty name: how many there were is not known.
        assert protected["managers_interrupting"] is None and protected["top_two_managers_share"] is None
        assert protected["manager_seconds_total"] > 0
    if mode == "pseudonymized":
        # The report names people by the pseudonyms dashboards show, not a second hash of them.
        named = set(re.findall(r'"(p-[0-9a-f]{8})"', text))
        assert named and named <= person_values(want), (named, person_values(want))
