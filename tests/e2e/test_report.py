"""`huntline report`: the figures of a hand-worked two-quarter history, every format a user asks
for (HTML rendered by headless Chromium without console errors, a PDF whose pages are not blank,
JSON, CSV, Markdown), an empty quarter said plainly, and the demo's quarter from the state
directory of a running engine."""
import json
import re
import subprocess

import harness
import scenario_report as scenario

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


LABEL_MAPS = {"seconds", "activities", "start", "end", "created_amount", "closed", "lost_seconds",
              "interruptions"}


def huntline(*args):
    run = subprocess.run([harness.HUNTLINE, *map(str, args)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run


def history(tmp_path):
    events = tmp_path / "scenario.jsonl"
    events.write_text("\n".join(scenario.lines()) + "\n")
    huntline("replay", "--input", events, "--metrics-out", tmp_path / "m.prom",
             "--history-dir", tmp_path / "history")
    return tmp_path / "history"


def assert_figures(expected, got, path=""):
    for key, value in expected.items():
        assert isinstance(got, dict) and key in got, f"{path}/{key} missing"
        if isinstance(value, dict):
            assert_figures(value, got[key], f"{path}/{key}")
            # Maps of figures by label value (causes, origins, cells) hold exactly those expected.
            if key in LABEL_MAPS:
                assert set(got[key]) == set(value), f"{path}/{key}: {sorted(got[key])}"
        else:
            assert got[key] is not None and abs(got[key] - value) < 1e-9, f"{path}/{key}: {got[key]} != {value}"


def test_report_json_matches_the_hand_worked_quarters(tmp_path):
    out = tmp_path / "q3.json"
    huntline("report", "--history-dir", history(tmp_path), "--quarter", "FY2026-Q3", "--format", "json",
             "--out", out)
    report = json.loads(out.read_text())
    assert report["has_data"] and report["complete"]
    assert (report["from"], report["to"]) == ("2026-07-01", "2026-09-30")
    assert_figures(scenario.EXPECTED_Q3, report["organisation"], "/organisation")
    assert [t["team"] for t in report["teams"]] == [scenario.TEAM]
    assert_figures(scenario.EXPECTED_Q3, report["teams"][0], "/teams/hunters")
    assert_figures(scenario.EXPECTED_PREVIOUS, report["previous"], "/previous")
    assert [f["key"] for f in report["summary"]] == scenario.EXPECTED_SUMMARY_KEYS
    texts = [f["text"] for f in report["summary"]]
    assert texts[0] == "Hunting target accounts took 75% of activity time, up 42 pts on FY2026-Q2."
    assert texts[2].startswith("Protected prospecting time held 75% (goal 100%); managers took 1 h")
    # Weekly trends: the block lost to the manager is in the week of 13 July.
    weeks = {w["week"]: w for w in report["organisation"]["weekly"]}
    assert weeks["2026-07-13"]["protected_integrity"] == 0.5
    assert weeks["2026-07-20"]["protected_integrity"] == 1.0
    assert len(weeks) == 14  # 1 July (a Wednesday) to 30 September


def test_a_quarter_with_no_data_says_so(tmp_path):
    h = history(tmp_path)
    out = tmp_path / "empty.json"
    huntline("report", "--history-dir", h, "--quarter", "FY2025-Q1", "--format", "json", "--out", out)
    report = json.loads(out.read_text())
    assert report["has_data"] is False
    assert report["message"] == ("Huntline has no history for FY2025-Q1 (2025-01-01 to 2025-03-31): "
                                 "nothing was recorded in that quarter.")
    html = tmp_path / "empty.html"
    huntline("report", "--history-dir", h, "--quarter", "FY2025-Q1", "--out", html)
    assert report["message"] in html.read_text()


def console_errors(html_path, tmp_path):
    """Console messages at warning level or above while headless Chromium renders the page."""
    run = subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          "--enable-logging=stderr", "--v=0", "--dump-dom", f"file://{html_path}"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "</html>" in run.stdout
    return [line for line in run.stderr.splitlines() if "CONSOLE" in line]


def dark_fraction(pgm):
    """The share of clearly non-white pixels in a binary PGM image (pdftoppm -gray)."""
    data = pgm.read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:  # magic, width, height, maxval
        while data[pos:pos + 1].isspace():
            pos += 1
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pixels = data[pos + 1:]
    return sum(1 for p in pixels if p < 200) / len(pixels)


def test_every_format_of_the_report(tmp_path):
    h = history(tmp_path)
    paths = {}
    for fmt in ("html", "pdf", "json", "csv", "md"):
        paths[fmt] = tmp_path / f"report.{fmt}"
        huntline("report", "--history-dir", h, "--quarter", "FY2026-Q3", "--format", fmt, "--out", paths[fmt])

    # The HTML renders in headless Chromium with no console message; the check itself can fail.
    assert console_errors(paths["html"], tmp_path) == []
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><script>console.error('boom')</script></body></html>")
    assert any("boom" in line for line in console_errors(broken, tmp_path / "b"))

    # Every chart has a title, both axes with labels, and its unit.
    html = paths["html"].read_text()
    charts = re.findall(r"<svg[^>]*class=\"chart\".*?</svg>", html, re.S)
    assert len(charts) >= 5
    for svg in charts:
        title = re.search(r"<title>([^<]+)</title>", svg)
        assert title and title.group(1).strip(), svg[:200]
        assert '<g class="axis x">' in svg and '<g class="axis y">' in svg, title.group(1)
        assert re.search(r'class="axis-label"[^>]*>[^<]*(percent|amount|hours|change)', svg), title.group(1)

    # The PDF's pages convert to PNG and none is blank.
    pages = subprocess.run(["pdfinfo", str(paths["pdf"])], capture_output=True, text=True, check=True)
    count = int(re.search(r"Pages:\s+(\d+)", pages.stdout).group(1))
    assert count >= 2
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(paths["pdf"]), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page-*.png"))) == count
    subprocess.run(["pdftoppm", "-gray", "-r", "30", str(paths["pdf"]), str(tmp_path / "gray")], check=True)
    for pgm in sorted(tmp_path.glob("gray-*.pgm")):
        assert dark_fraction(pgm) > 0.005, f"{pgm.name} is blank"

    # CSV: one row per figure; Markdown: the same summary.
    csv = paths["csv"].read_text().splitlines()
    assert csv[0] == "quarter,scope,figure,value"
    assert "FY2026-Q3,hunters,/protected_time/integrity,0.75" in csv
    assert "FY2026-Q3,organisation,/pipeline/created_amount/inbound,30000" in csv
    md = paths["md"].read_text()
    assert "1. Hunting target accounts took 75% of activity time, up 42 pts on FY2026-Q2." in md
    assert json.loads(paths["json"].read_text())["quarter"] == "FY2026-Q3"


def test_the_demos_quarter_from_a_running_engine(tmp_path):
    """The demo (engine time racing through simulated days) fills its state directory's history;
    `huntline report` reads it read-only while the engine still runs, then once it has stopped."""
    state = tmp_path / "state"
    listen = f"127.0.0.1:{harness.free_port()}"
    with harness.process([harness.HUNTLINE, "demo", "--listen", listen, "--state-dir", str(state),
                          "--days-per-minute", "240", "--duration", "60"], tmp_path / "demo.log") as proc:
        def quarter_done():
            # The last complete quarter of the history is one the demo lived through whole.
            out = tmp_path / "live.json"
            run = subprocess.run([harness.HUNTLINE, "report", "--history-dir", str(state), "--format", "json",
                                  "--out", str(out)], capture_output=True, text=True)
            if run.returncode != 0:
                return False
            report = json.loads(out.read_text())
            return report["has_data"] and report["organisation"]["protected_time"]["protected_seconds"] > 0
        harness.wait_for(quarter_done, 120, "a complete quarter in the demo's history")
        proc.wait(timeout=120)
    for fmt in ("html", "pdf", "json", "csv"):
        out = tmp_path / f"demo.{fmt}"
        huntline("report", "--history-dir", state, "--format", fmt, "--out", out)
        assert out.stat().st_size > 1000, fmt
    report = json.loads((tmp_path / "demo.json").read_text())
    assert report["has_data"] and len(report["teams"]) >= 3
    assert 3 <= len(report["summary"]) <= 5


def test_two_instances_make_one_report_through_the_history_topic(broker, topics, tmp_path):
    """Two `huntline run` instances share the partitions; each publishes the days of its own to
    the compacted history topic; `huntline report --from-kafka` reads them all and gives the same
    report as a replay of the whole stream."""
    lines = scenario.lines()
    org = [line for line in lines if json.loads(line)["type"] in harness.ORG_TYPES]
    rest = [line for line in lines if json.loads(line)["type"] not in harness.ORG_TYPES]
    assert harness.produce_lines(broker, org, topics) == len(org)
    instances = []
    for name in ("a", "b"):
        listen = f"127.0.0.1:{harness.free_port()}"
        config = harness.write_config(tmp_path / f"{name}.json", broker, topics, tmp_path / f"state-{name}",
                                      listen, extra={"engine_time": "event_time"})
        instances.append((config, listen, tmp_path / f"{name}.log"))
    (config_a, listen_a, log_a), (config_b, listen_b, log_b) = instances

    def figures(listen):
        return harness.parse_exposition(harness.scrape(listen))

    with harness.huntline_run(config_a, log_a, listen_a), harness.huntline_run(config_b, log_b, listen_b):
        # The group has settled with people partitions on both instances (each also has the crm
        # task) before any crm or people event.
        harness.wait_for(lambda: all(figures(l).get("huntline_assigned_partitions", 0) >= 2
                                     for l in (listen_a, listen_b)), 60, "partitions on both instances")
        assert harness.produce_lines(broker, rest, topics) == len(rest)

        # Every instance reads every crm event (one crm task each, published by one of them);
        # the people partitions are shared.
        crm = sum(1 for line in rest if json.loads(line)["type"] in harness.CRM_TYPES)
        people = len(rest) - crm

        def committed():
            # An event's latency is observed once the commit holding it (its days' history
            # included, sent to the topic first) is published.
            return sum(figures(l).get("huntline_processing_latency_seconds_count", 0)
                       for l in (listen_a, listen_b)) == 2 * crm + people
        harness.wait_for(committed, 90, "both instances to commit every crm and people event")

        out = tmp_path / "kafka.json"
        huntline("report", "--config", config_a, "--from-kafka", "--quarter", "FY2026-Q3", "--format", "json",
                 "--out", out)
        report = json.loads(out.read_text())
        assert report["has_data"] and report["complete"]
    assert_figures(scenario.EXPECTED_Q3, report["organisation"], "/organisation")
    assert_figures(scenario.EXPECTED_PREVIOUS, report["previous"], "/previous")
    assert [f["key"] for f in report["summary"]] == scenario.EXPECTED_SUMMARY_KEYS
