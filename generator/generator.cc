#include "generator/generator.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

namespace huntline::generator {
namespace {

using nlohmann::json;

struct Person {
  std::string id;
  std::string role;
  std::string team;
  std::string manager;
  std::string timezone;
  int utc_offset_hours;  // working hours are placed with a fixed offset: close enough for a demo
  bool hunter = true;    // reps: hunts target accounts (true) or mostly chases inbound leads
  bool interrupts = false;  // managers: books over their reps' protected blocks
  int team_index = -1;
};

struct Acct {
  std::string id;
  std::string domain;
  std::string relationship;
  std::string owner;
  std::string tier;
  std::vector<std::string> target_of;
  std::vector<std::string> contacts;
};

struct Opp {
  std::string id;
  std::string account;
  std::string owner;
  std::string type;
  std::string origin;
  int stage = 0;  // index into kStages
  double amount = 0;
  Day close_date = 0;
  std::string created_at;
  bool priority = false;
  bool slipper = false;  // a reactive deal that keeps being pushed out
  bool open = true;
};

struct LeadRow {
  std::string id;
  std::string account;  // empty: no account yet
  std::string owner;
  std::string source;
  std::string status;
};

constexpr const char* kStages[] = {"prospecting", "discovery", "solution", "proposal",
                                   "negotiation", "closed_won", "closed_lost"};
constexpr const char* kLossReasons[] = {"competitor", "no_decision", "price", "timing", "other"};

}  // namespace

struct Generator::State {
  std::mt19937_64 rng;
  std::vector<Person> people;
  std::vector<Acct> accounts;
  std::map<std::string, size_t> account_index;
  std::vector<Opp> opps;
  std::vector<LeadRow> leads;
  std::vector<Generated> day;      // the current day's events
  std::vector<Generated> pending;  // generated, held back until nothing earlier can come
  // Indexes, so a day costs time in proportion to its events, not to the org's size.
  std::map<std::string, size_t> person_index;
  std::map<std::string, std::vector<size_t>> hunting_grounds;  // person → accounts they prospect
  std::vector<std::vector<size_t>> team_accounts;              // team → non-customer accounts
  std::vector<size_t> customers;
  std::vector<size_t> prospect_pool;  // every account that is not a customer
  std::map<std::string, std::vector<size_t>> open_opps_by_owner;  // rebuilt each day
  std::map<std::string, std::vector<size_t>> open_leads_by_owner;  // rebuilt each day
  std::map<std::string, bool> account_has_open_opp;
  int64_t next_id = 0;
  int day_number = 0;
  Day first_day = 0;

  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng); }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  template <typename T>
  T& Pick(std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

  void Emit(ingest::TopicKind topic, std::string key, const char* type, Timestamp time, json data) {
    json event = {{"specversion", "1.0"},
                  {"id", "gen-" + std::to_string(++next_id)},
                  {"source", "huntline-generator"},
                  {"type", type},
                  {"time", FormatRfc3339(time)},
                  {"data", std::move(data)}};
    day.push_back({topic, std::move(key), event.dump(), time});
  }

  Person* Find(const std::string& id) {
    auto it = person_index.find(id);
    return it == person_index.end() ? nullptr : &people[it->second];
  }

  void UpsertUser(const Person& p, Timestamp t) {
    json d = {{"user_id", p.id}, {"name", p.id}, {"email", p.id + "@acme.example"},
              {"role", p.role}, {"team", p.team}, {"timezone", p.timezone}, {"active", true}};
    if (!p.manager.empty()) d["manager_id"] = p.manager;
    if (p.role == "rep") d["quarterly_quota"] = 300000;
    if (p.role == "sdr") d["quarterly_quota"] = 0;
    Emit(ingest::TopicKind::kOrg, p.id, "org.user.upserted", t, std::move(d));
  }

  void UpsertAccount(const Acct& a, Timestamp t) {
    json d = {{"account_id", a.id}, {"name", a.id}, {"domains", {a.domain}},
              {"relationship", a.relationship}, {"icp_tier", a.tier}, {"target_of", a.target_of}};
    if (!a.owner.empty()) d["owner_id"] = a.owner;
    Emit(ingest::TopicKind::kOrg, a.id, "crm.account.upserted", t, std::move(d));
  }

  void UpsertOpp(const Opp& o, Timestamp t, const char* loss_reason = nullptr) {
    json d = {{"opportunity_id", o.id}, {"account_id", o.account}, {"owner_id", o.owner},
              {"type", o.type}, {"origin", o.origin}, {"stage", kStages[o.stage]},
              {"amount", o.amount}, {"close_date", FormatDate(o.close_date)},
              {"created_at", o.created_at}, {"customer_priority", o.priority}};
    if (loss_reason) d["loss_reason"] = loss_reason;
    Emit(ingest::TopicKind::kCrm, o.account, "crm.opportunity.upserted", t, std::move(d));
  }

  void UpsertLead(const LeadRow& l, Timestamp t) {
    json d = {{"lead_id", l.id}, {"owner_id", l.owner}, {"source", l.source},
              {"status", l.status}};
    if (!l.account.empty()) d["account_id"] = l.account;
    Emit(ingest::TopicKind::kCrm, l.account.empty() ? "lead:" + l.id : l.account,
         "crm.lead.upserted", t, std::move(d));
  }

  void Activity(const Person& actor, const Acct* account, const LeadRow* lead, Timestamp t,
                const char* channel, const char* direction, const char* outcome, int duration) {
    json d = {{"activity_id", "act-" + std::to_string(next_id + 1)}, {"actor_id", actor.id},
              {"channel", channel}, {"direction", direction}, {"outcome", outcome},
              {"duration_s", duration}};
    std::string key;
    if (account) {
      d["account_id"] = account->id;
      key = account->id;
      if (!account->contacts.empty() && Uniform() < 0.8) {
        d["contact_id"] = account->contacts[static_cast<size_t>(
            Int(0, static_cast<int>(account->contacts.size()) - 1))];
      }
    }
    if (lead) {
      d["lead_id"] = lead->id;
      if (!account) key = "lead:" + lead->id;
    }
    Emit(ingest::TopicKind::kCrm, key, "crm.activity.logged", t, std::move(d));
  }
};

