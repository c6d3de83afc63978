#pragma once

#include <string>
#include <vector>

#include "common/string_map.h"
#include "metrics/catalog.h"
#include "metrics/shard.h"
#include "processors/org_tables.h"

namespace huntline::processors {

/// Figures every instance derives from the global org tables alone, so they are whole on every
/// instance and combine with max: `huntline_target_accounts{team,rep}` (accounts whose target list
/// holds the rep) and `huntline_quota_quarter_amount{team}` (the team's active quarterly quotas).
/// Taken as of engine time (`org.time()`); recomputed on the processing thread when the tables
/// change or a snapshot takes effect, into the engine's global shard.
class OrgFigures {
 public:
  struct Families {
    metrics::FamilyId target_accounts;
    metrics::FamilyId quota;
  };
  static Families Declare(metrics::Catalog& catalog);

  explicit OrgFigures(Families families) : families_(families) {}
  /// Hears of a change applied to the tables (OrgTables::last_change, OrgTables::Forget), so that
  /// the next Refresh looks again at that account only. Without every change heard of since the
  /// last Refresh (the tables' version tells), Refresh counts every account again.
  void Note(const OrgChange& change);
  /// Brings the global shard up to date with the org tables; cheap when nothing changed, and in
  /// proportion to the accounts changed since the last look (or whose snapshots took effect as
  /// time passed) otherwise. A series whose figure disappears (a rep taken off every list) drops to 0.
  void Refresh(const OrgView& org, metrics::Shard& shard);

 private:
  /// Sets what `account_id` counts for to `reps` (sorted, distinct), moving the reps' counts.
  void Count(const std::string& account_id, std::vector<std::string> reps);
  void Publish(const OrgView& org, metrics::Shard& shard) const;

  Families families_;
  uint64_t version_ = 0;
  Timestamp next_change_ = kNoTime;  // when a snapshot read so far takes effect after the last look
  Timestamp time_ = kNoTime;
  bool counted_ = false;  // reps_of_ and accounts_of_ hold the tables as of time_, version_
  StringMap<std::vector<std::string>> reps_of_;  // account → the distinct reps its list holds
  StringMap<int64_t> accounts_of_;  // rep → accounts whose list holds them (none: absent)
  static constexpr size_t kMaxNoted = 100000;
  StringSet noted_accounts_;  // accounts changed since the last look
  bool too_many_noted_ = false;  // more than kMaxNoted: every account is counted again
  uint64_t noted_ = 0;  // changes heard of since the last look
};

}  // namespace huntline::processors
