#include "reports/render.h"

#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "reports/charts.h"

namespace huntline::reports {
namespace {

using nlohmann::json;

std::string Fmt(const json& v, Unit unit) {
  if (!v.is_number()) return "–";
  return FormatValue(v.get<double>(), unit);
}

std::string Count(const json& v) {
  if (!v.is_number()) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v.get<double>());
  return buf;
}

std::string Times(const json& v) {
  if (!v.is_number()) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f×", v.get<double>());
  return buf;
}

std::string Human(std::string key) {
  for (char& c : key) c = c == '_' ? ' ' : c;
  return key;
}

/// A table as rows of cells; the first row is the header.
using Table = std::vector<std::vector<std::string>>;

std::string HtmlTable(const Table& t, const std::string& caption = "") {
  std::string out = "<table>";
  if (!caption.empty()) out += "<caption>" + EscapeMarkup(caption) + "</caption>";
  for (size_t r = 0; r < t.size(); ++r) {
    out += "<tr>";
    for (size_t c = 0; c < t[r].size(); ++c) {
      const char* tag = r == 0 ? "th" : "td";
      out += std::string("<") + tag + (c > 0 && r > 0 ? " class=\"num\"" : "") + ">" + EscapeMarkup(t[r][c]) +
             "</" + tag + ">";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string MarkdownTable(const Table& t) {
  std::string out;
  for (size_t r = 0; r < t.size(); ++r) {
    out += "|";
    for (const auto& cell : t[r]) out += " " + cell + " |";
    out += "\n";
    if (r == 0) {
      out += "|";
      for (size_t c = 0; c < t[r].size(); ++c) out += c == 0 ? "---|" : "---:|";
      out += "\n";
    }
  }
  return out + "\n";
}

Table Overview(const json& report) {
  Table t = {{"team", "hunting share", "pipeline created", "seller-sourced", "coverage start",
              "next quarter's coverage at the end", "protected-time integrity", "lost", "leaders with prospects"}};
  auto row = [&](const std::string& name, const json& s) {
    t.push_back({name, Fmt(s["behaviour"]["share"]["target_prospecting"], Unit::kPercent),
                 Fmt(s["pipeline"]["created_amount_total"], Unit::kAmount),
                 Fmt(s["pipeline"]["seller_sourced_share"], Unit::kPercent),
                 Times(s["pipeline"]["coverage_start"]), Times(s["pipeline"]["coverage_next_quarter_at_end"]),
                 Fmt(s["protected_time"]["integrity"], Unit::kPercent),
                 Fmt(s["protected_time"]["lost_seconds_total"], Unit::kHours),
                 Fmt(s["leaders"]["prospect_share"], Unit::kPercent)});
  };
  for (const auto& team : report["teams"]) row(team["team"].get<std::string>(), team);
  row("all teams", report["organisation"]);
  return t;
}

Table BehaviourTable(const json& b) {
  Table t = {{"behaviour", "activities", "time", "share"}};
  std::set<std::string> keys;
  for (const auto& [k, v] : b["activities"].items()) keys.insert(k);
  for (const auto& [k, v] : b["seconds"].items()) keys.insert(k);
  const bool by_time = b["share_basis"] == "seconds";
  double total = 0;
  for (const auto& k : keys) total += (by_time ? b["seconds"] : b["activities"]).value(k, 0.0);
  for (const auto& k : keys) {
    const double basis = (by_time ? b["seconds"] : b["activities"]).value(k, 0.0);
    t.push_back({Human(k), Count(b["activities"].value(k, 0.0)), Fmt(b["seconds"].value(k, 0.0), Unit::kHours),
                 total > 0 ? FormatValue(basis / total, Unit::kPercent) : "–"});
  }
  return t;
}

Table MatrixTable(const json& p) {
  std::set<std::string> engagements, outcomes;
  for (const auto* part : {&p["start"], &p["end"]}) {
    for (const auto& [cell, n] : part->items()) {
      engagements.insert(cell.substr(0, cell.find('/')));
      outcomes.insert(cell.substr(cell.find('/') + 1));
    }
  }
  Table t = {{"engagement \\ outcome"}};
  for (const auto& o : outcomes) t[0].push_back(Human(o));
  for (const auto& e : engagements) {
    std::vector<std::string> row = {Human(e)};
    for (const auto& o : outcomes) {
      const std::string cell = e + "/" + o;
      const double start = p["start"].value(cell, 0.0), end = p["end"].value(cell, 0.0);
      char buf[48];
      if (start == end) {
        std::snprintf(buf, sizeof buf, "%.0f", end);
      } else {
        std::snprintf(buf, sizeof buf, "%.0f (%+.0f)", end, end - start);
      }
      row.push_back(start == 0 && end == 0 ? "" : buf);
    }
    t.push_back(row);
  }
  return t;
}

Table PipelineTable(const json& p) {
  Table t = {{"figure", "value"}};
  for (const auto& [origin, amount] : p["created_amount"].items()) {
    t.push_back({"created, " + Human(origin), Fmt(amount, Unit::kAmount) + " (" +
                                                  Count(p["created_deals"].value(origin, 0.0)) + " deals)"});
  }
  t.push_back({"seller-sourced share of created", Fmt(p["seller_sourced_share"], Unit::kPercent)});
  t.push_back({"quota", Fmt(p["quota"], Unit::kAmount)});
  t.push_back({"coverage of the quarter's quota at its start", Times(p["coverage_start"])});
  t.push_back({"coverage of the next quarter's quota at the end", Times(p["coverage_next_quarter_at_end"])});
  t.push_back({"won (closing this quarter)", Fmt(p["won_amount"], Unit::kAmount)});
  t.push_back({"slipped deals, start → end", Count(p["slipped_deals_start"]) + " → " + Count(p["slipped_deals_end"])});
  t.push_back({"stale deals, start → end", Count(p["stale_deals_start"]) + " → " + Count(p["stale_deals_end"])});
  for (const auto& [key, n] : p["closed"].items()) t.push_back({"closed, " + Human(key), Count(n)});
  return t;
}

Table ProtectedTable(const json& p, const json& previous) {
  Table t = {{"figure", "value"}};
  t.push_back({"protected time (settled blocks)", Fmt(p["protected_seconds"], Unit::kHours)});
  t.push_back({"integrity (goal 100%)", Fmt(p["integrity"], Unit::kPercent)});
  t.push_back({"integrity, previous quarter", Fmt(previous, Unit::kPercent)});
  for (const auto& [cause, s] : p["lost_seconds"].items()) {
    t.push_back({"lost to " + Human(cause), Fmt(s, Unit::kHours) + " (" +
                                                Count(p["interruptions"].value(cause, 0.0)) + " interruptions)"});
  }
  t.push_back({"taken by managers", Fmt(p["manager_seconds_total"], Unit::kHours)});
  return t;
}

Table PeopleTable(const json& people, const char* role, const char* extra = nullptr) {
  Table t = {{role, "time"}};
  if (extra) t[0].push_back(Human(extra));
  int anonymous = 0;
  for (const auto& p : people) {
    std::vector<std::string> row = {p[role].is_string() ? p[role].get<std::string>()
                                                        : std::string(role) + " " + std::to_string(++anonymous),
                                    Fmt(p["seconds"], Unit::kHours)};
    if (extra) row.push_back(Fmt(p.value(extra, json(nullptr)), Unit::kPercent));
    t.push_back(row);
  }
  return t;
}

Table LeadersTable(const json& l) {
  Table t = {{"counterpart", "time", "share"}};
  const double total = l["meeting_seconds_total"].get<double>();
  for (const auto& [counterpart, s] : l["meeting_seconds"].items()) {
    t.push_back({Human(counterpart), Fmt(s, Unit::kHours),
                 total > 0 ? FormatValue(s.get<double>() / total, Unit::kPercent) : "–"});
  }
  return t;
}

Table MethodTable(const json& report) {
  Table t = {{"figure", "metric", "definition"}};
  for (const auto& m : report["method"]) {
    t.push_back({m["figure"].get<std::string>(), m["metric"].get<std::string>(), m["definition"].get<std::string>()});
  }
  return t;
}

std::vector<Line> TeamLines(const json& report, const char* figure) {
  std::vector<Line> lines;
  for (const auto& team : report["teams"]) {
    Line line{team["team"].get<std::string>(), {}};
    for (const auto& week : team["weekly"]) {
      line.values.push_back(week[figure].is_number() ? std::optional<double>(week[figure].get<double>())
                                                     : std::nullopt);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::string> Weeks(const json& report) {
  std::vector<std::string> weeks;
  for (const auto& w : report["organisation"]["weekly"]) weeks.push_back(w["week"].get<std::string>());
  return weeks;
}

std::string FlowChart(const json& team, const std::string& quarter) {
  const json& f = team["pipeline"]["flow"];
  std::vector<std::pair<std::string, double>> steps;
  for (const char* change : {"created", "increased", "moved_in", "reopened", "decreased", "moved_out", "won", "lost"}) {
    steps.push_back({Human(change), f[change].get<double>()});
  }
  return Waterfall("Pipeline flow of " + quarter + " (" + team["team"].get<std::string>() + ")", "open at start",
                   f["open_at_start"].get<double>(), steps, "open at end", Unit::kAmount);
}

std::string LostChart(const json& team) {
  std::vector<std::pair<std::string, double>> bars;
  for (const auto& [cause, s] : team["protected_time"]["lost_seconds"].items()) {
    bars.push_back({Human(cause), s.get<double>()});
  }
  return BarChart("Protected time lost by cause (" + team["team"].get<std::string>() + ")", bars, Unit::kHours);
}

const char* kStyle = R"(
body { font-family: Helvetica, Arial, sans-serif; color: #111; margin: 2em auto; max-width: 60em; line-height: 1.35; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #999; padding-bottom: 0.2em; margin-top: 1.6em; }
h3 { margin-bottom: 0.3em; } .period { color: #444; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; } caption { text-align: left; font-weight: bold; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; vertical-align: top; } td.num { text-align: right; }
th { background: #eee; } .summary li { margin-bottom: 0.4em; } .no-data { font-size: 1.2em; padding: 1em; border: 2px solid #000; }
svg.chart { display: block; margin: 0.5em 0 1em; max-width: 100%; height: auto; }
.note { color: #444; font-size: 0.85em; }
@page { size: A4; margin: 15mm; }
@media print { body { margin: 0; max-width: none; } section.team { page-break-before: always; } svg.chart { page-break-inside: avoid; } }
)";

}  // namespace

std::string RenderHtml(const json& report) {
  const std::string quarter = report["quarter"].get<std::string>();
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Huntline · "
                  "Prospecting culture · " + EscapeMarkup(quarter) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<header><h1>Prospecting culture report — " + EscapeMarkup(quarter) + "</h1>\n<p class=\"period\">" +
       EscapeMarkup(report["from"].get<std::string>()) + " to " + EscapeMarkup(report["to"].get<std::string>()) +
       ", compared with " + EscapeMarkup(report["previous_quarter"].get<std::string>()) + ".</p></header>\n";
  if (!report["has_data"].get<bool>()) {
    h += "<p class=\"no-data\">" + EscapeMarkup(report["message"].get<std::string>()) + "</p>\n";
  } else {
    if (!report.value("complete", true)) {
      h += "<p class=\"note\">The quarter is not over yet: figures run to the last day Huntline has recorded.</p>\n";
    }
    h += "<section class=\"summary\"><h2>Executive summary</h2>\n<ol>\n";
    for (const auto& f : report["summary"]) h += "<li>" + EscapeMarkup(f["text"].get<std::string>()) + "</li>\n";
    h += "</ol></section>\n<section><h2>Teams at a glance</h2>\n" + HtmlTable(Overview(report)) + "</section>\n";
    const auto weeks = Weeks(report);
    h += "<section><h2>Weekly trends</h2>\n";
    h += TrendChart("Protected-time integrity by week", "week starting", weeks,
                    TeamLines(report, "protected_integrity"), Unit::kPercent);
    h += TrendChart("Share of activity hunting target accounts by week", "week starting", weeks,
                    TeamLines(report, "hunting_share"), Unit::kPercent);
    h += TrendChart("New-business pipeline created by week", "week starting", weeks,
                    TeamLines(report, "pipeline_created_amount"), Unit::kAmount);
    h += "</section>\n";
    for (const auto& team : report["teams"]) {
      const std::string name = team["team"].get<std::string>();
      h += "<section class=\"team\"><h2>" + EscapeMarkup(name) + "</h2>\n";
      h += "<h3>Behaviour mix</h3>\n" + HtmlTable(BehaviourTable(team["behaviour"]));
      h += "<h3>Prospect matrix at the end of the quarter (change since its start)</h3>\n" +
           HtmlTable(MatrixTable(team["prospects"]));
      const json& t = team["target_accounts"];
      h += "<h3>Target accounts</h3>\n<p>" + Count(t["accounts"]) + " accounts on target lists; " +
           Fmt(t["touched_share"], Unit::kPercent) + " worked by their seller in the last 30 days, " +
           Fmt(t["engaged_share"], Unit::kPercent) + " with a decision maker engaged in the last 90 days.</p>\n";
      h += "<h3>New-business pipeline</h3>\n" + HtmlTable(PipelineTable(team["pipeline"])) + FlowChart(team, quarter);
      h += "<h3>Protected prospecting time</h3>\n" +
           HtmlTable(ProtectedTable(team["protected_time"], team["previous"]["protected_integrity"]));
      if (!team["protected_time"]["lost_seconds"].empty()) h += LostChart(team);
      if (!team["protected_time"]["managers"].empty()) {
        h += HtmlTable(PeopleTable(team["protected_time"]["managers"], "interrupter"),
                       "Protected time taken by managers");
      }
      h += "<h3>Leaders' time</h3>\n" + HtmlTable(LeadersTable(team["leaders"]));
      if (!team["leaders"]["leaders"].empty()) {
        h += HtmlTable(PeopleTable(team["leaders"]["leaders"], "leader", "prospect_share"), "Per leader");
      }
      h += "</section>\n";
    }
  }
  const json& privacy = report["privacy"];
  h += "<section class=\"method\"><h2>Method</h2>\n" + HtmlTable(MethodTable(report)) +
       "<p class=\"note\">People are named only in groups of at least " +
       std::to_string(privacy["min_group_size"].get<int>()) + (privacy["per_person"].get<bool>() ? " (per-person reporting is on)" : "") +
       (privacy["pseudonymized"].get<bool>() ? "; names are pseudonyms" : "") +
       ". Figures settle after the allowed lateness; changes that arrive later are counted as late.</p></section>\n";
  return h + "</body>\n</html>\n";
}

std::string RenderMarkdown(const json& report) {
  const std::string quarter = report["quarter"].get<std::string>();
  std::string m = "# Prospecting culture report — " + quarter + "\n\n" + report["from"].get<std::string>() + " to " +
                  report["to"].get<std::string>() + ", compared with " +
                  report["previous_quarter"].get<std::string>() + ".\n\n";
  if (!report["has_data"].get<bool>()) return m + "**" + report["message"].get<std::string>() + "**\n";
  m += "## Executive summary\n\n";
  int n = 0;
  for (const auto& f : report["summary"]) m += std::to_string(++n) + ". " + f["text"].get<std::string>() + "\n";
  m += "\n## Teams at a glance\n\n" + MarkdownTable(Overview(report));
  for (const auto& team : report["teams"]) {
    m += "## " + team["team"].get<std::string>() + "\n\n### Behaviour mix\n\n" + MarkdownTable(BehaviourTable(team["behaviour"]));
    m += "### Prospect matrix at the end (change since the start)\n\n" + MarkdownTable(MatrixTable(team["prospects"]));
    m += "### New-business pipeline\n\n" + MarkdownTable(PipelineTable(team["pipeline"]));
    m += "### Protected prospecting time\n\n" +
         MarkdownTable(ProtectedTable(team["protected_time"], team["previous"]["protected_integrity"]));
    m += "### Leaders' time\n\n" + MarkdownTable(LeadersTable(team["leaders"]));
  }
  return m + "## Method\n\n" + MarkdownTable(MethodTable(report));
}

std::string RenderCsv(const json& report) {
  std::string out = "quarter,scope,figure,value\n";
  const std::string quarter = report["quarter"].get<std::string>();
  auto quote = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  auto flatten = [&](const std::string& scope, const json& section) {
    const json flat = section.flatten();
    for (const auto& [path, value] : flat.items()) {
      if (!value.is_number()) continue;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.10g", value.get<double>());
      out += quote(quarter) + "," + quote(scope) + "," + quote(path) + "," + buf + "\n";
    }
  };
  if (!report["has_data"].get<bool>()) return out;
  flatten("organisation", report["organisation"]);
  for (const auto& team : report["teams"]) {
    json copy = team;
    copy.erase("team");
    flatten(team["team"].get<std::string>(), copy);
  }
  return out;
}

}  // namespace huntline::reports
