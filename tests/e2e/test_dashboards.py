"""The Grafana dashboards and the Prometheus rules that ship in dashboards/ and deploy/prometheus/:
their structure, the dashboards against Grafana's own JSON Schemas and dashboard-linter's rules,
promtool's checks and unit tests, and every panel's query run against a real Prometheus scraping a
live engine (`huntline demo`) with the rules loaded."""
import concurrent.futures
import json
import os
import re
import subprocess
import time

import jsonschema
import requests
import yaml

import harness

try:  # jsonschema ≥ 4.18 resolves $refs through the referencing library
    from referencing import Registry
    from referencing.jsonschema import DRAFT7
except ImportError:  # Debian 12's python3-jsonschema (4.10) through RefResolver
    Registry = None

DASHBOARDS = harness.ROOT / "dashboards"
PROMETHEUS = harness.ROOT / "deploy" / "prometheus"
FILES = {"prospecting-culture.json": "huntline-culture", "new-business-pipeline.json": "huntline-pipeline",
         "huntline-engine.json": "huntline-engine"}
MONEY = re.compile(r"huntline_\w*_amount(_total)?\b")
SECONDS = re.compile(r"huntline_\w*seconds(_total|_bucket)?\b")
RATIO = re.compile(r"/ (on\(\) group_left\(\) )?(sum|max)\b")  # one series divided by another
# The JSON Schemas Grafana's foundation SDK generates from Grafana's kinds: the dashboard, each panel
# kind's options and custom field config (Options, FieldConfig), each data source's query.
GRAFANA_SCHEMAS = harness.SHARED / "conformance" / "grafana-schema" / "main"


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


class GrafanaSchemas:
    """Grafana's schemas, one file per kind, `$ref`s resolved across the directory's files."""

    def __init__(self, folder):
        self.base = folder.resolve().as_uri() + "/"
        self.schemas = {p.name: json.loads(p.read_text()) for p in sorted(folder.glob("*.jsonschema.json"))}
        assert "dashboard.jsonschema.json" in self.schemas, f"no Grafana schemas in {folder}"
        if Registry is not None:
            self.registry = Registry().with_resources(
                (self.base + name, DRAFT7.create_resource(schema)) for name, schema in self.schemas.items())
        else:
            self.resolver = jsonschema.RefResolver(self.base, {}, store={
                self.base + name: schema for name, schema in self.schemas.items()})
        self.validators = {}

    def has(self, name, pointer=""):
        node = self.schemas.get(name)
        for part in filter(None, pointer.split("/")):
            node = node.get(part) if isinstance(node, dict) else None
        return node is not None

    def validator(self, name, pointer=""):
        """The validator of one file's schema, or of the definition at `pointer` in it."""
        key = (name, pointer)
        if key not in self.validators:
            schema = {"$ref": f"{self.base}{name}#{pointer}"}
            if Registry is not None:
                self.validators[key] = jsonschema.Draft7Validator(schema, registry=self.registry)
            else:
                self.validators[key] = jsonschema.Draft7Validator(schema, resolver=self.resolver)
        return self.validators[key]


def json_path(path):
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


# Where Grafana itself writes what generated schemas refuse, as (JSON path, validator, value): a
# threshold step's value is null (-Infinity, the base step; main/ accepts it, a generation that says
# number does not); a query variable's query is the data source's query object ({"query": …,
# "refId": …}), which the schema wants as a map of objects.
PANEL = r"\$\.panels\[\d+\](\.panels\[\d+\])?"
GRAFANA_WRITES = [
    (re.compile(PANEL + r"\.fieldConfig\.defaults\.thresholds\.steps\[\d+\]\.value"), "type",
     lambda value, variable: value is None),
    (re.compile(r"\$\.templating\.list\[\d+\]\.query"), "oneOf",
     lambda value, variable: isinstance(value, dict) and variable.get("type") == "query"),
]