Generator::Generator(Options options) : options_(options), state_(std::make_unique<State>()) {
  state_->rng.seed(options_.seed);
  state_->first_day = DayOf(options_.start);
}

Generator::~Generator() = default;

Timestamp Generator::clock() const {
  return StartOfDay(state_->first_day + state_->day_number);
}

void Generator::EmitOrg(const Sink& sink) {
  State& s = *state_;
  const Timestamp t0 = StartOfDay(s.first_day) + 6 * kMillisPerHour;
  s.people.push_back({"u-exec", "executive", "leadership", "", "America/New_York", -5});
  const char* zones[][2] = {{"America/New_York", "-5"}, {"Europe/Berlin", "1"},
                            {"America/Chicago", "-6"}};
  for (int t = 0; t < options_.teams; ++t) {
    const std::string team = (t % 3 == 1 ? "emea-hunters-" : "na-hunters-") + std::to_string(t + 1);
    const auto& zone = zones[t % 3];
    const std::string manager = "u-mgr-" + std::to_string(t + 1);
    Person m{manager, "manager", team, "u-exec", zone[0], std::stoi(zone[1])};
    m.interrupts = t % 2 == 0;  // half the managers have the habit
    m.team_index = t;
    s.people.push_back(m);
    for (int r = 0; r < options_.reps_per_team; ++r) {
      Person p{"u-rep-" + std::to_string(t + 1) + "-" + std::to_string(r + 1), "rep", team, manager,
               zone[0], std::stoi(zone[1])};
      p.hunter = r % 3 != 2;  // a third of the reps mostly chase inbound leads
      p.team_index = t;
      s.people.push_back(p);
    }
    for (int r = 0; r < options_.sdrs_per_team; ++r) {
      Person p{"u-sdr-" + std::to_string(t + 1) + "-" + std::to_string(r + 1), "sdr", team, manager,
               zone[0], std::stoi(zone[1])};
      p.team_index = t;
      s.people.push_back(p);
    }
  }
  s.people.push_back({"u-am-mgr", "manager", "account-mgmt", "u-exec", "America/New_York", -5});
  for (int a = 0; a < options_.account_managers; ++a) {
    s.people.push_back({"u-am-" + std::to_string(a + 1), "account_manager", "account-mgmt",
                        "u-am-mgr", "America/New_York", -5});
  }
  for (const Person& p : s.people) s.UpsertUser(p, t0);

  // Accounts: each rep's target list, extra prospects, and the customers account managers keep.
  const char* roles[] = {"decision_maker", "budget_holder", "champion", "influencer", "user",
                         "gatekeeper"};
  auto add_account = [&](const std::string& owner, const std::string& relationship,
                         std::vector<std::string> targets) {
    Acct a;
    a.id = "a-" + std::to_string(s.accounts.size() + 1);
    a.domain = "acct" + std::to_string(s.accounts.size() + 1) + ".example";
    a.relationship = relationship;
    a.owner = owner;
    const double tier = s.Uniform();
    a.tier = tier < 0.25 ? "A" : tier < 0.6 ? "B" : tier < 0.85 ? "C" : "none";
    a.target_of = std::move(targets);
    const int contacts = s.Int(1, 4);
    for (int c = 0; c < contacts; ++c) {
      a.contacts.push_back(a.id + "-c" + std::to_string(c + 1));
    }
    s.account_index[a.id] = s.accounts.size();
    s.accounts.push_back(std::move(a));
  };
  for (const Person& p : s.people) {
    if (p.role == "rep") {
      for (int i = 0; i < options_.targets_per_rep; ++i) {
        add_account(p.id, s.Uniform() < 0.15 ? "former_customer" : "prospect", {p.id});
      }
      for (int i = 0; i < options_.targets_per_rep / 2; ++i) add_account(p.id, "prospect", {});
    } else if (p.role == "account_manager") {
      for (int i = 0; i < 12; ++i) add_account(p.id, "customer", {});
    }
  }
  for (const Acct& a : s.accounts) {
    s.UpsertAccount(a, t0);
    for (size_t c = 0; c < a.contacts.size(); ++c) {
      s.Emit(ingest::TopicKind::kOrg, a.contacts[c], "crm.contact.upserted", t0,
             {{"contact_id", a.contacts[c]}, {"account_id", a.id},
              {"email", "contact" + std::to_string(c + 1) + "@" + a.domain},
              {"buying_role", roles[s.Int(0, 5)]}});
    }
  }

  for (size_t i = 0; i < s.people.size(); ++i) s.person_index[s.people[i].id] = i;
  s.team_accounts.resize(static_cast<size_t>(options_.teams));
  for (size_t a = 0; a < s.accounts.size(); ++a) {
    const Acct& acct = s.accounts[a];
    if (acct.relationship == "customer") {
      s.customers.push_back(a);
      continue;
    }
    s.prospect_pool.push_back(a);
    const Person* owner = s.Find(acct.owner);
    if (owner && owner->team_index >= 0) s.team_accounts[static_cast<size_t>(owner->team_index)].push_back(a);
    for (const auto& t : acct.target_of) s.hunting_grounds[t].push_back(a);
  }
  for (const Person& p : s.people) {
    if (p.role != "sdr") continue;
    for (size_t a : s.team_accounts[static_cast<size_t>(p.team_index)]) {
      if (s.accounts[a].tier == "A") s.hunting_grounds[p.id].push_back(a);
    }
  }

  // Protected prospecting blocks: every rep and SDR, Tuesdays and Thursdays, 9:00–11:00 local.
  for (const Person& p : s.people) {
    if (p.role != "rep" && p.role != "sdr") continue;
    Day first = s.first_day;
    while ((first + 4) % 7 != 2) ++first;  // 1970-01-01 was a Thursday: (day+4)%7 is the weekday
    const Timestamp start = StartOfDay(first) + (9 - p.utc_offset_hours) * kMillisPerHour;
    s.Emit(ingest::TopicKind::kPeople, p.id, "calendar.event.upserted", t0,
           {{"calendar_id", p.id}, {"event_id", "blk-" + p.id}, {"organizer", p.id},
            {"attendees", json::array({{{"id_or_email", p.id}, {"response", "accepted"}}})},
            {"start", FormatRfc3339(start)}, {"end", FormatRfc3339(start + 2 * kMillisPerHour)},
            {"show_as", "busy"}, {"protected", true}, {"rrule", "FREQ=WEEKLY;BYDAY=TU,TH"},
            {"timezone", p.timezone}, {"title", "Prospecting block"}});
  }
  // Held back with the first day's events, to come out in time order with them.
  s.pending.insert(s.pending.end(), std::make_move_iterator(s.day.begin()),
                   std::make_move_iterator(s.day.end()));
  s.day.clear();
  Flush(sink, StartOfDay(s.first_day));
}

