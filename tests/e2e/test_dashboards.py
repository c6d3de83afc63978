"""The Grafana dashboards and the Prometheus rules that ship in dashboards/ and deploy/prometheus/:
their structure, promtool's checks and unit tests, and every panel's query run against a real
Prometheus scraping a live engine (`huntline demo`) with the rules loaded."""
import concurrent.futures
import json
import re
import subprocess
import time

import requests
import yaml

import harness

DASHBOARDS = harness.ROOT / "dashboards"
PROMETHEUS = harness.ROOT / "deploy" / "prometheus"
FILES = {"prospecting-culture.json": "huntline-culture", "new-business-pipeline.json": "huntline-pipeline",
         "huntline-engine.json": "huntline-engine"}
MONEY = re.compile(r"huntline_\w*_amount(_total)?\b")
SECONDS = re.compile(r"huntline_\w*seconds(_total|_bucket)?\b")
RATIO = re.compile(r"/ (on\(\) group_left\(\) )?(sum|max)\b")  # one series divided by another


def dashboards():
    return {name: json.loads((DASHBOARDS / name).read_text()) for name in FILES}


def panels(dashboard):
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_dashboards_are_what_build_py_writes(tmp_path):
    subprocess.run(["python3", str(DASHBOARDS / "build.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True)
    for name in FILES:
        assert json.loads((tmp_path / name).read_text()) == json.loads((DASHBOARDS / name).read_text()), \
            f"{name} differs from build.py's output: run python3 dashboards/build.py"


def test_dashboard_structure():
    for name, d in dashboards().items():
        text = json.dumps(d)
        assert d["uid"] == FILES[name]
        assert d["schemaVersion"] >= 39
        assert "${DS_" not in text, "provisioned dashboards cannot resolve ${DS_…} inputs"
        variables = {v["name"]: v for v in d["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        for v in variables.values():
            if v["type"] == "query":
                assert v["query"]["query"].startswith("label_values("), v["name"]
        if name != "huntline-engine.json":
            assert {"team", "rep"} <= variables.keys(), name
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)), f"{name}: panel ids are not unique"
        for p in panels(d):
            where = f"{name} / {p['title']}"
            assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
            assert p["targets"] and all(t["expr"].strip() for t in p["targets"]), where
            assert p.get("description"), where
            unit = p["fieldConfig"]["defaults"].get("unit")
            assert unit, f"{where}: no unit"
            exprs = " ".join(t["expr"] for t in p["targets"])
            if RATIO.search(exprs):
                assert unit == "percentunit", f"{where}: a ratio is shown as {unit}"
            elif MONEY.search(exprs):
                assert unit.startswith("currency"), f"{where}: an amount is shown as {unit}"
            elif SECONDS.search(exprs) or exprs.startswith("time() -"):
                assert unit == "s", f"{where}: seconds are shown as {unit}"
            # Partial sums of several instances are aggregated; global-table figures with max.
            for t in p["targets"]:
                for family in re.findall(r"huntline_\w+", t["expr"]):
                    if family in ("huntline_target_accounts", "huntline_quota_quarter_amount"):
                        assert f"max by" in t["expr"] or "max(" in t["expr"], f"{where}: {family} needs max"


def test_rules_read_recorded_figures_only_after_them_in_their_own_group():
    """A rule reading another rule's output sees this evaluation's value only when both are in one
    group, the recording rule first: groups themselves run in no fixed order."""
    rules = yaml.safe_load((PROMETHEUS / "huntline-rules.yml").read_text())
    recorded_in = {r["record"]: g["name"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    assert recorded_in, "no recording rules found"
    for group in rules["groups"]:
        recorded_before = set()
        for rule in group["rules"]:
            name = rule.get("record") or rule.get("alert")
            for used in set(re.findall(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", rule["expr"])):
                assert used in recorded_in, f"{name} reads {used}, which no rule records"
                assert recorded_in[used] == group["name"] and used in recorded_before, \
                    f"{name} (group {group['name']}) reads {used} recorded in group {recorded_in[used]}" \
                    " or later in its own: put it after the recording rule, in the same group"
            if "record" in rule:
                recorded_before.add(rule["record"])


def test_rules_pass_promtool_lint_and_unit_tests():
    check = subprocess.run(["promtool", "check", "rules", "--lint=all", "--lint-fatal",
                            str(PROMETHEUS / "huntline-rules.yml")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    config = subprocess.run(["promtool", "check", "config", str(PROMETHEUS / "prometheus.yml")],
                            capture_output=True, text=True)
    assert config.returncode == 0, config.stdout + config.stderr
    tests = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
    assert len(tests) == 2
    # Prometheus evaluates groups in no fixed order: a pass that depends on it fails some runs.
    def promtool_test(t):
        return subprocess.run(["promtool", "test", "rules", t.name], capture_output=True, text=True,
                              cwd=PROMETHEUS / "tests")

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        runs = [(t, n, pool.submit(promtool_test, t)) for t in tests for n in range(20)]
        for t, n, future in runs:
            run = future.result()
            assert run.returncode == 0, f"{t.name}, run {n + 1} of 20:\n" + run.stdout + run.stderr
    # Every alert of the rule file has a unit test that expects it to fire.
    alerts = set(re.findall(r"^\s+- alert: (\w+)", (PROMETHEUS / "huntline-rules.yml").read_text(), re.M))
    tested = set()
    for t in tests:
        text = t.read_text()
        for alert in alerts:
            if re.search(rf"alertname: {alert}\n\s+exp_alerts:\n\s+- exp_labels", text):
                tested.add(alert)
    assert tested == alerts, f"alerts without a firing test: {alerts - tested}"


def substitute(expr, quarter):
    values = {"$__rate_interval": "1m", "$__range": "1h", "$__interval": "15s", "$quarter": quarter}
    for name, value in values.items():
        expr = expr.replace(name, value)
    return re.sub(r"\$(team|rep|instance|job)\b", ".*", expr)


def failing_panels(prom):
    """Every panel target whose query does not parse or returns nothing, as 'dashboard / panel'."""
    # The quarter a user would pick: the one with the most movement in its ledger.
    counts = harness.query(prom, "count by (quarter) (huntline_pipeline_flow_amount_total)")
    quarter = max(counts, key=counts.get) if counts else frozenset({("quarter", "none")})
    quarter = dict(quarter)["quarter"]
    failing = []
    for name, d in dashboards().items():
        for p in panels(d):
            for t in p["targets"]:
                r = requests.get(prom + "/api/v1/query", params={"query": substitute(t["expr"], quarter)},
                                 timeout=10)
                body = r.json()
                assert body["status"] == "success", f"{name} / {p['title']}: {body}"
                if not body["data"]["result"]:
                    failing.append(f"{name} / {p['title']} / {t['refId']}")
    return failing


def test_every_panel_query_returns_data_and_an_alert_fires(tmp_path):
    listen = f"127.0.0.1:{harness.free_port()}"
    with harness.process([harness.HUNTLINE, "demo", "--listen", listen, "--duration", "600",
                          "--state-dir", str(tmp_path / "state"),
                          "--days-per-minute", "30"], tmp_path / "demo.log"), \
            harness.prometheus(tmp_path, [listen], rule_files=[PROMETHEUS / "huntline-rules.yml"]) as prom:
        failing = []

        def all_panels_answer():
            nonlocal failing
            failing = failing_panels(prom)
            return not failing

        try:
            harness.wait_for(all_panels_answer, 240, "every panel query to return data")
        except AssertionError:
            raise AssertionError(f"panels without data: {failing}")

        groups = requests.get(prom + "/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        assert len(rules) == 15
        assert all(r["health"] == "ok" for r in rules), [r for r in rules if r["health"] != "ok"]

        def firing():
            alerts = requests.get(prom + "/api/v1/alerts", timeout=10).json()["data"]["alerts"]
            return {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}

        harness.wait_for(lambda: "HuntlineProtectedTimeInterrupted" in firing(), 120,
                         "the demo's interrupted protected time to fire its alert")