def grafana_writes(dashboard, path, error):
    where = json_path(path)
    variable = {}
    if path[:2] == ["templating", "list"] and len(path) > 2:
        variable = dashboard["templating"]["list"][path[2]]
    return any(pattern.fullmatch(where) and error.validator == validator and accepts(error.instance, variable)
               for pattern, validator, accepts in GRAFANA_WRITES)


def meant_alternative(error):
    """Of a oneOf/anyOf error, the errors of the alternative meant for the value: one whose type and
    consts the value has (a panel's `type` picks a row or a panel); of several, the one with fewest
    errors. None when no one alternative is meant."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return None
    branches = {}
    for e in error.context:
        branches.setdefault(e.relative_schema_path[0], []).append(e)

    def meant_for(errors):
        return not any((e.validator == "type" and not e.relative_path)
                       or (e.validator == "const" and len(e.relative_path) <= 1) for e in errors)

    meant = sorted((errors for errors in branches.values() if meant_for(errors)), key=len)
    if not meant or (len(meant) > 1 and len(meant[0]) == len(meant[1])):
        return None
    return meant[0]


def schema_errors(schemas, name, dashboard):
    """Every place a dashboard disagrees with Grafana's schemas, as 'file: JSON path: message'."""
    found = []

    def check(validator, instance, prefix):
        def report(error):
            path = [*prefix, *error.absolute_path]
            if grafana_writes(dashboard, path, error):
                return
            inner = meant_alternative(error)
            if inner is None:
                found.append(f"{name}: {json_path(path)}: {error.message}")
            else:
                for e in inner:
                    report(e)

        for error in validator.iter_errors(instance):
            report(error)

    check(schemas.validator("dashboard.jsonschema.json"), dashboard, [])
    nested = [(["panels", i], p) for i, p in enumerate(dashboard.get("panels", []))]
    nested += [(["panels", i, "panels", j], p) for i, row in enumerate(dashboard.get("panels", []))
               if row.get("type") == "row" for j, p in enumerate(row.get("panels", []))]
    for at, panel in nested:
        kind = panel.get("type")
        if kind == "row":
            continue
        schema = f"{kind}.jsonschema.json"
        if schema not in schemas.schemas:
            found.append(f"{name}: {json_path(at)}: no Grafana schema for panel type {kind!r}")
            continue
        # The panel kind's options and custom field config; absent, Grafana holds its defaults there.
        if schemas.has(schema, "/definitions/Options"):
            check(schemas.validator(schema, "/definitions/Options"), panel.get("options", {}), [*at, "options"])
        if schemas.has(schema, "/definitions/FieldConfig"):
            custom = panel.get("fieldConfig", {}).get("defaults", {}).get("custom", {})
            check(schemas.validator(schema, "/definitions/FieldConfig"), custom,
                  [*at, "fieldConfig", "defaults", "custom"])
        for k, target in enumerate(panel.get("targets", [])):
            source = (target.get("datasource") or panel.get("datasource") or {}).get("type")
            if f"{source}.jsonschema.json" not in schemas.schemas:
                found.append(f"{name}: {json_path([*at, 'targets', k])}: no Grafana schema for {source!r} queries")
                continue
            check(schemas.validator(f"{source}.jsonschema.json"), target, [*at, "targets", k])
    return found


def test_dashboards_match_grafanas_schemas():
    schemas = GrafanaSchemas(GRAFANA_SCHEMAS)
    errors = [e for name, d in dashboards().items() for e in schema_errors(schemas, name, d)]
    for error in errors:
        print(error)
    assert not errors, f"{len(errors)} disagreements with Grafana's schemas:\n" + "\n".join(errors)


