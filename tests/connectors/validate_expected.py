#!/usr/bin/python3
"""Checks the connector expectation files (tests/connectors/expected/*.json).

For every file: its shape, that its sample exists under the shared samples directory and that the
file is named after the sample's stem, that every event validates against the contract's JSON Schema
(docs/contract/events.schema.json, draft 2020-12, formats checked), that (source, id) is unique, that
`partitionkey` is the Kafka key events.md gives the event's type, and that events are in time order.
It does not translate anything: the expectations are worked out by hand from connectors/MAPPING.md.

Usage: tests/connectors/validate_expected.py [--samples DIR] [--schema FILE]
Exit status 0 when every file passes, 1 otherwise (each problem is printed).
"""

import argparse
import datetime
import json
import pathlib
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXPECTED = ROOT / "tests" / "connectors" / "expected"
FORMATS = {"salesforce-cdc", "hubspot", "google-calendar", "microsoft-graph", "ics"}
KEYS = {"sample", "format", "translate_args", "requires", "events", "dead_letters", "notes"}
OPTIONAL_KEYS = {"receiver"}
ORG_TYPES = {"org.user.upserted": "user_id", "crm.account.upserted": "account_id",
             "crm.contact.upserted": "contact_id"}
CRM_TYPES = {"crm.lead.upserted", "crm.opportunity.upserted", "crm.activity.logged"}
PEOPLE_TYPES = {"calendar.event.upserted": "calendar_id", "calendar.event.cancelled": "calendar_id",
                "crm.task.assigned": "assignee_id"}


def expected_key(event):
    kind, data = event["type"], event["data"]
    if kind in ORG_TYPES:
        return data[ORG_TYPES[kind]]
    if kind in PEOPLE_TYPES:
        return data[PEOPLE_TYPES[kind]]
    if kind in CRM_TYPES:
        if "account_id" in data:
            return data["account_id"]
        return "lead:" + data["lead_id"]
    return None


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_file(path, samples, validator):
    problems = []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"unreadable: {e}"]
    missing = KEYS - doc.keys()
    extra = doc.keys() - KEYS - OPTIONAL_KEYS
    if missing:
        problems.append(f"missing keys {sorted(missing)}")
    if extra:
        problems.append(f"unexpected keys {sorted(extra)}")
    if problems:
        return problems
    sample = samples / doc["sample"]
    if not sample.is_file():
        problems.append(f"sample {doc['sample']} not found under {samples}")
    if path.stem != pathlib.PurePath(doc["sample"]).stem:
        problems.append(f"file name should be {pathlib.PurePath(doc['sample']).stem}.json")
    if doc["format"] not in FORMATS:
        problems.append(f"format {doc['format']!r}")
    if not isinstance(doc["translate_args"], list) or not all(isinstance(a, str) for a in doc["translate_args"]):
        problems.append("translate_args must be a list of strings")
    if not isinstance(doc["requires"], str):
        problems.append("requires must be a string")
    else:
        for req in filter(None, (r.strip() for r in doc["requires"].split(","))):
            if not (samples / req).is_file():
                problems.append(f"required sample {req} not found")
    if not isinstance(doc["notes"], str) or not doc["notes"]:
        problems.append("notes must be a non-empty string")
    for i, dl in enumerate(doc["dead_letters"]):
        if set(dl) != {"locator", "reason_contains"} or not all(isinstance(v, str) and v for v in dl.values()):
            problems.append(f"dead_letters[{i}] must be {{locator, reason_contains}} strings")
    if not doc["events"] and not doc["dead_letters"] and "skip" not in doc["notes"].lower():
        problems.append("no events and no dead letters: the notes must say why it is skipped")

    seen = set()
    last_time = None
    for i, event in enumerate(doc["events"]):
        for err in validator.iter_errors(event):
            where = "/".join(str(p) for p in err.absolute_path)
            problems.append(f"events[{i}] {where}: {err.message}")
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            continue
        ident = (event.get("source"), event.get("id"))
        if ident in seen:
            problems.append(f"events[{i}] repeats (source, id) {ident}")
        seen.add(ident)
        try:
            key = expected_key(event)
        except KeyError as e:
            key = None
            problems.append(f"events[{i}] has no {e} for its key")
        if key is not None and event.get("partitionkey") != key:
            problems.append(f"events[{i}] partitionkey {event.get('partitionkey')!r}, expected {key!r}")
        try:
            t = parse_time(event["time"])
        except (KeyError, ValueError):
            continue
        if last_time is not None and t < last_time:
            problems.append(f"events[{i}] is earlier than the event before it")
        last_time = t
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=pathlib.Path, default=ROOT.parent / "shared" / "samples")
    parser.add_argument("--schema", type=pathlib.Path, default=ROOT / "docs" / "contract" / "events.schema.json")
    args = parser.parse_args()
    schema = json.loads(args.schema.read_text(encoding="utf-8"))
    # The schema's $id is relative ("huntline/events.schema.json"), which this jsonschema resolves
    # against itself into an unknown URL when following "#/$defs/…". Give it an absolute one; the
    # schema is otherwise used as it is.
    schema["$id"] = "urn:huntline:events.schema.json"
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

    files = sorted(EXPECTED.glob("*.json"))
    samples = sorted(p.relative_to(args.samples).as_posix()
                     for p in args.samples.rglob("*") if p.is_file() and p.name != "SOURCES.md")
    covered = set()
    failed = 0
    events = 0
    for path in files:
        problems = check_file(path, args.samples, validator)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            covered.add(doc.get("sample"))
            events += len(doc.get("events", []))
        except ValueError:
            pass
        for p in problems:
            print(f"{path.name}: {p}")
        failed += bool(problems)
    for s in samples:
        if s not in covered:
            print(f"no expectation file for sample {s}")
            failed += 1
    print(f"{len(files)} expectation files, {events} events, {len(samples)} samples: "
          f"{'all valid' if not failed else f'{failed} with problems'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
