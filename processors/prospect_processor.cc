#include "processors/prospect_processor.h"

#include <algorithm>

#include "storage/codec.h"

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
        keys_by_contact_.Mutable(*activity.contact_id).push_back(key);
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
      const std::vector<std::string>* keys = keys_by_contact_.Find(change.id);
      if (!keys) break;
      for (const std::string& key : std::vector<std::string>(*keys)) Evaluate(key, context);
      break;
    }
    default:
      break;
  }
}

void ProspectProcessor::Resume(ProcessorContext& context) { EvaluateAll(context); }

void ProspectProcessor::EvaluateShowing(std::string_view user_id, ProcessorContext& context) {
  auto names = [&](const std::vector<std::pair<std::string, std::string>>& series) {
    return std::any_of(series.begin(), series.end(), [&](const auto& s) { return s.second == user_id; });
  };
  std::vector<std::string> keys;
  (void)views_.ForEach([&](std::string_view key, const View& view) {
    if ((view.counted && view.owner == user_id) || names(view.touched) || names(view.engaged)) {
      keys.emplace_back(key);
    }
  });
  for (const std::string& key : keys) Evaluate(key, context);
  teams_shown_[std::string(user_id)] = std::string(context.org.TeamOf(user_id));
}

void ProspectProcessor::EvaluateAll(ProcessorContext& context) {
  std::vector<std::string> keys;
  (void)views_.ForEachId([&](std::string_view key) { keys.emplace_back(key); });
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
  size_t evaluated = 0;
  for (const std::string& key : keys) {
    Evaluate(key, context);
    // Nothing logged changed here: the facts and records read need not stay, and what was
    // derived goes to the store as it is made.
    facts_.Trim();
    context.crm.Trim();
    if (++evaluated % 4096 == 0) {
      FlushDerived();
      views_.Trim();
      timers_.Trim();
    }
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

void ProspectProcessor::Evaluate(std::string_view key, ProcessorContext& context) {
  const ProspectFacts* facts = facts_.Find(key);
  const ProspectCell cell =
      EvaluateProspect(key, facts, context.partitioning.Owns(key), context.org, context.crm,
                       context.settings, context.now);
  Timestamp next_change = cell.next_change;
  View next;
  const auto account = IsLeadKey(key) ? nullptr : context.org.FindAccount(key);
  if (account && facts) {
    const TargetCoverage coverage =
        EvaluateTargetCoverage(*account, facts, context.org, context.settings, context.now);
    for (std::string_view rep : coverage.touched) {
      next.touched.emplace_back(ShowTeam(rep, context), rep);
    }
    if (coverage.engaged) {
      for (std::string_view rep : coverage.reps) next.engaged.emplace_back(ShowTeam(rep, context), rep);
    }
    next_change = EarlierDeadline(next_change, coverage.next_change);
  }
  if (cell.is_prospect) {
    next.counted = true;
    next.owner = cell.owner;
    next.team = ShowTeam(cell.owner, context);
    next.engagement = cell.engagement;
    next.outcome = cell.outcome;
  }
  timers_.Set(key, next_change);
  const View* before = views_.Find(key);
  if (before ? *before == next : next.empty()) return;

  metrics::Shard& shard = context.metrics;
  auto cell_of = [&](const View& view) {
    return shard.Ref(families_.prospects, {view.team, kEngagementNames[static_cast<size_t>(view.engagement)],
                                           kProspectOutcomeNames[static_cast<size_t>(view.outcome)]});
  };
  auto move = [&](metrics::FamilyId family, const std::vector<std::pair<std::string, std::string>>* from,
                  const std::vector<std::pair<std::string, std::string>>& to) {
    if (from && *from == to) return;
    if (from) {
      for (const auto& [team, rep] : *from) shard.Add(shard.Ref(family, {team, rep}), -1);
    }
    for (const auto& [team, rep] : to) shard.Add(shard.Ref(family, {team, rep}), 1);
  };
  const bool cell_moved = !before || before->counted != next.counted || before->team != next.team ||
                          before->engagement != next.engagement || before->outcome != next.outcome;
  if (cell_moved) {
    if (before && before->counted) shard.Add(cell_of(*before), -1);
    if (next.counted) shard.Add(cell_of(next), 1);
  }
  move(families_.touched, before ? &before->touched : nullptr, next.touched);
  move(families_.engaged, before ? &before->engaged : nullptr, next.engaged);
  if (next.empty()) {
    views_.Erase(key);
  } else {
    views_.Mutable(key) = std::move(next);
  }
}

void ProspectProcessor::FlushDerived() {
  storage::WriteBatch batch;
  views_.Flush([&](std::string_view key, const View& view) { batch.Put(views_key_prefix_ + std::string(key), view.Encode()); },
               [&](std::string_view key) { batch.Delete(views_key_prefix_ + std::string(key)); });
  if (store_ && !batch.empty()) (void)store_->WriteUnlogged(batch);
  timers_.Flush();
}

void ProspectProcessor::Trim() {
  facts_.Trim();
  keys_by_contact_.Trim();
  views_.Trim();
  timers_.Trim();
}

void ProspectProcessor::Flush(const std::function<void(std::string_view, std::string_view)>& put) {
  facts_.Flush([&](std::string_view key, const ProspectFacts& facts) { put("k/" + std::string(key), facts.Encode()); });
  keys_by_contact_.Flush([&](std::string_view contact, const std::vector<std::string>& keys) {
    put("c/" + std::string(contact), EncodeKeys(keys));
  });
  FlushDerived();
}

void ProspectProcessor::Open(storage::KvStore* store, const std::string& prefix, const std::string& scratch_prefix,
                             size_t cache_entries) {
  facts_ = storage::WriteBackCache<ProspectFacts>(store, prefix + "k/", cache_entries, DecodeFacts);
  keys_by_contact_ = storage::WriteBackCache<std::vector<std::string>>(store, prefix + "c/", cache_entries, DecodeKeys);
  stored_ = store != nullptr;
  store_ = store;
  views_key_prefix_ = scratch_prefix + "v/";
  views_ = storage::WriteBackCache<View>(store, views_key_prefix_, cache_entries, View::Decode);
  timers_.Open(store, scratch_prefix + "timers/", cache_entries);
}

Status ProspectProcessor::Restore(std::string_view key, std::string_view value) {
  if (key.starts_with("c/")) {  // read when needed
    std::vector<std::string> keys;
    if (!DecodeKeys(value, &keys)) return Status::Error("corrupt prospect record " + std::string(key));
    contact_records_ = true;
    if (!stored_) keys_by_contact_.Mutable(key.substr(2)) = std::move(keys);
    return Status::Ok();
  }
  if (!key.starts_with("k/")) return Status::Error("unknown prospect record " + std::string(key));
  const std::string id(key.substr(2));
  ProspectFacts facts;
  if (!ProspectFacts::Decode(value, &facts)) {
    return Status::Error("corrupt prospect record " + std::string(key));
  }
  // The facts stay in the store (facts_ reads them when needed). State stored before the
  // contacts' index was has it made here, and stored at the next commit.
  if (!contact_records_) {
    for (const auto& [contact_id, time] : facts.responders) keys_by_contact_.Mutable(contact_id).push_back(id);
  }
  if (!stored_) facts_.Mutable(id) = std::move(facts);  // a task that keeps its state in memory
  return Status::Ok();
}

std::string ProspectProcessor::EncodeKeys(const std::vector<std::string>& keys) {
  storage::Encoder e;
  e.U64(keys.size());
  for (const std::string& key : keys) e.Str(key);
  return e.Take();
}

bool ProspectProcessor::DecodeKeys(std::string_view value, std::vector<std::string>* out) {
  storage::Decoder r(value);
  out->clear();
  for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) out->push_back(r.Str());
  return r.ok();
}

std::string ProspectProcessor::View::Encode() const {
  storage::Encoder e;
  e.U64(counted ? 1 : 0).Str(owner).Str(team).U64(static_cast<uint64_t>(engagement)).U64(static_cast<uint64_t>(outcome));
  for (const auto* series : {&touched, &engaged}) {
    e.U64(series->size());
    for (const auto& [team_label, rep] : *series) e.Str(team_label).Str(rep);
  }
  return e.Take();
}

bool ProspectProcessor::View::Decode(std::string_view value, View* out) {
  storage::Decoder r(value);
  out->counted = r.U64() != 0;
  out->owner = r.Str();
  out->team = r.Str();
  const uint64_t engagement = r.U64();
  const uint64_t outcome = r.U64();
  if (engagement >= kEngagementNames.size() || outcome >= kProspectOutcomeNames.size()) return false;
  out->engagement = static_cast<Engagement>(engagement);
  out->outcome = static_cast<ProspectOutcome>(outcome);
  for (auto* series : {&out->touched, &out->engaged}) {
    series->clear();
    for (uint64_t n = r.U64(); n > 0 && r.ok(); --n) {
      std::string team = r.Str();
      series->emplace_back(std::move(team), r.Str());
    }
  }
  return r.ok();
}

void RegisterProspectProcessors(ProcessorRegistry& registry) {
  const auto families = ProspectProcessor::Declare(registry.catalog());
  registry.Add(ingest::TopicKind::kCrm,
               [families] { return std::make_unique<ProspectProcessor>(families); });
}

}  // namespace huntline::processors
