#pragma once

#include "metrics/catalog.h"
#include "metrics/shard.h"
#include "processors/org_tables.h"

namespace huntline::processors {

/// Figures every instance derives from the global org tables alone, so they are whole on every
/// instance and combine with max: `huntline_target_accounts{team,rep}` (accounts whose target list
/// holds the rep) and `huntline_quota_quarter_amount{team}` (the team's active quarterly quotas).
/// Recomputed on the processing thread when the org tables change, into the engine's global shard.
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
  void Refresh(const OrgTables& org, metrics::Shard& shard);

 private:
  Families families_;
  uint64_t version_ = 0;
};

}  // namespace huntline::processors
