#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora from what the project already holds as examples.

    seeds.py OUT_DIR SHARED_DIR REPO_ROOT

OUT_DIR/<target>/ receives one file per seed (named by its hash, so a rerun rewrites the same
files):
- decoder_fuzzer: every distinct shape of event in shared/contract/examples/*.jsonl, structured
  and as a binary-mode message (ce_* headers, data as the value), and the message of every
  conformance case in shared/conformance/cloudevents/cases.jsonl, in the framing of
  message_framing.h;
- recurrence_fuzzer: the rules and zones of the examples' calendar events, of the README's policy
  example and of tests/calendar, and each example calendar.event.upserted's data;
- config_fuzzer: the README's configuration examples and the configurations the engine tests parse;
- translate_fuzzer: every vendor sample in shared/samples, behind the byte choosing its format.
"""

import hashlib
import json
import os
import re
import struct
import sys

SEPARATOR = b"\xff"
NULL = b"\xfe"


def write(out_dir, target, seed):
    folder = os.path.join(out_dir, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(seed).hexdigest()), "wb") as f:
        f.write(seed)


def frame(value, key, headers):
    """A message in message_framing.h's spelling; None is null."""
    fields = [NULL if value is None else value.encode(), NULL if key is None else key.encode()]
    for name, header_value in headers:
        fields += [name.encode(), NULL if header_value is None else header_value.encode()]
    return SEPARATOR.join(fields)


def example_events(shared):
    folder = os.path.join(shared, "contract", "examples")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".jsonl"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        yield line.strip()


def shape(event):
    """The type and the set of fields present: one seed per shape is enough for coverage."""
    data = event.get("data")
    return (event.get("type"), tuple(sorted(data)) if isinstance(data, dict) else None)


def decoder_seeds(out_dir, shared):
    seen = set()
    for line in example_events(shared):
        event = json.loads(line)
        if shape(event) in seen:
            continue
        seen.add(shape(event))
        write(out_dir, "decoder_fuzzer", line.encode())
        headers = [("ce_" + k, str(v)) for k, v in event.items() if k != "data"]
        headers.append(("content-type", "application/json"))
        write(out_dir, "decoder_fuzzer", frame(json.dumps(event.get("data")), None, headers))
    cases = os.path.join(shared, "conformance", "cloudevents", "cases.jsonl")
    with open(cases, encoding="utf-8") as f:
        for line in f:
            message = json.loads(line)["message"]
            write(out_dir, "decoder_fuzzer",
                  frame(message["value"], message["key"], message["headers"]))


def recurrence_seeds(out_dir, shared, root):
    # Numbers sit at the input's tail (FuzzedDataProvider reads them from the end).
    numbers = struct.pack("<8Q", *(0x0123456789ABCDEF * (i + 1) & (2**64 - 1) for i in range(8)))
    rules = {"FREQ=WEEKLY;BYDAY=TU,TH"}
    zones = {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}
    with open(os.path.join(root, "tests", "calendar", "recurrence_test.cc"), encoding="utf-8") as f:
        text = f.read()
        rules.update(re.findall(r'"(FREQ=[^"]*)"', text))
        zones.update(re.findall(r'"([A-Z][a-z]+/[A-Za-z_]+)"', text))
    for line in example_events(shared):
        event = json.loads(line)
        data = event.get("data", {})
        if event.get("type") == "org.user.upserted":
            zones.add(data["timezone"])
        if event.get("type") != "calendar.event.upserted":
            continue
        if "rrule" in data:
            rules.add(data["rrule"])
        if "timezone" in data:
            zones.add(data["timezone"])
        if "rrule" in data or len(rules) < 4:
            write(out_dir, "recurrence_fuzzer",
                  b"\x01America/New_York\n" + json.dumps(data).encode() + numbers)
    for rule in sorted(rules):
        for zone in sorted(zones)[:3]:
            write(out_dir, "recurrence_fuzzer",
                  b"\x00" + rule.encode() + b"\n" + zone.encode() + b"\n" + numbers)


def config_seeds(out_dir, root):
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for block in re.findall(r"```json\n(.*?)```", readme, re.S):
        write(out_dir, "config_fuzzer", block.encode())
    for policies in re.findall(r'`(\[\{"name".*?\}\])`', readme):
        write(out_dir, "config_fuzzer", ('{"protected_time": {"policies": %s}}' % policies).encode())
    with open(os.path.join(root, "tests", "engine", "engine_test.cc"), encoding="utf-8") as f:
        for text in re.findall(r'ParseConfig\(R"\((.*?)\)"', f.read()):
            write(out_dir, "config_fuzzer", text.encode())
    write(out_dir, "config_fuzzer", b"{}")


FORMAT_BYTE = {"salesforce": 0, "hubspot": 1, "google": 2, "graph": 3, "ics": 4}


def translate_seeds(out_dir, shared):
    """Every vendor sample, behind the byte that chooses its format."""
    samples = os.path.join(shared, "samples")
    for system, byte in FORMAT_BYTE.items():
        folder = os.path.join(samples, system)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            with open(os.path.join(folder, name), "rb") as f:
                write(out_dir, "translate_fuzzer", bytes([byte]) + f.read())


def main():
    out_dir, shared, root = sys.argv[1:4]
    decoder_seeds(out_dir, shared)
    recurrence_seeds(out_dir, shared, root)
    config_seeds(out_dir, root)
    translate_seeds(out_dir, shared)


if __name__ == "__main__":
    main()
