#include "processors/prospect_processor.h"

#include <algorithm>

namespace huntline::processors {

ProspectProcessor::Families ProspectProcessor::Declare(metrics::Catalog& catalog) {
  using metrics::Kind;
  Families f;
  f.prospects = catalog.Declare(
      {"huntline_prospects",
       "Prospects (accounts and account-less leads) by how they behave (engagement) and where "
       "they stand (outcome), by the owner's team",
       Kind::kGauge,
       {"team", "engagement", "outcome"}});
  f.touched = catalog.Declare(
      {"huntline_target_accounts_touched",
       "Target accounts of the rep with an activity by the rep in the last 30 days",
       Kind::kGauge,
       {"team", "rep"}});
  f.engaged = catalog.Declare(
      {"huntline_target_accounts_engaged",
       "Target accounts of the rep where a decision maker or budget holder connected or booked "
       "a meeting in the last 90 days",
       Kind::kGauge,
       {"team", "rep"}});
  return f;
}

void ProspectProcessor::Process(const ingest::Event& event, ProcessorContext& context) {
  switch (event.type) {
    case ingest::EventType::kActivityLogged: {
      const auto& activity = event.As<ingest::ActivityLogged>();
      std::string key = ProspectKeyOfActivity(activity, context.crm);
      const Behaviour behaviour = context.BehaviourOf(activity, event.time);
      if (facts_.Mutable(key).Record(activity, event.time, context.seq, behaviour)) {
        keys_by_contact_[*activity.contact_id].push_back(key);
      }
      Evaluate(key, context);
      break;
    }
    case ingest::EventType::kLeadUpserted: {
      const auto& lead = event.As<ingest::LeadUpserted>();
      Evaluate(LeadKey(lead.lead_id), context);
      if (lead.account_id) Evaluate(*lead.account_id, context);
      const auto& before = *context.lead_before;
      if (before && before->data.account_id && before->data.account_id != lead.account_id) {
        Evaluate(*before->data.account_id, context);
      }
      break;
    }
    case ingest::EventType::kOpportunityUpserted: {
      const auto& opp = event.As<ingest::OpportunityUpserted>();
      Evaluate(opp.account_id, context);
      const auto& before = *context.opportunity_before;
      if (before && before->data.account_id != opp.account_id) {
        Evaluate(before->data.account_id, context);
      }
      break;
    }
    default:
      break;
  }
}

void ProspectProcessor::OnTime(ProcessorContext& context) {
  for (const std::string& key : timers_.PopDue(context.now)) Evaluate(key, context);
}

void ProspectProcessor::OnOrgChange(const OrgChange& change, ProcessorContext& context) {
  switch (change.type) {
    case ingest::EventType::kUserUpserted: {
      // A user is read for one thing here, their team: of the owner of a prospect, and of the
      // reps a target account is covered by. Only the keys that show this person move, and
      // only when the team they show is no longer the person's.
      auto shown = teams_shown_.find(change.id);
      if (shown == teams_shown_.end() || shown->second == context.org.TeamOf(change.id)) break;
      EvaluateShowing(change.id, context);
      break;
    }
    case ingest::EventType::kAccountUpserted:
      Evaluate(change.id, context);
      break;
    case ingest::EventType::kContactUpserted: {
      auto it = keys_by_contact_.find(change.id);
      if (it == keys_by_contact_.end()) break;
      for (const std::string& key : std::vector<std::string>(it->second)) Evaluate(key, context);
      break;
    }
    default:
      break;
  }
}

void ProspectProcessor::Resume(ProcessorContext& context) { EvaluateAll(context); }

void ProspectProcessor::EvaluateShowing(std::string_view user_id, ProcessorContext& context) {
  auto names = [&](const std::vector<metrics::Shard::SeriesRef>& refs) {
    return std::any_of(refs.begin(), refs.end(), [&](const metrics::Shard::SeriesRef& ref) {
      const std::string_view series = ref.entry->first;  // team, rep
      const size_t sep = series.rfind(metrics::kLabelSeparator);
      // A series refused by the family's limit has no labels: it may be anyone's.
      return sep == std::string_view::npos || series.substr(sep + 1) == user_id;
    });
  };
  std::vector<std::string> keys;
  for (const auto& [key, view] : views_) {
    if ((view.counted && view.owner == user_id) || names(view.touched) || names(view.engaged)) {
      keys.push_back(key);
    }
  }
  for (const std::string& key : keys) Evaluate(key, context);
  teams_shown_[std::string(user_id)] = std::string(context.org.TeamOf(user_id));
}

void ProspectProcessor::EvaluateAll(ProcessorContext& context) {
  std::vector<std::string> keys;
  for (const auto& [key, view] : views_) keys.push_back(key);
  (void)facts_.ForEachId([&](std::string_view key) { keys.emplace_back(key); });
  context.crm.ForEachAccount([&](const std::string& id) { keys.push_back(id); });
  context.crm.ForEachLead([&](const Lead& lead) {
    if (!lead.data.account_id) keys.push_back(LeadKey(lead.data.lead_id));
  });
  context.org.ForEachAccount([&](const std::string& id, const Account& account) {
    if (!account.data.target_of.empty() && context.partitioning.Owns(id)) keys.push_back(id);
  });
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const std::string& key : keys) {
    Evaluate(key, context);
    // Nothing changed is held here: the facts and records read need not stay.
    facts_.Trim();
    context.crm.Trim();
  }
}

