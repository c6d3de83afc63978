"""`huntline translate`: every vendor sample of a format it reads gives the contract events its
expectation file states (tests/connectors/expected/, worked out by reading the sample), each
valid against the contract's schema, and every record it cannot map is a dead letter with the
reason stated."""
import json
import pathlib
import subprocess

import jsonschema
import pytest

import harness

REPO = pathlib.Path(__file__).resolve().parents[2]
EXPECTED = REPO / "tests" / "connectors" / "expected"
SAMPLES = REPO.parent / "shared" / "samples"
SCHEMA = REPO / "docs" / "contract" / "events.schema.json"
FORMATS = {"salesforce-cdc", "hubspot", "google-calendar", "microsoft-graph", "ics"}  # the formats translate reads so far


def cases():
    out = []
    for path in sorted(EXPECTED.glob("*.json")):
        expected = json.loads(path.read_text())
        if expected["format"] in FORMATS:
            out.append(pytest.param(expected, id=path.stem))
    return out


def validator():
    schema = json.loads(SCHEMA.read_text())
    schema.pop("$id", None)  # a relative $id; the schema refers to itself only through #/…
    return jsonschema.Draft202012Validator(schema)


def run_translate(tmp_path, expected, sample, out, dead):
    args = [a.replace("{state}", str(tmp_path / "state")) for a in expected["translate_args"]]
    result = subprocess.run([harness.HUNTLINE, "translate", "--from", expected["format"],
                             "--input", str(SAMPLES / sample), "--out", str(out),
                             "--dead-letters", str(dead), *args],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result


def translate(tmp_path, expected):
    """Translates the samples the expectation requires into the same state first, then its own."""
    out = tmp_path / "out.jsonl"
    dead = tmp_path / "dead.jsonl"
    for required in filter(None, (r.strip() for r in expected["requires"].split(","))):
        run_translate(tmp_path, expected, required, tmp_path / "before.jsonl", tmp_path / "before.dead.jsonl")
    result = run_translate(tmp_path, expected, expected["sample"], out, dead)
    lines = lambda p: [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
    return lines(out), lines(dead), result.stderr


@pytest.mark.parametrize("expected", cases())
def test_a_sample_gives_the_events_its_expectation_states(tmp_path, expected):
    events, dead, stderr = translate(tmp_path, expected)
    check = validator()
    for event in events:
        errors = [e.message for e in check.iter_errors(event)]
        assert not errors, (event, errors)
    assert events == expected["events"]
    assert [d["locator"] for d in dead] == [d["locator"] for d in expected["dead_letters"]]
    for got, want in zip(dead, expected["dead_letters"]):
        assert want["reason_contains"] in got["reason"], (got, want)
    for d in dead:
        assert d["detail"] and d["record"] and d["format"] == expected["format"]
    assert f"translated {len(events)}," in stderr and f"dead-lettered {len(dead)}" in stderr


def test_every_expectation_file_is_valid_and_every_sample_has_one():
    result = subprocess.run(["/usr/bin/python3", str(REPO / "tests" / "connectors" / "validate_expected.py")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_calendar_no_user_names_is_a_usage_error(tmp_path):
    result = subprocess.run([harness.HUNTLINE, "translate", "--from", "google-calendar", "--input",
                             str(SAMPLES / "google" / "g-02-compass-incremental-sync-recurring-series-created.json"),
                             "--out", str(tmp_path / "out.jsonl"), "--calendar", "nobody@example.com"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--calendar" in result.stderr and "nobody@example.com" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


ALTERNATIVES = [None, "x", -5, 1e300, [], {}, True, "9" * 40]


def mutations(value):
    """Every copy of `value` with one of its members replaced by a value of another type."""
    if isinstance(value, dict):
        for key in list(value):
            for alternative in ALTERNATIVES:
                yield {**value, key: alternative}
            for inner in mutations(value[key]):
                yield {**value, key: inner}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for alternative in ALTERNATIVES:
                yield value[:i] + [alternative] + value[i + 1:]
            for inner in mutations(item):
                yield value[:i] + [inner] + value[i + 1:]


def ics_mutations(text):
    """Every copy of an ICS file with one line dropped, doubled, or its value emptied."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        yield "\n".join(lines[:i] + lines[i + 1:])
        yield "\n".join(lines[:i + 1] + [line] + lines[i + 1:])
        if ":" in line:
            yield "\n".join(lines[:i] + [line.split(":", 1)[0] + ":"] + lines[i + 1:])


@pytest.mark.parametrize("expected", cases())
def test_no_mutation_of_a_sample_stops_translate_or_breaks_the_contract(tmp_path, expected):
    sample = SAMPLES / expected["sample"]
    variants = tmp_path / "variants"
    if expected["format"] == "ics":
        variants.write_text("\n".join(ics_mutations(sample.read_text())))
    else:
        try:
            value = json.loads(sample.read_text())
        except ValueError:
            pytest.skip("not JSON")
        with variants.open("w") as out:
            for variant in mutations(value):
                out.write(json.dumps(variant) + "\n")
    args = [a.replace("{state}", str(tmp_path / "state")) for a in expected["translate_args"]]
    if "--observed-at" not in args:
        args += ["--observed-at", "2026-01-01T00:00:00Z"]
    result = subprocess.run([harness.HUNTLINE, "translate", "--from", expected["format"], "--input", str(variants),
                             "--out", str(tmp_path / "out.jsonl"), *args],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    check = validator()
    for line in (tmp_path / "out.jsonl").read_text().splitlines():
        event = json.loads(line)
        errors = [e.message for e in check.iter_errors(event)]
        assert not errors, (event, errors)
