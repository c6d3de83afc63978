#include "processors/org_figures.h"

#include <algorithm>
#include <map>

namespace huntline::processors {

OrgFigures::Families OrgFigures::Declare(metrics::Catalog& catalog) {
  using metrics::Kind;
  using metrics::Merge;
  Families f;
  f.target_accounts = catalog.Declare({"huntline_target_accounts",
                                       "Accounts on the rep's strategic target list",
                                       Kind::kGauge,
                                       {"team", "rep"},
                                       Merge::kMax});
  f.quota = catalog.Declare({"huntline_quota_quarter_amount",
                             "Sum of the team's active quarterly new-business quotas",
                             Kind::kGauge,
                             {"team"},
                             Merge::kMax});
  return f;
}

void OrgFigures::Note(const OrgChange& change) {
  ++noted_;
  if (change.type != ingest::EventType::kAccountUpserted || too_many_noted_) return;
  noted_accounts_.insert(change.id);
  // Past this many, counting every account again is as cheap, and memory stays bounded.
  if (noted_accounts_.size() > kMaxNoted) {
    too_many_noted_ = true;
    noted_accounts_ = {};
  }
}

namespace {

std::vector<std::string> DistinctReps(const Account* account) {
  if (!account) return {};
  std::vector<std::string> reps(account->data.target_of.begin(), account->data.target_of.end());
  std::sort(reps.begin(), reps.end());
  reps.erase(std::unique(reps.begin(), reps.end()), reps.end());
  return reps;
}

}  // namespace

void OrgFigures::Count(const std::string& account_id, std::vector<std::string> reps) {
  auto it = reps_of_.find(account_id);
  if (it != reps_of_.end()) {
    if (it->second == reps) return;
    for (const std::string& rep : it->second) {
      auto n = accounts_of_.find(rep);
      if (--n->second == 0) accounts_of_.erase(n);
    }
  }
  for (const std::string& rep : reps) ++accounts_of_[rep];
  if (reps.empty()) {
    if (it != reps_of_.end()) reps_of_.erase(it);
  } else if (it != reps_of_.end()) {
    it->second = std::move(reps);
  } else {
    reps_of_.emplace(account_id, std::move(reps));
  }
}

void OrgFigures::Refresh(const OrgView& org, metrics::Shard& shard) {
  const OrgTables& tables = org.tables();
  // The snapshots in force are those of the last look unless the tables changed or time passed
  // the next one to take effect.
  const bool same_snapshots =
      org.time() == time_ ||
      (org.time() > time_ && (next_change_ == kNoTime || org.time() < next_change_));
  if (tables.version() == version_ && same_snapshots) return;
  // Only the accounts changed since the last look, or whose snapshots took effect since, can
  // count otherwise: unless a change went unheard, time went back (a view of other times), or
  // the change log since the last look was pruned.
  const bool whole = !counted_ || too_many_noted_ || tables.version() - version_ != noted_ ||
                     org.time() < time_ || time_ < tables.horizon();
  if (whole) {
    reps_of_.clear();
    accounts_of_.clear();
    org.ForEachAccount([&](const std::string& id, const Account& account) { Count(id, DistinctReps(&account)); });
  } else {
    StringSet ids = std::move(noted_accounts_);
    if (org.time() > time_) {
      tables.ForEachChange({time_, UINT64_MAX}, org.time(), [&](const OrgChange& change) {
        if (change.type == ingest::EventType::kAccountUpserted) ids.insert(change.id);
      });
    }
    for (const std::string& id : ids) Count(id, DistinctReps(org.FindAccount(id).get()));
  }
  counted_ = true;
  too_many_noted_ = false;
  noted_accounts_.clear();
  noted_ = 0;
  version_ = tables.version();
  time_ = org.time();
  next_change_ = tables.NextChangeAfter(org.time());
  Publish(org, shard);
}

void OrgFigures::Publish(const OrgView& org, metrics::Shard& shard) const {
  // Each rep under their team as of the view (users are few and in memory).
  std::map<std::pair<std::string, std::string>, double> targets;  // (team, rep) → accounts
  for (const auto& [rep, accounts] : accounts_of_) {
    targets[{std::string(org.TeamOf(rep)), rep}] += static_cast<double>(accounts);
  }
  std::map<std::string, double> quotas;
  org.ForEachUser([&](const std::string&, const User& user) {
    if (user.data.active && user.data.quarterly_quota) quotas[user.data.team] += *user.data.quarterly_quota;
  });

  // Series no longer backed by the tables fall to 0.
  for (const auto& [key, cell] : shard.series(families_.target_accounts)) {
    const size_t sep = key.find(metrics::kLabelSeparator);
    targets.try_emplace({key.substr(0, sep), key.substr(sep + 1)}, 0);
  }
  for (const auto& [key, cell] : shard.series(families_.quota)) quotas.try_emplace(key, 0);

  for (const auto& [labels, count] : targets) {
    shard.Set(families_.target_accounts, {labels.first, labels.second}, count);
  }
  for (const auto& [team, amount] : quotas) shard.Set(families_.quota, {team}, amount);
}

}  // namespace huntline::processors