std::string_view ProspectProcessor::ShowTeam(std::string_view user_id, ProcessorContext& context) {
  const std::string_view team = context.org.TeamOf(user_id);
  auto it = teams_shown_.find(user_id);
  if (it == teams_shown_.end()) {
    teams_shown_.emplace(std::string(user_id), std::string(team));
  } else if (it->second != team) {
    it->second = std::string(team);
  }
  return team;
}

void ProspectProcessor::Move(metrics::Shard& shard, std::vector<metrics::Shard::SeriesRef>& from,
                             std::vector<metrics::Shard::SeriesRef> to) {
  auto same = [](const std::vector<metrics::Shard::SeriesRef>& a,
                 const std::vector<metrics::Shard::SeriesRef>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const auto& x, const auto& y) { return x.entry == y.entry; });
  };
  if (same(from, to)) return;
  for (const auto& ref : from) shard.Add(ref, -1);
  for (const auto& ref : to) shard.Add(ref, 1);
  from = std::move(to);
}

void ProspectProcessor::Evaluate(std::string_view key, ProcessorContext& context) {
  const ProspectFacts* facts = facts_.Find(key);
  const ProspectCell cell =
      EvaluateProspect(key, facts, context.partitioning.Owns(key), context.org, context.crm,
                       context.settings, context.now);
  metrics::Shard& shard = context.metrics;
  Timestamp next_change = cell.next_change;
  std::vector<metrics::Shard::SeriesRef> touched;
  std::vector<metrics::Shard::SeriesRef> engaged;
  const auto account = IsLeadKey(key) ? nullptr : context.org.FindAccount(key);
  if (account && facts) {
    const TargetCoverage coverage =
        EvaluateTargetCoverage(*account, facts, context.org, context.settings, context.now);
    for (std::string_view rep : coverage.touched) {
      touched.push_back(shard.Ref(families_.touched, {ShowTeam(rep, context), rep}));
    }
    if (coverage.engaged) {
      for (std::string_view rep : coverage.reps) {
        engaged.push_back(shard.Ref(families_.engaged, {ShowTeam(rep, context), rep}));
      }
    }
    next_change = EarlierDeadline(next_change, coverage.next_change);
  }
  auto view_it = views_.find(key);
  if (view_it == views_.end()) {
    if (!cell.is_prospect && touched.empty() && engaged.empty()) {  // contributes nothing
      timers_.Set(key, next_change);
      return;
    }
    view_it = views_.try_emplace(std::string(key)).first;
  }
  View& view = view_it->second;

  if (cell.is_prospect) {
    const std::string_view team = ShowTeam(cell.owner, context);
    if (!view.counted || view.owner != cell.owner || view.team != team || view.engagement != cell.engagement ||
        view.outcome != cell.outcome) {
      const auto ref = shard.Ref(families_.prospects,
                                 {team, kEngagementNames[static_cast<size_t>(cell.engagement)],
                                  kProspectOutcomeNames[static_cast<size_t>(cell.outcome)]});
      if (view.counted) shard.Add(view.cell, -1);
      shard.Add(ref, 1);
      view.cell = ref;
      view.counted = true;
      view.owner = cell.owner;
      view.team = team;
      view.engagement = cell.engagement;
      view.outcome = cell.outcome;
    }
  } else if (view.counted) {
    shard.Add(view.cell, -1);
    view.counted = false;
  }

  Move(shard, view.touched, std::move(touched));
  Move(shard, view.engaged, std::move(engaged));
  timers_.Set(key, next_change);
  if (view.empty()) views_.erase(view_it);
}

void ProspectProcessor::Flush(const std::function<void(std::string_view, std::string_view)>& put) {
  facts_.Flush([&](std::string_view key, const ProspectFacts& facts) { put("k/" + std::string(key), facts.Encode()); });
}

void ProspectProcessor::Open(storage::KvStore* store, const std::string& prefix, size_t cache_entries) {
  facts_ = storage::WriteBackCache<ProspectFacts>(store, prefix + "k/", cache_entries, DecodeFacts);
  stored_ = store != nullptr;
}

Status ProspectProcessor::Restore(std::string_view key, std::string_view value) {
  if (!key.starts_with("k/")) return Status::Error("unknown prospect record " + std::string(key));
  const std::string id(key.substr(2));
  ProspectFacts facts;
  if (!ProspectFacts::Decode(value, &facts)) {
    return Status::Error("corrupt prospect record " + std::string(key));
  }
  // The facts stay in the store (facts_ reads them when needed); the contacts' index is built
  // from them here.
  for (const auto& [contact_id, time] : facts.responders) keys_by_contact_[contact_id].push_back(id);
  if (!stored_) facts_.Mutable(id) = std::move(facts);  // a task that keeps its state in memory
  return Status::Ok();
}

void RegisterProspectProcessors(ProcessorRegistry& registry) {
  const auto families = ProspectProcessor::Declare(registry.catalog());
  registry.Add(ingest::TopicKind::kCrm,
               [families] { return std::make_unique<ProspectProcessor>(families); });
}

}  // namespace huntline::processors