def test_grafana_schema_check_reports_what_grafana_refuses(tmp_path):
    """The check above on broken copies of a dashboard: each break is reported at its path, and the
    allowances pass only what Grafana writes, also under schemas that refuse a null threshold."""
    d = dashboards()["new-business-pipeline.json"]
    ts = next(i for i, p in enumerate(d["panels"]) if p["type"] == "timeseries")
    panel = f"$.panels[{ts}]"

    def at(d, *path):
        node = d
        for key in path:
            node = node[key]
        return node

    breaks = {  # JSON path: a break of the dashboard there
        "$.templating.list[1].current": lambda d: at(d, "templating", "list", 1).update(current={}),
        "$.templating.list[0].query": lambda d: at(d, "templating", "list", 0).update(query={"query": "up"}),
        "$.links[0]": lambda d: at(d, "links", 0).pop("keepTime"),
        "$.editable": lambda d: d.update(editable="no"),
        f"{panel}.gridPos.w": lambda d: at(d, "panels", ts, "gridPos").update(w="wide"),
        f"{panel}.fieldConfig.defaults.thresholds.steps[0].value":
            lambda d: at(d, "panels", ts, "fieldConfig", "defaults", "thresholds", "steps", 0).update(value="low"),
        f"{panel}.options.legend": lambda d: at(d, "panels", ts, "options", "legend").pop("calcs"),
        f"{panel}.fieldConfig.defaults.custom.lineWidth":
            lambda d: at(d, "panels", ts, "fieldConfig", "defaults", "custom").update(lineWidth="thin"),
        f"{panel}.targets[0]": lambda d: at(d, "panels", ts, "targets", 0).update(step=30),
    }
    schemas = GrafanaSchemas(GRAFANA_SCHEMAS)
    for path, brk in breaks.items():
        broken = json.loads(json.dumps(d))
        brk(broken)
        errors = schema_errors(schemas, "broken.json", broken)
        assert errors and all(e.startswith(f"broken.json: {path}") for e in errors), (path, errors)
    # Under schemas that refuse a null threshold, the null base step passes, nothing else does.
    for name, schema in schemas.schemas.items():
        if name == "dashboard.jsonschema.json":
            schema = json.loads(json.dumps(schema))
            schema["definitions"]["Threshold"]["properties"]["value"] = {"type": "number"}
        (tmp_path / name).write_text(json.dumps(schema))
    strict = GrafanaSchemas(tmp_path)
    assert at(d, "panels", ts, "fieldConfig", "defaults", "thresholds", "steps", 0, "value") is None
    assert schema_errors(strict, "pipeline.json", d) == []
    at(d, "panels", ts, "fieldConfig", "defaults", "thresholds", "steps", 0).update(value="low")
    assert schema_errors(strict, "pipeline.json", d) == [
        f"pipeline.json: {panel}.fieldConfig.defaults.thresholds.steps[0].value: 'low' is not of type 'number'"]


def test_dashboards_follow_dashboard_linter_rules():
    for name, d in dashboards().items():
        # uneditable-dashboard-rule: Grafana holds a dashboard without `editable` editable.
        assert d.get("editable") is False, f"{name}: editable must be false"
        # template-datasource-rule: one data source variable, named datasource, labelled Data source.
        sources = [v for v in d["templating"]["list"] if v["type"] == "datasource"]
        assert [(v["name"], v.get("label")) for v in sources] == [("datasource", "Data source")], name


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
    # The demo as a user starts it: no --state-dir. Its state goes to the user's cache, and it says so.
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    with harness.process([harness.HUNTLINE, "demo", "--listen", listen, "--duration", "600",
                          "--days-per-minute", "30"], tmp_path / "demo.log", env=env), \
            harness.prometheus(tmp_path, [listen], rule_files=[PROMETHEUS / "huntline-rules.yml"]) as prom:
        state = tmp_path / "cache" / "huntline" / "demo-state"
        harness.wait_for(lambda: (state / "CURRENT").exists(), 60, "the demo's state in the user's cache")
        assert f"state in {state}" in (tmp_path / "demo.log").read_text()
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
        assert len(rules) == 18
        assert all(r["health"] == "ok" for r in rules), [r for r in rules if r["health"] != "ok"]

        def firing():
            alerts = requests.get(prom + "/api/v1/alerts", timeout=10).json()["data"]["alerts"]
            return {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}

        harness.wait_for(lambda: "HuntlineProtectedTimeInterrupted" in firing(), 120,
                         "the demo's interrupted protected time to fire its alert")
