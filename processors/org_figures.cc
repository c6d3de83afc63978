#include "processors/org_figures.h"

#include <map>
#include <set>

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

void OrgFigures::Refresh(const OrgView& org, metrics::Shard& shard) {
  const OrgTables& tables = org.tables();
  // The snapshots in force are those of the last look unless the tables changed or time passed
  // the next one to take effect.
  const bool same_snapshots =
      org.time() == time_ ||
      (org.time() > time_ && (next_change_ == kNoTime || org.time() < next_change_));
  if (tables.version() == version_ && same_snapshots) return;
  version_ = tables.version();
  time_ = org.time();
  next_change_ = tables.NextChangeAfter(org.time());

  std::map<std::pair<std::string, std::string>, double> targets;  // (team, rep) → accounts
  org.ForEachAccount([&](const std::string&, const Account& account) {
    const std::set<std::string> reps(account.data.target_of.begin(), account.data.target_of.end());
    for (const auto& rep : reps) targets[{std::string(org.TeamOf(rep)), rep}] += 1;
  });
  std::map<std::string, double> quotas;
  org.ForEachUser([&](const std::string&, const User& user) {
    if (user.data.active && user.data.quarterly_quota) quotas[user.data.team] += *user.data.quarterly_quota;
  });

  // Series no longer backed by the tables fall to 0.
  for (const auto& [key, cell] : shard.series(families_.target_accounts)) {
    const size_t sep = key.find(metrics::kLabelSeparator);
    if (!targets.contains({key.substr(0, sep), key.substr(sep + 1)})) {
      targets[{key.substr(0, sep), key.substr(sep + 1)}] = 0;
    }
  }
  for (const auto& [key, cell] : shard.series(families_.quota)) quotas.try_emplace(key, 0);

  for (const auto& [labels, count] : targets) {
    shard.Set(families_.target_accounts, {labels.first, labels.second}, count);
  }
  for (const auto& [team, amount] : quotas) shard.Set(families_.quota, {team}, amount);
}

}  // namespace huntline::processors
