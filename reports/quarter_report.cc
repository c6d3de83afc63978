#include "reports/quarter_report.h"

#include "metrics/privacy.h"


#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace huntline::reports {
namespace {

using nlohmann::json;
using Where = std::map<std::string, std::string>;

constexpr const char* kInflows[] = {"created", "increased", "moved_in", "reopened"};
constexpr const char* kOutflows[] = {"decreased", "moved_out", "won", "lost"};

/// The figures at the start of a period (end of the day before) and at its end (end of its last
/// day): a counter's increase over the period is end − start.
struct Window {
  Snapshot start;
  Snapshot end;
};

Window WindowOf(const HistoryView& history, Day from, Day to) {
  return {history.At(from - 1), history.At(to - 1)};
}

double Increase(const Window& w, std::string_view family, const Where& where) {
  return w.end.Total(family, where) - w.start.Total(family, where);
}

std::map<std::string, double> IncreaseBy(const Window& w, std::string_view family,
                                         const Where& where, const std::vector<std::string>& by) {
  std::map<std::string, double> out = w.end.Sum(family, where, by);
  for (const auto& [key, value] : w.start.Sum(family, where, by)) out[key] -= value;
  std::erase_if(out, [](const auto& kv) { return kv.second == 0; });
  return out;
}

json Ratio(double part, double whole) { return whole > 0 ? json(part / whole) : json(nullptr); }

json Object(const std::map<std::string, double>& values) {
  json out = json::object();
  for (const auto& [key, value] : values) out[key] = value;
  return out;
}

double SumOf(const std::map<std::string, double>& values) {
  double total = 0;
  for (const auto& [key, value] : values) total += value;
  return total;
}

/// The open amount of deals closing in `quarter`, from the flow ledger: inflows − outflows.
double LedgerOpen(const Snapshot& s, Where where, const std::string& quarter) {
  where["quarter"] = quarter;
  double open = 0;
  for (const char* change : kInflows) {
    where["change"] = change;
    open += s.Total("huntline_pipeline_flow_amount_total", where);
  }
  for (const char* change : kOutflows) {
    where["change"] = change;
    open -= s.Total("huntline_pipeline_flow_amount_total", where);
  }
  return open;
}

json Behaviour(const Window& w, const Where& where) {
  const auto seconds = IncreaseBy(w, "huntline_activity_seconds_total", where, {"behaviour"});
  const auto activities = IncreaseBy(w, "huntline_activities_total", where, {"behaviour"});
  // Shares of time; of activities when no activity gave a duration.
  const auto& basis = SumOf(seconds) > 0 ? seconds : activities;
  const double total = SumOf(basis);
  auto share = [&](const char* behaviour) {
    auto it = basis.find(behaviour);
    return Ratio(it == basis.end() ? 0 : it->second, total);
  };
  json shares = {{"target_prospecting", share("target_prospecting")},
                 {"deal_work", share("deal_work")},
                 {"customer_management", share("customer_management")}};
  double rest = 0;
  for (const auto& [behaviour, value] : basis) {
    if (behaviour != "target_prospecting" && behaviour != "deal_work" &&
        behaviour != "customer_management") {
      rest += value;
    }
  }
  shares["other"] = Ratio(rest, total);
  return {{"activities", Object(activities)},
          {"seconds", Object(seconds)},
          {"share_basis", SumOf(seconds) > 0 ? "seconds" : "activities"},
          {"share", shares}};
}

json Prospects(const Window& w, const Where& where) {
  auto cells = [&](const Snapshot& s) {
    auto sums = s.Sum("huntline_prospects", where, {"engagement", "outcome"});
    std::erase_if(sums, [](const auto& kv) { return kv.second == 0; });
    return sums;
  };
  const auto start = cells(w.start), end = cells(w.end);
  std::map<std::string, double> change = end;
  for (const auto& [cell, n] : start) change[cell] -= n;
  std::erase_if(change, [](const auto& kv) { return kv.second == 0; });
  return {{"start", Object(start)}, {"end", Object(end)}, {"change", Object(change)},
          {"total_start", SumOf(start)}, {"total_end", SumOf(end)}};
}

json TargetAccounts(const Window& w, const Where& where) {
  const double accounts = w.end.Total("huntline_target_accounts", where);
  const double touched = w.end.Total("huntline_target_accounts_touched", where);
  const double engaged = w.end.Total("huntline_target_accounts_engaged", where);
  return {{"accounts", accounts}, {"touched", touched}, {"engaged", engaged},
          {"touched_share", Ratio(touched, accounts)}, {"engaged_share", Ratio(engaged, accounts)}};
}

json Pipeline(const Window& w, const Where& where, const std::string& quarter,
              const std::string& next_quarter) {
  const auto created = IncreaseBy(w, "huntline_pipeline_created_amount_total", where, {"origin"});
  const auto deals = IncreaseBy(w, "huntline_pipeline_created_deals_total", where, {"origin"});
  const double created_total = SumOf(created);
  const double seller = created.contains("seller_sourced") ? created.at("seller_sourced") : 0;
  const double quota_start = w.start.Total("huntline_quota_quarter_amount", where);
  const double quota_end = w.end.Total("huntline_quota_quarter_amount", where);
  const double open_start = LedgerOpen(w.start, where, quarter);
  const double open_end = LedgerOpen(w.end, where, quarter);
  json flow = {{"open_at_start", open_start}, {"open_at_end", open_end}};
  Where ledger = where;
  ledger["quarter"] = quarter;
  for (const char* change : kInflows) {
    ledger["change"] = change;
    flow[change] = Increase(w, "huntline_pipeline_flow_amount_total", ledger);
  }
  for (const char* change : kOutflows) {
    ledger["change"] = change;
    flow[change] = -Increase(w, "huntline_pipeline_flow_amount_total", ledger);
  }
  return {{"created_amount", Object(created)},
          {"created_deals", Object(deals)},
          {"created_amount_total", created_total},
          {"seller_sourced_share", Ratio(seller, created_total)},
          {"quota", quota_end},
          // This quarter's pipeline against its quota as it began; at its end, what is lined up
          // for the next quarter (this quarter's own open amount is then mostly closed).
          {"coverage_start", Ratio(open_start, quota_start)},
          {"coverage_next_quarter_at_end", Ratio(LedgerOpen(w.end, where, next_quarter), quota_end)},
          {"won_amount", w.end.Total("huntline_won_quarter_amount", where)},
          {"flow", flow},
          {"slipped_deals_start", w.start.Total("huntline_pipeline_slipped_deals", where)},
          {"slipped_deals_end", w.end.Total("huntline_pipeline_slipped_deals", where)},
          {"stale_deals_start", w.start.Total("huntline_pipeline_stale_deals", where)},
          {"stale_deals_end", w.end.Total("huntline_pipeline_stale_deals", where)},
          {"closed", Object(IncreaseBy(w, "huntline_deals_closed_total", where, {"result", "reason"}))}};
}

/// Per-person rows, named only when privacy allows it for a group of this size.
json People(const std::map<std::string, double>& seconds, const std::map<std::string, double>& counts,
            const char* role, const PrivacyOptions& privacy) {
  std::vector<std::pair<std::string, double>> rows(seconds.begin(), seconds.end());
  // Per-person series switched off (an empty person): the team figures only.
  std::erase_if(rows, [](const auto& row) { return row.first.empty(); });
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  const bool named = privacy.per_person || static_cast<int>(rows.size()) >= privacy.min_group_size;
  json out = json::array();
  for (const auto& [person, value] : rows) {
    json row = {{"seconds", value}};
    row[role] = named ? json(PersonLabel(person, privacy)) : json(nullptr);
    if (!counts.empty()) row["count"] = counts.contains(person) ? counts.at(person) : 0.0;
    out.push_back(row);
  }
  return out;
}

json ProtectedTime(const Window& w, const Where& where, const PrivacyOptions& privacy) {
  const double protected_seconds = Increase(w, "huntline_protected_seconds_total", where);
  const auto lost = IncreaseBy(w, "huntline_protected_lost_seconds_total", where, {"cause"});
  const auto by_manager =
      IncreaseBy(w, "huntline_manager_interruption_seconds_total", where, {"interrupter"});
  const auto manager_counts =
      IncreaseBy(w, "huntline_manager_interruptions_total", where, {"interrupter"});
  const double lost_total = SumOf(lost);
  std::vector<double> manager_seconds;
  for (const auto& [who, s] : by_manager) manager_seconds.push_back(s);
  std::sort(manager_seconds.rbegin(), manager_seconds.rend());
  const double managers_total = SumOf(by_manager);
  const bool named_managers = !by_manager.contains("");
  const double top_two = (manager_seconds.size() > 0 ? manager_seconds[0] : 0) +
                         (manager_seconds.size() > 1 ? manager_seconds[1] : 0);
  return {{"protected_seconds", protected_seconds},
          {"lost_seconds", Object(lost)},
          {"lost_seconds_total", lost_total},
          {"integrity", protected_seconds > 0 ? json(1 - lost_total / protected_seconds) : json(nullptr)},
          {"interruptions", Object(IncreaseBy(w, "huntline_interruptions_total", where, {"cause"}))},
          {"manager_seconds_total", managers_total},
          // Unknown when per-person series are switched off (every manager under one empty name).
          {"managers_interrupting", named_managers ? json(by_manager.size()) : json(nullptr)},
          {"top_two_managers_share", named_managers ? Ratio(top_two, managers_total) : json(nullptr)},
          {"managers", People(by_manager, manager_counts, "interrupter", privacy)}};
}

json Leaders(const Window& w, const Where& where, const PrivacyOptions& privacy) {
  const auto by_counterpart =
      IncreaseBy(w, "huntline_leader_meeting_seconds_total", where, {"counterpart"});
  const double total = SumOf(by_counterpart);
  auto part = [&](const char* counterpart) {
    return by_counterpart.contains(counterpart) ? by_counterpart.at(counterpart) : 0.0;
  };
  const auto by_leader = IncreaseBy(w, "huntline_leader_meeting_seconds_total", where, {"leader"});
  Where with_prospects = where;
  with_prospects["counterpart"] = "prospect";
  const auto prospects_by_leader =
      IncreaseBy(w, "huntline_leader_meeting_seconds_total", with_prospects, {"leader"});
  json leaders = People(by_leader, {}, "leader", privacy);
  // Each leader's share with prospects, in the same order (named or not).
  std::vector<std::pair<std::string, double>> rows(by_leader.begin(), by_leader.end());
  std::erase_if(rows, [](const auto& row) { return row.first.empty(); });
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (size_t i = 0; i < rows.size(); ++i) {
    const double p = prospects_by_leader.contains(rows[i].first) ? prospects_by_leader.at(rows[i].first) : 0;
    leaders[i]["prospect_share"] = Ratio(p, rows[i].second);
  }
  return {{"meeting_seconds", Object(by_counterpart)},
          {"meeting_seconds_total", total},
          {"prospect_share", Ratio(part("prospect"), total)},
          {"customer_share", Ratio(part("customer"), total)},
          {"leaders", leaders}};
}

json Weekly(const HistoryView& history, Day from, Day to, const Where& where) {
  json weeks = json::array();
  Day monday = from - (static_cast<Day>(((from + 3) % 7 + 7) % 7));  // 1970-01-01 was a Thursday
  for (Day week = monday; week < to; week += 7) {
    const Day a = std::max(week, from), b = std::min(week + 7, to);
    const Window w = WindowOf(history, a, b);
    const double protected_seconds = Increase(w, "huntline_protected_seconds_total", where);
    const double lost = Increase(w, "huntline_protected_lost_seconds_total", where);
    const json behaviour = Behaviour(w, where);
    weeks.push_back({{"week", FormatDate(a)},
                     {"days", b - a},
                     {"protected_integrity",
                      protected_seconds > 0 ? json(1 - lost / protected_seconds) : json(nullptr)},
                     {"protected_lost_seconds", lost},
                     {"hunting_share", behaviour["share"]["target_prospecting"]},
                     {"pipeline_created_amount", Increase(w, "huntline_pipeline_created_amount_total", where)},
                     {"interruptions", Increase(w, "huntline_interruptions_total", where)}});
  }
  return weeks;
}

json Section(const HistoryView& history, Day from, Day to, const std::string& quarter,
             const Where& where, const PrivacyOptions& privacy) {
  const Window w = WindowOf(history, from, to);
  const std::string next = FiscalCalendar::Label(*FiscalCalendar::ParseLabel(quarter) + 1);
  return {{"behaviour", Behaviour(w, where)},
          {"prospects", Prospects(w, where)},
          {"target_accounts", TargetAccounts(w, where)},
          {"pipeline", Pipeline(w, where, quarter, next)},
          {"protected_time", ProtectedTime(w, where, privacy)},
          {"leaders", Leaders(w, where, privacy)},
          {"weekly", Weekly(history, from, to, where)}};
}

std::string Percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", ratio * 100);
  return buf;
}

