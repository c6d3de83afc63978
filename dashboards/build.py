#!/usr/bin/env python3
"""Writes Huntline's Grafana dashboards (the JSON files beside this script).

    python3 dashboards/build.py [--currency USD]

Each dashboard is described once below, panel by panel, with the question it answers; this script
turns the descriptions into Grafana JSON (schemaVersion 39) with a `datasource` variable instead of
`${DS_…}` inputs, so the files work both provisioned and imported. The JSON follows Grafana's own
model (the JSON Schemas of its dashboard, panel and Prometheus query kinds): every panel carries its
kind's full options, variables carry no empty `current`, and the dashboards are not editable in
Grafana (edit this script instead). Counters and partition-local gauges are partial sums per
instance: queries aggregate them with `sum`; figures every instance derives from the global tables
(`huntline_target_accounts`, `huntline_quota_quarter_amount`) with `max` (metrics.md).
"""
import argparse
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
DS = {"type": "prometheus", "uid": "${datasource}"}

# Selectors shared by the queries.
TEAM = 'team=~"$team"'
TEAM_REP = 'team=~"$team", rep=~"$rep"'


# Variables carry no `current`: Grafana's model wants a text and a value there or nothing, and
# without one Grafana selects the first option (All where there is one).
def datasource_variable():
    return {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
            "hide": 0, "refresh": 1, "options": []}


def query_variable(name, label, query, multi=True, include_all=True, sort=1):
    variable = {"type": "query", "name": name, "label": label, "datasource": DS,
                "query": {"query": query, "refId": name}, "definition": query,
                "multi": multi, "includeAll": include_all, "refresh": 2, "sort": sort,
                "options": [], "hide": 0}
    if include_all:
        variable["allValue"] = ".*"
    return variable


def team_variables():
    return [datasource_variable(),
            query_variable("team", "Team", "label_values(huntline_activities_total, team)"),
            query_variable("rep", "Rep", 'label_values(huntline_rep_activities_total{team=~"$team"}, rep)')]


# Each panel kind's options as Grafana writes them (its defaults; a panel overrides some), and the
# custom field config of the kinds whose model requires one.
LEGEND = {"showLegend": True, "displayMode": "list", "placement": "bottom", "calcs": []}
TOOLTIP = {"mode": "single", "sort": "none"}
REDUCE_LAST = {"calcs": ["lastNotNull"], "fields": "", "values": False}
OPTIONS = {
    "timeseries": {"legend": LEGEND, "tooltip": TOOLTIP},
    # Grafana's model requires xTickLabelMaxLength but gives no default; 0 would cut every label of
    # a vertical chart's x axis to "...", 40 leaves ours whole.
    "barchart": {"orientation": "auto", "stacking": "none", "showValue": "auto", "barWidth": 0.97,
                 "groupWidth": 0.7, "fullHighlight": False, "xTickLabelRotation": 0,
                 "xTickLabelMaxLength": 40, "legend": LEGEND, "tooltip": TOOLTIP},
    "bargauge": {"orientation": "auto", "displayMode": "gradient", "valueMode": "color",
                 "namePlacement": "auto", "showUnfilled": True, "sizing": "auto", "minVizWidth": 8,
                 "minVizHeight": 16, "maxVizHeight": 300, "legend": {**LEGEND, "showLegend": False},
                 "reduceOptions": REDUCE_LAST},
    "stat": {"graphMode": "area", "colorMode": "value", "justifyMode": "auto", "textMode": "auto",
             "wideLayout": True, "showPercentChange": False, "percentChangeColorMode": "standard",
             "orientation": "auto", "reduceOptions": REDUCE_LAST},
    "table": {"frameIndex": 0, "showHeader": True},
}
CUSTOM = {"table": {"align": "auto", "inspect": False}}


