#pragma once

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
  /// Brings the global shard up to date with the org tables; cheap when nothing changed. A series
  /// whose figure disappears (a rep taken off every list) drops to 0.
  void Refresh(const OrgView& org, metrics::Shard& shard);

 private:
  Families families_;
  uint64_t version_ = 0;
  Timestamp next_change_ = kNoTime;  // when a snapshot read so far takes effect after the last look
  Timestamp time_ = kNoTime;
};

}  // namespace huntline::processors
