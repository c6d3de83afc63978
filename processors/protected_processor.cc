#include "processors/protected_processor.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "calendar/recurrence.h"
#include "storage/codec.h"

namespace huntline::processors {
namespace {

constexpr char kSep = '\x1f';
/// How far around the moments of interest occurrences are looked at: longer than any block
/// or meeting that can cover one.
constexpr Timestamp kReach = 2 * kMillisPerDay;
/// Settled single events and tasks are forgotten this long after they ended.
constexpr Timestamp kRetention = 8 * kMillisPerDay;
/// How far back a change is checked for touching settled figures.
constexpr Timestamp kLateLookBack = 90 * kMillisPerDay;

bool SameAddress(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

/// A person as meetings and tasks name them: by user id or by email.
struct Who {
  std::string_view id;
  std::string_view email;
  bool Is(std::string_view id_or_email) const {
    return id_or_email == id || (!email.empty() && SameAddress(id_or_email, email));
  }
};

/// The management chain of a person at this moment: their manager, that manager's, and so on.
struct Chain {
  std::vector<Who> people;
  bool Contains(std::string_view id_or_email) const {
    for (const Who& w : people) {
      if (w.Is(id_or_email)) return true;
    }
    return false;
  }
};

Chain ChainOf(std::string_view person, const OrgView& org) {
  Chain chain;
  std::set<std::string_view> seen = {person};
  const User* user = org.FindUser(person);
  while (user && user->data.manager_id && seen.insert(*user->data.manager_id).second) {
    const std::string& manager = *user->data.manager_id;
    user = org.FindUser(manager);
    chain.people.push_back({manager, user ? std::string_view(user->data.email) : std::string_view()});
  }
  return chain;
}

/// The participants of a meeting: its attendees and its organizer.
template <typename Visit>
void ForEachParticipant(const ingest::CalendarEventUpserted& m, Visit visit) {
  visit(std::string_view(m.organizer));
  for (const auto& a : m.attendees) visit(std::string_view(a.id_or_email));
}

bool HasCustomerDomain(const ingest::CalendarEventUpserted& m, const OrgView& org) {
  bool customer = false;
  ForEachParticipant(m, [&](std::string_view who) {
    const std::string domain = EmailDomain(who);
    if (!domain.empty() && org.KindOfDomain(domain) == OrgView::DomainKind::kCustomer) {
      customer = true;
    }
  });
  return customer;
}

std::string_view Counterpart(const ingest::CalendarEventUpserted& m, const OrgView& org,
                             const Settings& settings) {
  bool customer = false, prospect = false, external = false;
  ForEachParticipant(m, [&](std::string_view who) {
    const std::string domain = EmailDomain(who);
    if (domain.empty()) return;  // a user id: internal
    switch (org.KindOfDomain(domain)) {
      case OrgView::DomainKind::kCustomer:
        customer = true;
        return;
      case OrgView::DomainKind::kAccount:
        prospect = true;
        return;
      case OrgView::DomainKind::kNone:
        break;
    }
    const bool own = settings.company_domains.empty()
                         ? org.IsUserDomain(domain)
                         : std::find(settings.company_domains.begin(),
                                     settings.company_domains.end(),
                                     domain) != settings.company_domains.end();
    if (!own) external = true;
  });
  return customer ? "customer" : prospect ? "prospect" : external ? "external" : "internal";
}

bool DeclinedBy(const ingest::CalendarEventUpserted& m, const Who& owner) {
  for (const auto& a : m.attendees) {
    if (a.response == ingest::Response::kDeclined && owner.Is(a.id_or_email)) return true;
  }
  return false;
}

bool IsMeeting(const ingest::CalendarEventUpserted& m, const Who& owner) {
  return m.show_as != ingest::ShowAs::kFree && !m.is_protected && !DeclinedBy(m, owner);
}

Cause MeetingCause(const ingest::CalendarEventUpserted& m, const Who& owner, const Chain& chain,
                   const OrgView& org) {
  if (chain.Contains(m.organizer)) return Cause::kManagerMeeting;
  if (HasCustomerDomain(m, org)) return Cause::kCustomerMeeting;
  if (owner.Is(m.organizer)) return Cause::kSelfScheduled;
  return Cause::kOtherMeeting;
}

Cause TaskCause(const ingest::TaskAssigned& t, const Chain& chain) {
  if (chain.Contains(t.assigned_by)) return Cause::kManagerTask;
  if (t.kind == ingest::TaskKind::kCustomerIssue) return Cause::kCustomerIssueTask;
  return Cause::kOtherTask;
}

double Seconds(Timestamp ms) { return static_cast<double>(ms) / kMillisPerSecond; }

std::string PolicyEntity(const ProtectedTimePolicy& policy) { return "policy:" + policy.name; }

bool InPolicy(const ProtectedTimePolicy& policy, std::string_view team) {
  return std::find(policy.teams.begin(), policy.teams.end(), team) != policy.teams.end();
}

}  // namespace

ProtectedTimeProcessor::Families ProtectedTimeProcessor::Declare(metrics::Catalog& catalog) {
  using metrics::Kind;
  Families f;
  f.protected_seconds = catalog.Declare(
      {"huntline_protected_seconds_total",
       "Protected prospecting time of settled blocks (their reference length), by owner",
       Kind::kCounter,
       {"team", "rep"}});
  f.lost_seconds = catalog.Declare(
      {"huntline_protected_lost_seconds_total",
       "Protected prospecting time lost, each second to exactly one cause, by owner",
       Kind::kCounter,
       {"team", "rep", "cause"}});
  f.interruptions = catalog.Declare({"huntline_interruptions_total",
                                     "Interruptions of protected prospecting time, by cause",
                                     Kind::kCounter,
                                     {"team", "cause"}});
  f.manager_interruptions = catalog.Declare(
      {"huntline_manager_interruptions_total",
       "Interruptions of protected time by someone in the owner's management chain",
       Kind::kCounter,
       {"team", "interrupter"}});
  f.manager_interruption_seconds = catalog.Declare(
      {"huntline_manager_interruption_seconds_total",
       "Protected seconds taken by interruptions from the owner's management chain",
       Kind::kCounter,
       {"team", "interrupter"}});
  f.conflicts_upcoming = catalog.Declare(
      {"huntline_protected_conflicts_upcoming",
       "Protected blocks starting within 14 days that already lose time, by the main cause",
       Kind::kGauge,
       {"team", "cause"}});
  f.meeting_seconds = catalog.Declare(
      {"huntline_meeting_seconds_total",
       "Settled meeting time in each person's calendar, by role and counterpart (customer, "
       "prospect, external, internal)",
       Kind::kCounter,
       {"team", "role", "counterpart"}});
  f.leader_meeting_seconds = catalog.Declare(
      {"huntline_leader_meeting_seconds_total",
       "Settled meeting time of managers and executives, per leader and counterpart",
       Kind::kCounter,
       {"team", "leader", "counterpart"}});
  return f;
}

ProtectedTimeProcessor::Person& ProtectedTimeProcessor::PersonOf(const std::string& id) {
  return persons_[id];
}

void ProtectedTimeProcessor::Process(const ingest::Event& event, ProcessorContext& context) {
  std::string person;
  std::optional<Timestamp> probe;
  Timestamp touched = event.time;  // the earliest moment the event is about
  switch (event.type) {
    case ingest::EventType::kCalendarEventUpserted: {
      const auto& d = event.As<ingest::CalendarEventUpserted>();
      person = d.calendar_id;
      touched = std::min(d.start, d.original_start.value_or(d.start));
      if (PersonOf(person).calendar.Upsert(d, event.time, context.seq) ==
          PersonCalendar::Change::kStale) {
        context.stale = true;
        return;
      }
      break;
    }
    case ingest::EventType::kCalendarEventCancelled: {
      const auto& d = event.As<ingest::CalendarEventCancelled>();
      person = d.calendar_id;
      if (d.original_start) touched = *d.original_start;
      PersonOf(person).calendar.Cancel(d, context.seq);
      break;
    }
    case ingest::EventType::kTaskAssigned: {
      const auto& d = event.As<ingest::TaskAssigned>();
      person = d.assignee_id;
      PersonOf(person).calendar.AddTask(d, event.time);
      probe = touched = event.time;
      break;
    }
    default:
      return;
  }
  if (context.now == kNoTime) {
    // Engine time is not known yet (a partition has delivered nothing): nothing can have
    // settled. The person is looked at, from what this event touches on, once it is.
    timers_.Set(person, kNoTime + 1);
    known_from_ = std::min(known_from_, touched);
    meta_dirty_ = true;
    return;
  }
  if (last_now_ == kNoTime) {
    last_now_ = context.now;  // nothing settled before this moment
    meta_dirty_ = true;
  }
  // Look back as far as the event reaches (a bounded way), so that a change to something that
  // has already settled is seen, marked settled and counted late.
  const Timestamp reach = std::clamp(touched, context.now - kLateLookBack, context.now);
  if (Refresh(person, context, context.now, probe, reach)) context.late = true;
}

void ProtectedTimeProcessor::OnTime(ProcessorContext& context) {
  if (last_now_ == kNoTime || resume_pending_) {
    if (last_now_ == kNoTime) {
      last_now_ = known_from_ == INT64_MAX
                      ? context.now
                      : std::clamp(known_from_ - 1, context.now - kLateLookBack, context.now);
    }
    resume_pending_ = false;
    AdoptPolicyMembers(context);
    for (auto& [id, person] : persons_) Refresh(id, context, last_now_);
  }
  for (const std::string& id : timers_.PopDue(context.now)) Refresh(id, context, last_now_);
  last_now_ = context.now;
  meta_dirty_ = true;
}

void ProtectedTimeProcessor::OnOrgChange(const OrgChange& change, ProcessorContext& context) {
  if (context.now == kNoTime || last_now_ == kNoTime) return;
  // What changed is read from the tables themselves (the snapshot against the one in force just
  // before it), so a task restored or started later decides as one that saw every change.
  const OrgView then = context.org.At(change.time);
  const OrgView before = context.org.At(change.time - 1);
  if (change.type == ingest::EventType::kUserUpserted) {
    const User* user = then.FindUser(change.id);
    if (!user) return;
    const User* was = before.FindUser(change.id);
    if ((was ? was->data.manager_id : std::nullopt) != user->data.manager_id) {
      RefreshWithConflicts(context);  // everyone below this person has a new chain
    }
    bool policy_member = false;
    for (const auto& policy : context.settings.policies) {
      if (InPolicy(policy, user->data.team)) policy_member = true;
    }
    if (persons_.contains(change.id) || (policy_member && context.partitioning.Owns(change.id))) {
      Refresh(change.id, context, context.now);
    }
  } else if (change.type == ingest::EventType::kAccountUpserted) {
    auto customer_domains = [](const std::shared_ptr<const Account>& account) {
      std::vector<std::string> domains;
      if (account && account->data.relationship == ingest::Relationship::kCustomer) {
        domains = account->email_domains;
      }
      return domains;
    };
    if (customer_domains(then.FindAccount(change.id)) !=
        customer_domains(before.FindAccount(change.id))) {
      RefreshWithConflicts(context);
    }
  }
}

void ProtectedTimeProcessor::RefreshWithConflicts(ProcessorContext& context) {
  std::vector<std::string> ids;
  for (const auto& [id, person] : persons_) {
    if (!person.upcoming.empty()) ids.push_back(id);
  }
  for (const auto& id : ids) Refresh(id, context, context.now);
}

void ProtectedTimeProcessor::AdoptPolicyMembers(ProcessorContext& context) {
  if (context.settings.policies.empty()) return;
  context.org.ForEachUser([&](const std::string& id, const User& user) {
    for (const auto& policy : context.settings.policies) {
      if (InPolicy(policy, user.data.team) && context.partitioning.Owns(id)) PersonOf(id);
    }
  });
}

void ProtectedTimeProcessor::Resume(ProcessorContext& context) {
  if (context.now == kNoTime) {
    resume_pending_ = last_now_ != kNoTime;
    return;
  }
  if (last_now_ == kNoTime) last_now_ = context.now;
  AdoptPolicyMembers(context);
  for (auto& [id, person] : persons_) Refresh(id, context, last_now_);
  last_now_ = std::max(last_now_, context.now);
  meta_dirty_ = true;
}

bool ProtectedTimeProcessor::Refresh(const std::string& person_id, ProcessorContext& context,
                                     Timestamp settle_after, std::optional<Timestamp> probe,
                                     Timestamp reach) {
  const Settings& settings = context.settings;
  const Timestamp now = std::max(context.now, settle_after);
  const OrgView org = context.org.At(now);
  const Timestamp lateness = settings.allowed_lateness;
  const Timestamp upcoming = Settings::Days(settings.upcoming_conflict_days);
  Person& person = PersonOf(person_id);
  PersonCalendar& calendar = person.calendar;

  const User* user = org.FindUser(person_id);
  const std::string timezone = user ? user->data.timezone : "UTC";
  const Who owner{person_id, user ? std::string_view(user->data.email) : std::string_view()};
  // The person's chain, team and role as of a time: now for upcoming conflicts, the settlement
  // moment for what settles (metrics.md, "As of a time").
  struct Standing {
    OrgView org;
    Chain chain;
    std::string team;
    std::string role;
    bool leader = false;
  };
  std::map<Timestamp, Standing> standings;
  auto standing_at = [&](Timestamp t) -> const Standing& {
    auto [it, inserted] = standings.try_emplace(t, Standing{org.At(t), {}, {}, {}, false});
    if (inserted) {
      Standing& st = it->second;
      st.chain = ChainOf(person_id, st.org);
      st.team = st.org.TeamOf(person_id);
      st.role = st.org.RoleOf(person_id);
      st.leader = st.role == "manager" || st.role == "executive";
    }
    return it->second;
  };
  const std::string team = standing_at(now).team;

  const Timestamp from = std::min({settle_after, now, reach}) - lateness - kReach;
  const Timestamp to = now + upcoming + kReach;
  std::vector<Occurrence> occurrences = calendar.Occurrences(person_id, timezone, from, to);

  // Blocks from the team's policies: the owner's own reference, never changed by anyone.
  for (const auto& policy : settings.policies) {
    if (!InPolicy(policy, team)) continue;
    const calendar::LocalDate since_date{static_cast<int>(CivilFromDays(policy.since).year),
                                         static_cast<int>(CivilFromDays(policy.since).month),
                                         static_cast<int>(CivilFromDays(policy.since).day)};
    auto& expansion = person.policy_expansions[policy.name + '\x1f' + timezone];
    if (!expansion) {
      expansion = std::make_unique<calendar::Expansion>(calendar::Recurrence{
          policy.rule, calendar::AtLocalTime(since_date, policy.start_minute, timezone), timezone, {}});
    }
    const Timestamp length = static_cast<Timestamp>(policy.end_minute - policy.start_minute) *
                             kMillisPerMinute;
    calendar::LocalDate previous{};
    int order = 0;
    for (const auto& instance : expansion->Window(from, to)) {
      order = instance.date == previous ? order + 1 : 0;
      previous = instance.date;
      const Placement p{instance.start, instance.start + length, nullptr};
      occurrences.push_back({PolicyEntity(policy), {instance.date, order}, p, p, person_id});
    }
  }

  std::vector<const Occurrence*> meeting_occurrences;
  for (const Occurrence& o : occurrences) {
    if (!o.current || !o.current->version || !IsMeeting(*o.current->version, owner)) continue;
    meeting_occurrences.push_back(&o);
  }

  // Causes depend on the chain and the accounts' relationships as of `st`.
  auto figures_of = [&](const Occurrence& block, const Standing& st) {
    const Span ref{block.reference->start, block.reference->end};
    BlockInput input{ref, std::nullopt, block.author,
                     st.chain.Contains(block.author) ? Cause::kManagerCancelled : Cause::kOtherCancelled};
    if (block.current) input.current = Span{block.current->start, block.current->end};
    std::vector<MeetingInput> covering;
    for (const Occurrence* m : meeting_occurrences) {
      if (m->entity_id == block.entity_id && m->key == block.key) continue;  // the block itself
      if (m->current->start < ref.end && m->current->end > ref.start) {
        covering.push_back({{m->current->start, m->current->end},
                            MeetingCause(*m->current->version, owner, st.chain, st.org),
                            m->current->version->organizer,
                            m->entity_id});
      }
    }
    std::vector<TaskInput> tasks;
    for (const auto& [id, task] : calendar.tasks()) {
      const auto effort = static_cast<Timestamp>(task.data.effort_minutes.value_or(0) *
                                                 static_cast<double>(kMillisPerMinute));
      tasks.push_back({task.time, std::max<Timestamp>(0, effort), TaskCause(task.data, st.chain),
                       task.data.assigned_by, task.data.task_id});
    }
    return Attribute(input, covering, tasks);
  };

  bool late = false;
  Timestamp wake = now + kMillisPerDay;  // at least daily, to expand series further
  auto wake_at = [&](Timestamp t) {
    if (t > now) wake = std::min(wake, t);
  };
  // Whether an occurrence settles now: its moment is in (settle_after, now] and it has not
  // settled before. One that should have settled earlier and never did arrived late.
  auto settles = [&](const Occurrence& o, Timestamp moment, uint8_t bit) {
    if (moment > now) {
      wake_at(moment);
      return false;
    }
    auto& entity = calendar.entities()[o.entity_id];
    uint8_t& bits = entity.settled[o.key];
    if (bits & bit) return false;
    bits |= bit;
    calendar.MarkDirty(o.entity_id);
    if (moment > settle_after) return true;
    late = true;
    return false;
  };

  std::map<std::pair<std::string, Cause>, int> conflicts;
  for (const Occurrence& o : occurrences) {
    const bool is_block = o.reference && (!o.reference->version || o.reference->version->is_protected);
    if (!is_block) continue;
    const Timestamp start = o.reference->start;
    if (probe && *probe >= start && *probe < o.reference->end && o.reference->end + lateness <= now) {
      late = true;
    }
    if (settles(o, o.reference->end + lateness, CalendarEntity::kBlockSettled)) {
      const Standing& st = standing_at(o.reference->end + lateness);
      const std::string& team = st.team;
      const BlockFigures f = figures_of(o, st);
      auto& shard = context.metrics;
      shard.Add(families_.protected_seconds, {team, person_id}, Seconds(f.protected_ms));
      for (size_t c = 0; c < kCauseCount; ++c) {
        if (f.lost[c] > 0) {
          shard.Add(families_.lost_seconds, {team, person_id, kCauseNames[c]}, Seconds(f.lost[c]));
        }
      }
      for (const Interruption& i : f.interruptions) {
        shard.Add(families_.interruptions, {team, kCauseNames[static_cast<size_t>(i.cause)]}, 1);
        if (IsManagerCause(i.cause)) {
          shard.Add(families_.manager_interruptions, {team, i.interrupter}, 1);
          shard.Add(families_.manager_interruption_seconds, {team, i.interrupter}, Seconds(i.lost));
        }
      }
    }
    if (start > now && start <= now + upcoming) {
      if (auto cause = figures_of(o, standing_at(now)).main_cause()) ++conflicts[{team, *cause}];
    }
    wake_at(start - upcoming);
    wake_at(start);
  }

  for (const Occurrence* o : meeting_occurrences) {
    if (!settles(*o, o->current->end + lateness, CalendarEntity::kMeetingSettled)) continue;
    const Standing& st = standing_at(o->current->end + lateness);
    const double seconds = Seconds(o->current->end - o->current->start);
    const std::string_view counterpart = Counterpart(*o->current->version, st.org, settings);
    context.metrics.Add(families_.meeting_seconds, {st.team, st.role, counterpart}, seconds);
    if (st.leader) {
      context.metrics.Add(families_.leader_meeting_seconds, {st.team, person_id, counterpart}, seconds);
    }
  }

  // Upcoming conflicts: take back what this person added, add what holds now.
  for (const auto& [key, count] : person.upcoming) {
    context.metrics.Add(families_.conflicts_upcoming,
                        {key.first, kCauseNames[static_cast<size_t>(key.second)]}, -count);
  }
  for (const auto& [key, count] : conflicts) {
    context.metrics.Add(families_.conflicts_upcoming,
                        {key.first, kCauseNames[static_cast<size_t>(key.second)]}, count);
  }
  person.upcoming = std::move(conflicts);

  if (settle_after < now) {
    // Settled marks are kept longer than any change is looked back for (kLateLookBack).
    for (const std::string& gone :
         calendar.Prune(now - lateness - kRetention, now - kLateLookBack - 10 * kMillisPerDay)) {
      deleted_.push_back(gone.substr(0, 2) + person_id + kSep + gone.substr(2));
    }
  }
  timers_.Set(person_id, wake);
  return late;
}

void ProtectedTimeProcessor::Flush(
    const std::function<void(std::string_view, std::string_view)>& put) {
  for (const std::string& key : deleted_) put(key, "");
  deleted_.clear();
  for (auto& [id, person] : persons_) {
    for (const std::string& entity : person.calendar.TakeDirtyEntities()) {
      auto it = person.calendar.entities().find(entity);
      if (it == person.calendar.entities().end()) continue;
      put("e/" + id + kSep + entity, PersonCalendar::EncodeEntity(it->second));
    }
    for (const std::string& task : person.calendar.TakeDirtyTasks()) {
      auto it = person.calendar.tasks().find(task);
      if (it == person.calendar.tasks().end()) continue;
      put("k/" + id + kSep + task, PersonCalendar::EncodeTask(it->second));
    }
  }
  if (meta_dirty_) {
    put("meta", storage::Encoder().U64(1).I64(last_now_).I64(known_from_).str());
    meta_dirty_ = false;
  }
  timers_.Flush();  // one per person: kept in memory
}

Status ProtectedTimeProcessor::Restore(std::string_view key, std::string_view value) {
  if (key == "meta") {
    storage::Decoder r(value);
    if (r.U64() != 1) return Status::Error("unknown protected-time meta version");
    last_now_ = r.I64();
    known_from_ = r.I64();
    return r.ok() ? Status::Ok() : Status::Error("corrupt protected-time meta");
  }
  const size_t sep = key.find(kSep);
  if (key.size() < 2 || sep == std::string_view::npos) {
    return Status::Error("unknown protected-time record " + std::string(key));
  }
  const std::string person(key.substr(2, sep - 2));
  const std::string_view id = key.substr(sep + 1);
  if (key.starts_with("e/")) return PersonOf(person).calendar.RestoreEntity(id, value);
  if (key.starts_with("k/")) return PersonOf(person).calendar.RestoreTask(id, value);
  return Status::Error("unknown protected-time record " + std::string(key));
}

void RegisterProtectedTimeProcessors(ProcessorRegistry& registry) {
  const auto families = ProtectedTimeProcessor::Declare(registry.catalog());
  registry.Add(ingest::TopicKind::kPeople,
               [families] { return std::make_unique<ProtectedTimeProcessor>(families); });
}

}  // namespace huntline::processors