class Dashboard:
    """Lays panels out left to right, 24 columns wide, in rows of the tallest panel."""

    def __init__(self, uid, title, description, variables, currency):
        self.uid, self.title, self.description = uid, title, description
        self.variables = variables
        self.currency = "currency" + currency
        self.panels = []
        self.x = self.y = self.row_height = 0

    def row(self, title):
        if self.x:
            self.y += self.row_height
            self.x = self.row_height = 0
        self.panels.append({"id": len(self.panels) + 1, "type": "row", "title": title, "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.y += 1

    def panel(self, kind, title, description, targets, unit, width=12, height=8, instant=False,
              thresholds=None, options=None, custom=None, transformations=None):
        """`targets`: [(expr, legend)]. `unit`: Grafana's unit id (s, percentunit, currencyUSD …)."""
        if self.x + width > 24:
            self.y += self.row_height
            self.x = self.row_height = 0
        panel_id = len(self.panels) + 1
        defaults = {"unit": unit,
                    "thresholds": {"mode": "absolute",
                                   "steps": thresholds or [{"color": "green", "value": None}]},
                    "color": {"mode": "palette-classic" if kind == "timeseries" else "thresholds"}}
        if custom or kind in CUSTOM:
            defaults["custom"] = {**CUSTOM.get(kind, {}), **(custom or {})}
        panel = {"id": panel_id, "type": kind, "title": title, "description": description,
                 "datasource": DS,
                 "gridPos": {"h": height, "w": width, "x": self.x, "y": self.y},
                 "fieldConfig": {"defaults": defaults, "overrides": []},
                 "options": {**OPTIONS[kind], **(options or {})},
                 "targets": [{"refId": chr(ord("A") + i), "datasource": DS, "expr": expr,
                              "legendFormat": legend, "instant": instant, "range": not instant}
                             for i, (expr, legend) in enumerate(targets)]}
        if transformations:
            panel["transformations"] = transformations
        self.panels.append(panel)
        self.x += width
        self.row_height = max(self.row_height, height)
        return panel_id

    def json(self):
        return {"uid": self.uid, "title": self.title, "description": self.description,
                "tags": ["huntline"], "timezone": "browser", "schemaVersion": 39, "version": 1,
                "editable": False, "graphTooltip": 1, "refresh": "30s",
                "time": {"from": "now-7d", "to": "now"},
                "templating": {"list": self.variables}, "annotations": {"list": []},
                # The other Huntline dashboards, opened with this one's time range and variables.
                "links": [{"title": "Huntline dashboards", "type": "dashboards", "tags": ["huntline"],
                           "asDropdown": True, "icon": "external link", "tooltip": "",
                           "targetBlank": False, "includeVars": True, "keepTime": True}],
                "panels": self.panels}


GOAL_IS_ONE = [{"color": "red", "value": None}, {"color": "orange", "value": 0.9},
               {"color": "green", "value": 1}]
STACKED = {"stacking": {"mode": "normal", "group": "A"}, "fillOpacity": 60, "lineWidth": 1}
BARS_H = {"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
          "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}


def culture(currency):
    """Prospecting culture — for sales leaders."""
    d = Dashboard("huntline-culture", "Huntline · Prospecting culture",
                  "What kind of work the teams do, how prospects behave and end up, and whether "
                  "prospecting time stays protected.", team_variables(), currency)
    d.row("Behaviour and outcome")
    d.panel("timeseries", "Behaviour mix",
            "Share of activities by behaviour: hunting target accounts, following up inbound leads, "
            "deal work, customer management. A hunting culture keeps target_prospecting high.",
            [(f'sum by (behaviour) (rate(huntline_activities_total{{{TEAM}}}[$__rate_interval]))'
              f' / on() group_left() sum(rate(huntline_activities_total{{{TEAM}}}[$__rate_interval]))',
              "{{behaviour}}")],
            "percentunit", custom=STACKED)
    d.panel("barchart", "Outcomes by behaviour",
            "Activities in the time range by behaviour and outcome: what each kind of work yields.",
            [(f'sum by (behaviour, outcome) (increase(huntline_activities_total{{{TEAM}}}[$__range]))',
              "{{behaviour}} · {{outcome}}")],
            "short", instant=True,
            options={"orientation": "horizontal", "stacking": "normal", "showValue": "auto"},
            transformations=[{"id": "labelsToFields", "options": {"mode": "columns", "valueLabel": "outcome"}},
                             {"id": "merge", "options": {}}])
    d.panel("table", "Prospect matrix: engagement × outcome",
            "Prospects in each cell now: how they behave (rows) and where they stand (columns).",
            [(f'sum by (engagement, outcome) (huntline_prospects{{{TEAM}}})', "")],
            "short", instant=True,
            transformations=[{"id": "groupingToMatrix",
                              "options": {"rowField": "engagement", "columnField": "outcome",
                                          "valueField": "Value"}}])
    d.panel("bargauge", "Target accounts touched by their rep (30 days)",
            "Of each rep's strategic target accounts, the share they worked personally in the last "
            "30 days.",
            [(f'sum by (rep) (huntline_target_accounts_touched{{{TEAM_REP}}})'
              f' / max by (rep) (huntline_target_accounts{{{TEAM_REP}}})', "{{rep}}")],
            "percentunit", instant=True, options=BARS_H,
            thresholds=[{"color": "red", "value": None}, {"color": "orange", "value": 0.5},
                        {"color": "green", "value": 0.8}])
    d.panel("bargauge", "Target accounts engaged (a decision maker, 90 days)",
            "Of each rep's target accounts, the share where a decision maker or budget holder answered "
            "or booked a meeting in the last 90 days: hunting before an opportunity exists.",
            [(f'sum by (rep) (huntline_target_accounts_engaged{{{TEAM_REP}}})'
              f' / max by (rep) (huntline_target_accounts{{{TEAM_REP}}})', "{{rep}}")],
            "percentunit", instant=True, options=BARS_H)
    d.panel("table", "Activities per rep by behaviour",
            "Which sellers hunt their target lists and which only chase what comes in.",
            [(f'sum by (rep, behaviour) (increase(huntline_rep_activities_total{{{TEAM_REP}}}[$__range]))', "")],
            "short", instant=True,
            transformations=[{"id": "groupingToMatrix",
                              "options": {"rowField": "rep", "columnField": "behaviour", "valueField": "Value"}}])
    d.row("Protected prospecting time")
    d.panel("timeseries", "Protected-time integrity per team (goal 100%)",
            "1 − lost / protected over the last 7 days. It is not 90% or 97%: it must be 100%.",
            [(f'1 - sum by (team) (increase(huntline_protected_lost_seconds_total{{{TEAM}}}[7d]))'
              f' / sum by (team) (increase(huntline_protected_seconds_total{{{TEAM}}}[7d]))', "{{team}}")],
            "percentunit", thresholds=GOAL_IS_ONE,
            custom={"thresholdsStyle": {"mode": "line"}, "lineWidth": 2})
    d.panel("bargauge", "Protected time lost, by cause",
            "Seconds of protected blocks lost in the time range, each to exactly one cause.",
            [(f'sum by (cause) (increase(huntline_protected_lost_seconds_total{{{TEAM_REP}}}[$__range]))',
              "{{cause}}")],
            "s", instant=True, options=BARS_H)
    d.panel("bargauge", "Managers who interrupt most",
            "Protected time taken by someone in the seller's management chain, by who took it.",
            [(f'topk(10, sum by (interrupter) (increase(huntline_manager_interruption_seconds_total{{{TEAM}}}[$__range])))',
              "{{interrupter}}")],
            "s", instant=True, options=BARS_H)
    d.panel("timeseries", "Interruptions by cause",
            "Meetings booked over blocks, blocks cancelled or moved, tasks assigned during them.",
            [(f'sum by (cause) (increase(huntline_interruptions_total{{{TEAM}}}[$__rate_interval]))', "{{cause}}")],
            "short", custom=STACKED)
    d.panel("bargauge", "Upcoming conflicts (next 14 days)",
            "Blocks starting within 14 days that already lose time, by the cause holding most of it: "
            "act before the time is lost.",
            [(f'sum by (team, cause) (huntline_protected_conflicts_upcoming{{{TEAM}}})', "{{team}} · {{cause}}")],
            "short", instant=True, options=BARS_H,
            thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}])
    d.panel("table", "Protected time lost per rep",
            "Per rep and cause, in the time range.",
            [(f'sum by (rep, cause) (increase(huntline_protected_lost_seconds_total{{{TEAM_REP}}}[$__range]))', "")],
            "s", instant=True,
            transformations=[{"id": "groupingToMatrix",
                              "options": {"rowField": "rep", "columnField": "cause", "valueField": "Value"}}])
    d.row("Where leaders spend their time")
    d.panel("barchart", "Leaders' meeting time by counterpart",
            "Managers' and executives' meeting time with customers, prospects (and lost deals), "
            "outsiders and their own people.",
            [(f'sum by (leader, counterpart) (increase(huntline_leader_meeting_seconds_total{{{TEAM}}}[$__range]))',
              "{{leader}} · {{counterpart}}")],
            "s", instant=True, options={"orientation": "horizontal", "stacking": "normal"},
            transformations=[{"id": "labelsToFields", "options": {"mode": "columns", "valueLabel": "counterpart"}},
                             {"id": "merge", "options": {}}])
    d.panel("bargauge", "Leaders' share of meeting time with prospects",
            "A leader who meets only customers learns only from people who already bought.",
            [(f'sum by (leader) (increase(huntline_leader_meeting_seconds_total{{counterpart="prospect", {TEAM}}}[$__range]))'
              f' / sum by (leader) (increase(huntline_leader_meeting_seconds_total{{{TEAM}}}[$__range]))', "{{leader}}")],
            "percentunit", instant=True, options=BARS_H)
    d.panel("timeseries", "Meeting time by role and counterpart",
            "Everyone's settled meeting time, by role and counterpart.",
            [(f'sum by (role, counterpart) (increase(huntline_meeting_seconds_total{{{TEAM}}}[$__rate_interval]))',
              "{{role}} · {{counterpart}}")],
            "s", width=24, custom=STACKED)
    return d


def pipeline(currency):
    """New-business pipeline — for ops teams and leaders."""
    d = Dashboard("huntline-pipeline", "Huntline · New-business pipeline",
                  "Coverage against quota, pipeline creation by origin, stage balance, this quarter's "
                  "flow, slipped and stale deals.",
                  team_variables() + [query_variable(
                      "quarter", "Fiscal quarter", "label_values(huntline_pipeline_flow_amount_total, quarter)",
                      multi=False, include_all=False, sort=2)],
                  currency)
    money = d.currency
    d.row("Coverage and creation")
    d.panel("timeseries", "Coverage of this quarter's quota",
            "Open pipeline closing this quarter ÷ quota. Below 2× (200%) is a warning, below 1× "
            "(100%) the quarter is lost without new pipeline.",
            [(f'sum by (team) (huntline_pipeline_quarter_amount{{{TEAM}}})'
              f' / max by (team) (huntline_quota_quarter_amount{{{TEAM}}})', "{{team}}")],
            "percentunit",
            thresholds=[{"color": "red", "value": None}, {"color": "orange", "value": 1},
                        {"color": "green", "value": 2}, {"color": "blue", "value": 3}],
            custom={"thresholdsStyle": {"mode": "line+area"}, "lineWidth": 2})
    d.panel("timeseries", "Pipeline created by origin: 14 days against the 90-day baseline",
            "New-business amount created in the last 14 days, against the same team's trailing "
            "90-day rate scaled to 14 days. A team whose line falls below half its baseline is "
            "collapsing (alert HuntlinePipelineCreationCollapse).",
            [(f'sum by (origin) (increase(huntline_pipeline_created_amount_total{{{TEAM}}}[14d]))', "{{origin}} · 14 days"),
             (f'sum by (origin) (increase(huntline_pipeline_created_amount_total{{{TEAM}}}[90d])) * 14 / 90',
              "{{origin}} · baseline")],
            money)
    d.panel("stat", "Seller-sourced share of open pipeline",
            "Arriving early means seller-sourced: the share of open pipeline the sellers created.",
            [(f'sum(huntline_pipeline_open_amount{{origin="seller_sourced", {TEAM}}})'
              f' / sum(huntline_pipeline_open_amount{{{TEAM}}})', "")],
            "percentunit", width=6, instant=True)
    d.panel("stat", "Won this quarter against quota",
            "Won new-business amount closing this quarter ÷ quota.",
            [(f'sum(huntline_won_quarter_amount{{{TEAM}}}) / sum(max by (team) (huntline_quota_quarter_amount{{{TEAM}}}))', "")],
            "percentunit", width=6, instant=True)
    d.panel("bargauge", "Open pipeline by origin",
            "Open new-business amount by who created it.",
            [(f'sum by (origin) (huntline_pipeline_open_amount{{{TEAM}}})', "{{origin}}")],
            money, width=12, instant=True, options=BARS_H)
    d.row("Balance and flow")
    d.panel("bargauge", "Stage balance",
            "Open amount by stage band: early (prospecting, discovery), mid (solution, proposal), "
            "late (negotiation). A funnel with nothing early has no next quarter.",
            [(f'sum by (stage_band) (huntline_pipeline_open_amount{{{TEAM}}})', "{{stage_band}}")],
            money, width=8, instant=True, options=BARS_H)
    d.panel("barchart", "Flow of $quarter's pipeline",
            "The ledger of the quarter's open amount: inflows (created, increased, moved in, reopened) "
            "up, outflows (decreased, moved out, won, lost) down; their sum is the open amount.",
            [(f'sum by (change) (huntline_pipeline_flow_amount_total{{quarter="$quarter", change=~"created|increased|moved_in|reopened", {TEAM}}})', "{{change}}"),
             (f'-1 * sum by (change) (huntline_pipeline_flow_amount_total{{quarter="$quarter", change=~"decreased|moved_out|won|lost", {TEAM}}})', "{{change}}")],
            money, width=16, instant=True, options={"orientation": "vertical", "showValue": "always"},
            transformations=[{"id": "merge", "options": {}}])
    d.row("Risk")
    d.panel("timeseries", "Slipped and stale deals",
            "Open deals pushed into a later quarter at least twice (slipped); open deals 30+ days old "
            "with no activity for 30 days (stale).",
            [(f'sum by (team) (huntline_pipeline_slipped_deals{{{TEAM}}})', "{{team}} slipped"),
             (f'sum by (team) (huntline_pipeline_stale_deals{{{TEAM}}})', "{{team}} stale")],
            "short")
    d.panel("timeseries", "Close-date pushes",
            "How often open deals' close dates move out.",
            [(f'sum by (team) (increase(huntline_close_date_pushes_total{{{TEAM}}}[$__rate_interval]))', "{{team}}")],
            "short")
    d.panel("bargauge", "Wins and losses by reason",
            "Deals closed in the time range: won, and lost by reason.",
            [(f'sum by (result, reason) (increase(huntline_deals_closed_total{{{TEAM}}}[$__range]))',
              "{{result}} · {{reason}}")],
            "short", instant=True, options=BARS_H)
    d.panel("timeseries", "Open amount tied to customers' executive priorities",
            "Deals linked to a top priority of the customer's executives are the ones that close.",
            [(f'sum by (team) (huntline_pipeline_priority_linked_amount{{{TEAM}}})', "{{team}}")],
            money)
    return d


def engine(currency):
    """Huntline engine — for whoever runs it."""
    instance = 'job=~"$job", instance=~"$instance"'
    d = Dashboard("huntline-engine", "Huntline · Engine",
                  "Throughput, lag, latency, dead letters, state and watermarks of the Huntline "
                  "instances.",
                  [datasource_variable(),
                   query_variable("job", "Job", "label_values(huntline_build_info, job)"),
                   query_variable("instance", "Instance", 'label_values(huntline_build_info{job=~"$job"}, instance)')],
                  currency)
    d.panel("timeseries", "Instances up",
            "1 when Prometheus scraped the instance.",
            [(f'max by (instance) (up{{{instance}}})', "{{instance}}")],
            "short", width=8)
    d.panel("timeseries", "Throughput by topic and result",
            "Events consumed per second: accepted, duplicate, stale, late, rejected.",
            [(f'sum by (topic, result) (rate(huntline_events_total{{{instance}}}[$__rate_interval]))', "{{topic}} · {{result}}")],
            "ops", width=16, custom=STACKED)
    d.panel("timeseries", "Consumer lag",
            "Messages between each partition's position and its end.",
            [(f'sum by (topic, partition) (huntline_consumer_lag_messages{{{instance}}})', "{{topic}}/{{partition}}")],
            "short")
    d.panel("timeseries", "Dead letters by reason",
            "Refused messages, sent to the dead-letter topic with their reason.",
            [(f'sum by (reason) (increase(huntline_dead_letters_total{{{instance}}}[$__rate_interval]))', "{{reason}}")],
            "short")
    d.panel("timeseries", "Event-time lag (p50, p99)",
            "Wall clock minus event time when an event is processed.",
            [(f'histogram_quantile(0.5, sum by (le) (rate(huntline_event_time_lag_seconds_bucket{{{instance}}}[$__rate_interval])))', "p50"),
             (f'histogram_quantile(0.99, sum by (le) (rate(huntline_event_time_lag_seconds_bucket{{{instance}}}[$__rate_interval])))', "p99")],
            "s")
    d.panel("timeseries", "Processing latency (p50, p99)",
            "From a message applied (its turn in event-time order come) to its effect visible at /metrics "
            "(freshness_ms), and from its Kafka timestamp (order_wait_ms included).",
            [(f'histogram_quantile(0.5, sum by (le) (rate(huntline_processing_latency_seconds_bucket{{{instance}}}[$__rate_interval])))', "p50"),
             (f'histogram_quantile(0.99, sum by (le) (rate(huntline_processing_latency_seconds_bucket{{{instance}}}[$__rate_interval])))', "p99"),
             (f'histogram_quantile(0.99, sum by (le) (rate(huntline_end_to_end_latency_seconds_bucket{{{instance}}}[$__rate_interval])))', "p99 from written")],
            "s")
    d.panel("timeseries", "Watermark behind the wall clock",
            "Wall clock minus the latest event time processed, per partition.",
            [(f'time() - max by (topic, partition) (huntline_watermark_seconds{{{instance}}})', "{{topic}}/{{partition}}")],
            "s")
    d.panel("timeseries", "Engine time behind the wall clock",
            "Wall clock minus engine time T (0 live; the reprocessing backlog with event time).",
            [(f'time() - max by (instance) (huntline_engine_time_seconds{{{instance}}})', "{{instance}}")],
            "s")
    d.panel("timeseries", "State size",
            "Approximate size of each instance's RocksDB state.",
            [(f'sum by (instance) (huntline_state_size_bytes{{{instance}}})', "{{instance}}")],
            "bytes")
    d.panel("timeseries", "RocksDB commit duration (p99)",
            "Time the processing thread spends writing one batch's state and offsets: handing it to the writer thread, and waiting for the batch before.",
            [(f'histogram_quantile(0.99, sum by (le) (rate(huntline_commit_duration_seconds_bucket{{{instance}}}[$__rate_interval])))', "p99")],
            "s")
    d.panel("timeseries", "Input that landed too late for event-time order",
            "crm messages that landed more than order_wait_ms after their timestamps, after a later event of "
            "another partition written after them, and org snapshots read after later events were counted. "
            "They count as they would in a replay where they come late. For crm messages, raise "
            "order_wait_ms until this stays at 0; the log names each.",
            [(f'sum by (instance) (increase(huntline_crm_out_of_order_total{{{instance}}}[$__rate_interval]))', "crm · {{instance}}"),
             # The org counter appears with its first late snapshot: 0 until then.
             (f'sum by (instance) (increase(huntline_org_changes_late_total{{{instance}}}[$__rate_interval])) '
              f'or sum by (instance) (0 * huntline_crm_out_of_order_total{{{instance}}})', "org · {{instance}}")],
            "short")
    return d


DASHBOARDS = {"prospecting-culture.json": culture, "new-business-pipeline.json": pipeline,
              "huntline-engine.json": engine}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--currency", default="USD", help="ISO code of the amounts' currency (Grafana unit currencyXXX)")
    parser.add_argument("--out", default=str(HERE), help="folder to write the JSON files to")
    args = parser.parse_args()
    for name, build in DASHBOARDS.items():
        path = pathlib.Path(args.out) / name
        path.write_text(json.dumps(build(args.currency).json(), indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