std::string Points(double delta) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %.0f pts", delta >= 0 ? "up" : "down", std::fabs(delta) * 100);
  return buf;
}

std::string Amount(double amount) {
  char buf[48];
  if (std::fabs(amount) >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1fM", amount / 1e6);
  } else if (std::fabs(amount) >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.0fk", amount / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", amount);
  }
  return buf;
}

std::string Hours(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f h", seconds / 3600);
  return buf;
}

std::string Times(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f×", ratio);
  return buf;
}

std::optional<double> Number(const json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

/// The executive summary: every candidate finding with its change against the previous quarter,
/// the largest changes first (a finding with nothing to compare ranks by how far it is from
/// its goal).
json Findings(const json& now, const json& before, const json& teams, const std::string& previous) {
  struct Candidate {
    std::string key, text, metric;
    double value;
    std::optional<double> previous;
    double score;
  };
  std::vector<Candidate> candidates;
  const std::string vs = " on " + previous;

  if (auto integrity = Number(now["protected_time"]["integrity"])) {
    const auto& p = now["protected_time"];
    std::string text = "Protected prospecting time held " + Percent(*integrity) + " (goal 100%)";
    const double managers = p["manager_seconds_total"].get<double>();
    if (managers > 0) {
      text += "; managers took " + Hours(managers);
      if (p["managers_interrupting"].is_number() && p["managers_interrupting"].get<size_t>() > 2 &&
          p["top_two_managers_share"].is_number()) {
        text += ", two of them " + Percent(p["top_two_managers_share"].get<double>()) + " of it";
      }
    }
    const auto prev = Number(before["protected_time"]["integrity"]);
    if (prev) text += ", " + Points(*integrity - *prev) + vs;
    // Which team made the difference: the lowest.
    std::string lowest;
    double lowest_value = 2;
    for (const auto& t : teams) {
      if (auto v = Number(t["protected_time"]["integrity"]); v && *v < lowest_value) {
        lowest_value = *v;
        lowest = t["team"].get<std::string>();
      }
    }
    if (teams.size() > 1 && !lowest.empty() && lowest_value < 1) {
      text += "; lowest: " + lowest + " at " + Percent(lowest_value);
    }
    candidates.push_back({"protected_time", text + ".", "huntline_protected_lost_seconds_total",
                          *integrity, prev, prev ? std::fabs(*integrity - *prev) : 1 - *integrity});
  }
  const double created = now["pipeline"]["created_amount_total"].get<double>();
  const double created_before = before["pipeline"]["created_amount_total"].get<double>();
  if (created > 0 || created_before > 0) {
    std::string text = "New-business pipeline created: " + Amount(created);
    if (auto share = Number(now["pipeline"]["seller_sourced_share"])) {
      text += " (" + Percent(*share) + " seller-sourced)";
    }
    double score = 0.1;
    if (created_before > 0) {
      const double change = created / created_before - 1;
      text += std::string(change >= 0 ? ", up " : ", down ") + Percent(std::fabs(change)) + vs;
      score = std::fabs(change);
    }
    candidates.push_back({"pipeline_created", text + ".", "huntline_pipeline_created_amount_total",
                          created, created_before > 0 ? std::optional<double>(created_before) : std::nullopt,
                          score});
  }
  if (auto hunting = Number(now["behaviour"]["share"]["target_prospecting"])) {
    std::string text = "Hunting target accounts took " + Percent(*hunting) + " of activity " +
                       (now["behaviour"]["share_basis"] == "seconds" ? "time" : "");
    const auto prev = Number(before["behaviour"]["share"]["target_prospecting"]);
    if (prev) text += ", " + Points(*hunting - *prev) + vs;
    candidates.push_back({"hunting_share", text + ".", "huntline_activity_seconds_total", *hunting, prev,
                          prev ? std::fabs(*hunting - *prev) : 0.05});
  }
  const auto coverage_start = Number(now["pipeline"]["coverage_start"]);
  const auto coverage_end = Number(now["pipeline"]["coverage_next_quarter_at_end"]);
  if (coverage_start && coverage_end) {
    candidates.push_back({"coverage",
                          "Pipeline covered " + Times(*coverage_start) +
                              " of the quarter's quota as it began; at its end, " +
                              Times(*coverage_end) + " of the next quarter's is lined up.",
                          "huntline_pipeline_flow_amount_total", *coverage_end, coverage_start,
                          std::fabs(*coverage_end - *coverage_start) / std::max(1.0, *coverage_start)});
  }
  if (auto prospects = Number(now["leaders"]["prospect_share"])) {
    std::string text = "Leaders spent " + Percent(*prospects) + " of their meeting time with prospects";
    if (auto customers = Number(now["leaders"]["customer_share"])) {
      text += " and " + Percent(*customers) + " with customers";
    }
    const auto prev = Number(before["leaders"]["prospect_share"]);
    if (prev) text += " (prospects " + Points(*prospects - *prev) + vs + ")";
    candidates.push_back({"leaders_time", text + ".", "huntline_leader_meeting_seconds_total", *prospects,
                          prev, prev ? std::fabs(*prospects - *prev) : 0.05});
  }
  const double slipped_start = now["pipeline"]["slipped_deals_start"].get<double>();
  const double slipped_end = now["pipeline"]["slipped_deals_end"].get<double>();
  if (slipped_start > 0 || slipped_end > 0) {
    char text[200];
    std::snprintf(text, sizeof text,
                  "%.0f open deals had slipped into a later quarter twice or more by the end "
                  "(%.0f at the start).",
                  slipped_end, slipped_start);
    candidates.push_back({"slipped_deals", text, "huntline_pipeline_slipped_deals", slipped_end,
                          slipped_start,
                          std::min(0.5, std::fabs(slipped_end - slipped_start) / std::max(1.0, slipped_start))});
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  if (candidates.size() > 5) candidates.resize(5);
  json out = json::array();
  for (const auto& c : candidates) {
    out.push_back({{"key", c.key}, {"text", c.text}, {"metric", c.metric}, {"value", c.value},
                   {"previous", c.previous ? json(*c.previous) : json(nullptr)}});
  }
  return out;
}

json Method() {
  auto row = [](const char* figure, const char* metric, const char* definition) {
    return json{{"figure", figure}, {"metric", metric}, {"definition", definition}};
  };
  return json::array({
      row("Behaviour mix", "huntline_activity_seconds_total",
          "Each activity's time by the first behaviour that applies to its account when it was "
          "logged: customer management, deal work, lost-deal follow-up, inbound follow-up, "
          "target prospecting, opportunistic prospecting, other."),
      row("Prospect matrix", "huntline_prospects",
          "Prospects in each cell of engagement (how they behave) × outcome (where they stand) at "
          "the end of the quarter's first and last days."),
      row("Target-account coverage", "huntline_target_accounts_touched",
          "Of the accounts on sellers' target lists, those the seller worked in the last 30 days "
          "(touched) and those where a decision maker answered in the last 90 days (engaged), at "
          "the quarter's end."),
      row("Pipeline created", "huntline_pipeline_created_amount_total",
          "New-business amount when a deal is first seen as new business, by who created it."),
      row("Coverage", "huntline_pipeline_flow_amount_total",
          "Open new-business amount closing in the quarter divided by the team's quarterly quota, "
          "at the quarter's start and end."),
      row("Pipeline flow", "huntline_pipeline_flow_amount_total",
          "The ledger of the quarter's open amount: created, increased, moved in, reopened, minus "
          "decreased, moved out, won, lost."),
      row("Slipped and stale deals", "huntline_pipeline_slipped_deals",
          "Open deals pushed into a later quarter twice or more; open deals 30+ days old with no "
          "activity for 30 days."),
      row("Protected-time integrity", "huntline_protected_lost_seconds_total",
          "1 − lost / protected seconds of the blocks that settled in the quarter; each lost "
          "second has exactly one cause."),
      row("Interruptions", "huntline_interruptions_total",
          "Meetings booked over blocks, blocks moved or cancelled by someone else, tasks "
          "assigned during them."),
      row("Leaders' time", "huntline_leader_meeting_seconds_total",
          "Managers' and executives' settled meeting time by counterpart: customer, prospect, "
          "external, internal."),
  });
}

}  // namespace

int LastCompleteQuarter(Day day, const FiscalCalendar& fiscal) {
  return fiscal.QuarterOf(day) - 1;
}

std::string PersonLabel(const std::string& user_id, const PrivacyOptions& privacy) {
  if (!privacy.pseudonym_key || privacy.history_pseudonymized) return user_id;
  return metrics::Pseudonym(*privacy.pseudonym_key, user_id);
}

nlohmann::json BuildQuarterReport(const HistoryView& history, const ReportOptions& options) {
  const FiscalCalendar& fiscal = options.fiscal;
  const int q = options.quarter;
  const Day from = fiscal.QuarterStart(q), to = fiscal.QuarterEnd(q);
  const std::string label = FiscalCalendar::Label(q), previous = FiscalCalendar::Label(q - 1);
  json report = {{"report", "Huntline quarterly prospecting-culture report"},
                 {"quarter", label},
                 {"from", FormatDate(from)},
                 {"to", FormatDate(to - 1)},
                 {"previous_quarter", previous},
                 {"privacy", {{"min_group_size", options.privacy.min_group_size},
                              {"per_person", options.privacy.per_person},
                              {"pseudonymized", options.privacy.pseudonym_key.has_value() ||
                                                options.privacy.history_pseudonymized}}},
                 {"method", Method()}};
  if (history.empty() || !history.HasDataIn(from, to)) {
    report["has_data"] = false;
    report["message"] = "Huntline has no history for " + label + " (" + FormatDate(from) + " to " +
                        FormatDate(to - 1) + "): nothing was recorded in that quarter.";
    report["summary"] = json::array();
    report["teams"] = json::array();
    return report;
  }
  report["has_data"] = true;
  report["complete"] = history.last_day() >= to - 1;
  report["previous_has_data"] = history.HasDataIn(fiscal.QuarterStart(q - 1), from);
  report["organisation"] = Section(history, from, to, label, {}, options.privacy);
  const json before = Section(history, fiscal.QuarterStart(q - 1), from, previous, {}, options.privacy);

  // Teams with any figure in the quarter.
  const Snapshot end = history.At(to - 1);
  std::set<std::string> teams;
  for (const char* family : {"huntline_activities_total", "huntline_protected_seconds_total",
                             "huntline_pipeline_flow_amount_total", "huntline_prospects",
                             "huntline_meeting_seconds_total"}) {
    for (const auto& team : end.Values(family, "team")) teams.insert(team);
  }
  json team_sections = json::array();
  for (const auto& team : teams) {
    const Where where = {{"team", team}};
    json section = Section(history, from, to, label, where, options.privacy);
    section["team"] = team;
    const json team_before =
        Section(history, fiscal.QuarterStart(q - 1), from, previous, where, options.privacy);
    section["previous"] = json::object();
    section["previous"]["protected_integrity"] = team_before["protected_time"]["integrity"];
    team_sections.push_back(std::move(section));
  }
  report["previous"] = {{"protected_integrity", before["protected_time"]["integrity"]},
                        {"pipeline_created_amount", before["pipeline"]["created_amount_total"]},
                        {"hunting_share", before["behaviour"]["share"]["target_prospecting"]},
                        {"leaders_prospect_share", before["leaders"]["prospect_share"]}};
  report["summary"] = Findings(report["organisation"], before, team_sections, previous);
  report["teams"] = std::move(team_sections);
  return report;
}

}  // namespace huntline::reports