bool Generator::EmitDay(const Sink& sink) {
  State& s = *state_;
  if (options_.max_events > 0 ? emitted_ >= options_.max_events
                              : s.day_number >= options_.days) {
    return false;
  }
  const Day today = s.first_day + s.day_number;
  const int weekday = static_cast<int>((today + 4) % 7);  // 0 = Sunday
  const bool working = weekday >= 1 && weekday <= 5;
  const bool collapsed_half = s.day_number >= options_.days / 2;
  const Timestamp midnight = StartOfDay(today);
  auto at = [&](const Person& p, double local_hour) {
    return midnight + static_cast<Timestamp>((local_hour - p.utc_offset_hours) * kMillisPerHour);
  };
  // A meeting `p` organizes with a contact of account `a`, booked at 08:00 the same day.
  auto meeting_with = [&](const Person& p, const Acct& a, Timestamp start, Timestamp length,
                          const std::string& title) {
    s.Emit(ingest::TopicKind::kPeople, p.id, "calendar.event.upserted", at(p, 8.0),
           {{"calendar_id", p.id}, {"event_id", "m-" + std::to_string(s.next_id)},
            {"organizer", p.id},
            {"attendees", json::array({{{"id_or_email", p.id}, {"response", "accepted"}},
                                       {{"id_or_email", "contact1@" + a.domain},
                                        {"response", "accepted"}}})},
            {"start", FormatRfc3339(start)}, {"end", FormatRfc3339(start + length)},
            {"show_as", "busy"}, {"protected", false}, {"title", title}});
  };
  const Day quarter_end = StartOfDay(today) / kMillisPerDay + 45;

  s.open_opps_by_owner.clear();
  s.open_leads_by_owner.clear();
  s.account_has_open_opp.clear();
  for (size_t i = 0; i < s.opps.size(); ++i) {
    if (!s.opps[i].open) continue;
    s.open_opps_by_owner[s.opps[i].owner].push_back(i);
    s.account_has_open_opp[s.opps[i].account] = true;
  }
  for (size_t i = 0; i < s.leads.size(); ++i) {
    const auto& st = s.leads[i].status;
    if (st == "open" || st == "working") s.open_leads_by_owner[s.leads[i].owner].push_back(i);
  }

  if (working && options_.teams > 1 && s.day_number > 0 && s.day_number % 23 == 0) {
    // Now and then a rep moves to another team (their target list goes with them).
    std::vector<size_t> reps;
    for (size_t i = 0; i < s.people.size(); ++i) {
      if (s.people[i].role == "rep") reps.push_back(i);
    }
    if (!reps.empty()) {
      Person& p = s.people[s.Pick(reps)];
      const int to = (p.team_index + 1 + s.Int(0, options_.teams - 2)) % options_.teams;
      for (const Person& m : s.people) {
        if (m.role == "manager" && m.team_index == to) {
          p.team = m.team;
          p.manager = m.id;
        }
      }
      p.team_index = to;
      s.UpsertUser(p, midnight + 7 * kMillisPerHour);
    }
  }

  if (working) {
    // New inbound leads: a couple a day per team, owned by the reps who chase them or an SDR.
    for (int t = 0; t < options_.teams; ++t) {
      const int n = s.Int(0, 2);
      for (int i = 0; i < n; ++i) {
        std::vector<const Person*> owners;
        for (const Person& p : s.people) {
          if (p.team_index == t && (p.role == "sdr" || (p.role == "rep" && !p.hunter))) {
            owners.push_back(&p);
          }
        }
        if (owners.empty()) break;
        const Person& owner = *owners[static_cast<size_t>(s.Int(0, static_cast<int>(owners.size()) - 1))];
        LeadRow l;
        l.id = "l-" + std::to_string(s.leads.size() + 1);
        const double src = s.Uniform();
        l.source = src < 0.55 ? "inbound" : src < 0.7 ? "rfp" : src < 0.85 ? "event" : "referral";
        l.status = "open";
        l.owner = owner.id;
        const auto& candidates = s.team_accounts[static_cast<size_t>(t)];
        if (s.Uniform() < 0.6) {
          // An account owned by someone on the team.
          if (!candidates.empty()) {
            l.account = s.accounts[candidates[static_cast<size_t>(
                                       s.Int(0, static_cast<int>(candidates.size()) - 1))]]
                            .id;
          }
        }
        s.UpsertLead(l, at(owner, s.Uniform() * 8 + 8));
        s.open_leads_by_owner[l.owner].push_back(s.leads.size());
        s.leads.push_back(l);
      }
    }

    for (Person& p : s.people) {
      if (p.role == "executive") continue;
      const int n = p.role == "manager" ? s.Int(0, 3) : s.Int(6, 14);
      for (int i = 0; i < n; ++i) {
        const Timestamp t = at(p, 8.5 + s.Uniform() * 8.5);
        const double u = s.Uniform();
        const double r = s.Uniform();
        const char* outcome = r < 0.55 ? "no_response" : r < 0.75 ? "connected"
                              : r < 0.85 ? "meeting_booked" : r < 0.93 ? "not_interested"
                              : r < 0.97 ? "referral" : "disqualified";
        if (p.role == "account_manager" || p.role == "manager") {
          if (s.customers.empty()) continue;
          Acct& a = s.accounts[s.Pick(s.customers)];
          s.Activity(p, &a, nullptr, t, u < 0.5 ? "call" : "email", u < 0.8 ? "outbound" : "inbound",
                     r < 0.5 ? "connected" : "no_response", s.Int(60, 1800));
          continue;
        }
        // Reps and SDRs: open deals first for reps, then their prospecting style.
        auto& mine = s.open_opps_by_owner[p.id];
        if (p.role == "rep" && !mine.empty() && u < 0.35) {
          Opp& o = s.opps[s.Pick(mine)];
          s.Activity(p, &s.accounts[s.account_index[o.account]], nullptr, t,
                     u < 0.2 ? "meeting" : "email", "outbound", r < 0.6 ? "connected" : "no_response",
                     s.Int(300, 3600));
          continue;
        }
        const bool hunt = p.role == "sdr" ? u < 0.7 : (p.hunter ? u < 0.85 : u < 0.25);
        if (hunt) {
          auto& targets = s.hunting_grounds[p.id];
          if (targets.empty()) continue;
          Acct& a = s.accounts[s.Pick(targets)];
          s.Activity(p, &a, nullptr, t, u < 0.4 ? "call" : u < 0.75 ? "email" : "social", "outbound",
                     outcome, s.Int(30, 900));
          // A booked meeting with no deal yet may become a seller-sourced opportunity.
          const bool collapsed = p.team_index == options_.collapse_team && collapsed_half;
          if (std::string_view(outcome) == "meeting_booked" && !collapsed && s.Uniform() < 0.35) {
            if (!s.account_has_open_opp[a.id]) {
              Opp o;
              o.id = "o-" + std::to_string(s.opps.size() + 1);
              o.account = a.id;
              o.owner = a.owner.empty() ? p.id : a.owner;
              o.type = a.relationship == "former_customer" && s.Uniform() < 0.3 ? "expansion" : "new_business";
              o.origin = "seller_sourced";
              o.amount = 10000.0 * s.Int(2, 30);
              o.close_date = quarter_end + s.Int(0, 60);
              o.created_at = FormatRfc3339(t + kMillisPerMinute);
              o.priority = s.Uniform() < 0.4;
              o.slipper = !o.priority && s.Uniform() < 0.3;
              s.UpsertOpp(o, t + kMillisPerMinute);
              s.account_has_open_opp[a.id] = true;
              s.opps.push_back(o);
            }
          }
        } else {
          auto& open_leads = s.open_leads_by_owner[p.id];
          if (open_leads.empty()) continue;
          LeadRow& l = s.leads[s.Pick(open_leads)];
          // Often the CRM logs the activity on the lead alone, even when the lead has an account.
          const Acct* a = l.account.empty() || s.Uniform() < 0.4
                              ? nullptr
                              : &s.accounts[s.account_index[l.account]];
          s.Activity(p, a, &l, t, u < 0.5 ? "call" : "email", u < 0.9 ? "outbound" : "inbound",
                     outcome, s.Int(30, 900));
          const double next = s.Uniform();
          const char* status = next < 0.3 ? "working" : next < 0.4 ? "qualified" : next < 0.5 ? "nurture"
                               : next < 0.6 ? "disqualified" : nullptr;
          if (status) {
            l.status = status;
            // A lead worked without an account is matched to one now and then.
            const auto& team_accounts = s.team_accounts[static_cast<size_t>(std::max(0, p.team_index))];
            if (l.account.empty() && !team_accounts.empty() && s.Uniform() < 0.3) {
              l.account = s.accounts[team_accounts[static_cast<size_t>(
                                         s.Int(0, static_cast<int>(team_accounts.size()) - 1))]]
                              .id;
            }
            s.UpsertLead(l, t + kMillisPerMinute);
            // Qualified inbound leads become inbound opportunities on their account.
            if (l.status == std::string("qualified") && !l.account.empty()) {
              const bool collapsed = p.team_index == options_.collapse_team && collapsed_half;
              Opp o;
              o.id = "o-" + std::to_string(s.opps.size() + 1);
              o.account = l.account;
              o.owner = s.accounts[s.account_index[l.account]].owner;
              o.type = "new_business";
              o.origin = l.source == "rfp" ? "rfp" : "inbound";
              o.amount = 10000.0 * s.Int(1, 15);
              o.close_date = quarter_end + s.Int(-30, 30);
              o.created_at = FormatRfc3339(t + 2 * kMillisPerMinute);
              o.slipper = s.Uniform() < 0.5;
              if (!collapsed || s.Uniform() < 0.3) {
                s.UpsertOpp(o, t + 2 * kMillisPerMinute);
                s.opps.push_back(o);
              }
            }
          }
        }
      }
    }

    // Deals move: stages advance, reactive deals slip quarter after quarter, some close.
    for (Opp& o : s.opps) {
      if (!o.open) continue;
      const Person* owner = s.Find(o.owner);
      if (!owner) continue;
      const Timestamp t = at(*owner, 17.5);
      const double u = s.Uniform();
      // Slippers push their close date into the next quarter as it comes near, again and again;
      // other deals now and then move it a few weeks.
      const double v = s.Uniform();
      if ((o.slipper && o.close_date - today < 10 && v < 0.3) || v < 0.004) {
        o.close_date = std::max(o.close_date, today) + (o.slipper ? s.Int(30, 80) : s.Int(5, 30));
        s.UpsertOpp(o, t);
        continue;
      }
      if (u > 0.998 && owner->team_index >= 0 &&
          !s.team_accounts[static_cast<size_t>(owner->team_index)].empty()) {
        // Logged on the wrong account: moved to another of the team's.
        const auto& candidates = s.team_accounts[static_cast<size_t>(owner->team_index)];
        const std::string& to = s.accounts[candidates[static_cast<size_t>(
                                               s.Int(0, static_cast<int>(candidates.size()) - 1))]]
                                    .id;
        if (to != o.account && !s.account_has_open_opp[to]) {
          s.account_has_open_opp[o.account] = false;
          o.account = to;
          s.account_has_open_opp[to] = true;
          s.UpsertOpp(o, t);
          continue;
        }
      }
      if (o.stage == 4 && u < 0.08) {
        const bool won = s.Uniform() < (o.priority ? 0.6 : 0.35);
        o.stage = won ? 5 : 6;
        o.open = false;
        s.UpsertOpp(o, t, won ? nullptr : kLossReasons[s.Int(0, 4)]);
        Acct& account = s.accounts[s.account_index[o.account]];
        if (won && o.type == "new_business" && account.relationship != "customer" &&
            s.Uniform() < 0.6) {
          // The prospect becomes a customer the next morning.
          account.relationship = "customer";
          s.UpsertAccount(account, t + 15 * kMillisPerHour);
          s.customers.push_back(s.account_index[o.account]);
        }
      } else if (o.stage < 4 && u < 0.06) {
        ++o.stage;
        s.UpsertOpp(o, t);
      } else if (o.stage < 2 && u > 0.995) {
        o.stage = 6;
        o.open = false;
        s.UpsertOpp(o, t, "no_decision");
      }
    }

    // Calendars: managers who book over Tuesday/Thursday blocks (or cancel and move them),
    // customer meetings, fire-drills.
    const bool block_day = weekday == 2 || weekday == 4;
    std::vector<std::string> account_managers;
    for (const Person& p : s.people) {
      if (p.role == "account_manager") account_managers.push_back(p.id);
    }
    for (const Person& p : s.people) {
      if (p.role != "rep" && p.role != "sdr") continue;
      const Person* manager = s.Find(p.manager);
      if (block_day && manager && manager->interrupts && s.Uniform() < 0.35) {
        const Timestamp start = at(p, 9.5);
        s.Emit(ingest::TopicKind::kPeople, p.id, "calendar.event.upserted", at(p, 7.5),
               {{"calendar_id", p.id}, {"event_id", "m-" + std::to_string(s.next_id)},
                {"organizer", manager->id},
                {"attendees", json::array({{{"id_or_email", p.id}, {"response", "accepted"}},
                                           {{"id_or_email", manager->id}, {"response", "accepted"}}})},
                {"start", FormatRfc3339(start)}, {"end", FormatRfc3339(start + 30 * kMillisPerMinute)},
                {"show_as", "busy"}, {"protected", false}, {"title", "Quick forecast sync"}});
      }
      if (block_day && manager && manager->interrupts) {
        // Some managers also take the block away: cancel today's occurrence, or move it an
        // hour later, the evening before.
        const double u = s.Uniform();
        const std::string original = FormatRfc3339(at(p, 9.0));
        if (u < 0.04) {
          s.Emit(ingest::TopicKind::kPeople, p.id, "calendar.event.cancelled", at(p, -3.0),
                 {{"calendar_id", p.id}, {"event_id", "blk-" + p.id}, {"original_start", original},
                  {"cancelled_by", manager->id}});
        } else if (u < 0.08) {
          s.Emit(ingest::TopicKind::kPeople, p.id, "calendar.event.upserted", at(p, -3.0),
                 {{"calendar_id", p.id}, {"event_id", "blk-" + p.id + "-" + FormatDate(today)},
                  {"series_id", "blk-" + p.id}, {"original_start", original}, {"organizer", p.id},
                  {"attendees", json::array({{{"id_or_email", p.id}, {"response", "accepted"}}})},
                  {"start", FormatRfc3339(at(p, 10.0))}, {"end", FormatRfc3339(at(p, 11.0))},
                  {"show_as", "busy"}, {"protected", true}, {"updated_by", manager->id},
                  {"title", "Prospecting block"}});
        }
      }
      if (block_day && !account_managers.empty() && s.Uniform() < 0.05) {
        // A customer fire-drill from an account manager, in the middle of the block.
        s.Emit(ingest::TopicKind::kPeople, p.id, "crm.task.assigned", at(p, 10.0),
               {{"task_id", "t-" + std::to_string(s.next_id)}, {"assignee_id", p.id},
                {"assigned_by", s.Pick(account_managers)}, {"kind", "customer_issue"},
                {"effort_minutes", s.Int(30, 90)}});
      }
      if (block_day && manager && manager->interrupts && s.Uniform() < 0.15) {
        s.Emit(ingest::TopicKind::kPeople, p.id, "crm.task.assigned", at(p, 9.25),
               {{"task_id", "t-" + std::to_string(s.next_id)}, {"assignee_id", p.id},
                {"assigned_by", manager->id}, {"kind", "customer_issue"},
                {"effort_minutes", s.Int(15, 60)}});
      }
      if (s.Uniform() < 0.3) {
        const Acct& a = s.Pick(s.accounts);
        // Mostly afternoons; now and then booked into the seller's own block.
        const Timestamp start =
            block_day && s.Uniform() < 0.1 ? at(p, 10.0) : at(p, 13 + s.Int(0, 3));
        meeting_with(p, a, start, 45 * kMillisPerMinute, "Call with " + a.id);
      }
    }
  }

  // Where leaders spend their time: some meet prospects, most mostly customers and their own.
  if (working) {
    for (const Person& p : s.people) {
      if (p.role != "manager" && p.role != "executive") continue;
      const bool seeks_prospects = p.interrupts ? s.Uniform() < 0.1 : s.Uniform() < 0.4;
      std::vector<size_t>& pool = seeks_prospects || s.customers.empty() ? s.prospect_pool : s.customers;
      if (pool.empty()) continue;
      const Acct& a = s.accounts[s.Pick(pool)];
      const Timestamp start = at(p, 14 + s.Int(0, 2));
      meeting_with(p, a, start, kMillisPerHour, "Meeting with " + a.id);
    }
  }

  // A day's events reach from the evening before (a block moved overnight) to the next morning
  // (an account updated after a deal is won), so they are held back until no later day can
  // make an earlier one: the stream comes out in event-time order, as CRMs publish changes.
  s.pending.insert(s.pending.end(), std::make_move_iterator(s.day.begin()),
                   std::make_move_iterator(s.day.end()));
  s.day.clear();
  Flush(sink, StartOfDay(today));
  ++s.day_number;
  return true;
}

void Generator::Flush(const Sink& sink, Timestamp before) {
  auto& pending = state_->pending;
  std::stable_sort(pending.begin(), pending.end(),
                   [](const Generated& a, const Generated& b) { return a.time < b.time; });
  size_t n = 0;
  for (; n < pending.size() && pending[n].time < before; ++n) {
    if (options_.max_events > 0 && emitted_ >= options_.max_events) continue;
    sink(pending[n]);
    ++emitted_;
  }
  pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
}

void Generator::EmitAll(const Sink& sink) {
  EmitOrg(sink);
  while (EmitDay(sink)) {
  }
  Flush(sink, INT64_MAX);
}

}  // namespace huntline::generator
