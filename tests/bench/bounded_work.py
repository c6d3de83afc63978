"""What repeated input costs: an organisation's users all sent again unchanged (a nightly HR sync),
and one protected-block series re-sent by its calendar thousands of times (a calendar sync). Each
is replayed with and without the repeats; the figures must be the same, and the repeats should
cost about what any event costs.

    HUNTLINE_BIN=… tests/bench/bounded_work.py [TEAMS] [RESENDS]      (default 300 teams, 4,000)
"""
import json
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "e2e"))
import harness  # noqa: E402


def replay(path):
    """(seconds, figures) of `huntline replay` over `path`."""
    out = path.with_suffix(".prom")
    start = time.perf_counter()
    subprocess.run([harness.HUNTLINE, "replay", "--input", str(path), "--metrics-out", str(out)],
                   check=True, capture_output=True)
    return time.perf_counter() - start, harness.computed_figures(out.read_text())


def main():
    teams = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    resends = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        base = work / "org.jsonl"
        subprocess.run([harness.HUNTLINE, "generate", "--events", str(teams * 1000), "--teams", str(teams),
                        "--out", str(base)], check=True, capture_output=True)
        lines = base.read_text().splitlines()
        events = [json.loads(line) for line in lines]
        last = max(e["time"] for e in events)
        users = [e for e in events if e["type"] == "org.user.upserted"]
        accounts = sum(1 for e in events if e["type"] == "crm.account.upserted")
        resent = work / "org-resent.jsonl"
        resent.write_text("\n".join(lines + [json.dumps(dict(u, id="resend-%d" % i, time=last))
                                             for i, u in enumerate(users)]) + "\n")
        before, want = replay(base)
        after, got = replay(resent)
        if got != want:
            sys.exit("the users sent again changed the figures")
        rows.append(("%d users sent again, unchanged (%d accounts): replay with / without" % (len(users), accounts),
                     "%.2f / %.2f s" % (after, before),
                     "%d events without; the same figures (the machine is noisy: a difference within "
                     "a few tenths of a second is none)" % len(lines)))

        small = [line for line in harness.EXAMPLES.joinpath("small-org.jsonl").read_text().splitlines() if line]
        block = next(line for line in small if '"rrule"' in line)
        at = small.index(block) + 1
        repeated = work / "series-resent.jsonl"
        repeated.write_text("\n".join(small[:at] + [json.dumps(dict(json.loads(block), id="resend-%d" % i))
                                                    for i in range(resends)] + small[at:]) + "\n")
        plain = work / "series.jsonl"
        plain.write_text("\n".join(small) + "\n")
        before, want = replay(plain)
        after, got = replay(repeated)
        if got != want:
            sys.exit("the series sent again changed the figures")
        rows.append(("one protected series sent %d times more: replay with / without" % resends,
                     "%.2f / %.2f s" % (after, before), "small-org.jsonl; the same figures"))
    harness.print_table(rows)


if __name__ == "__main__":
    main()
