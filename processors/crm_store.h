#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/string_map.h"
#include "common/time.h"
#include "ingest/event.h"
#include "processors/org_tables.h"

namespace huntline::processors {

struct Lead {
  ingest::LeadUpserted data;
  Timestamp updated = kNoTime;
  uint64_t seq = 0;  // processing order of the latest applied snapshot
};

struct Opportunity {
  ingest::OpportunityUpserted data;
  Timestamp updated = kNoTime;
  /// Time of the latest snapshot that moved it into a closed stage; kNoTime while open.
  Timestamp closed_at = kNoTime;
  uint64_t seq = 0;

  bool open() const { return ingest::IsOpen(data.stage); }
  /// Metrics.md "latest deal": by snapshot time, closed deals by their closed-at time.
  Timestamp order_time() const { return open() ? updated : closed_at; }
};

/// How a CRM upsert changed the store: the entity before (absent when first seen) and after.
template <typename T>
struct Change {
  std::optional<T> before;
  const T* after = nullptr;
};

/// One task's CRM entities of `huntline.crm`: leads and opportunities, with an index by account.
/// A state store in the Kafka Streams sense: owned by the task, shared by its processors,
/// persisted by the engine (changed records only, at each commit).
/// Used on the processing thread only.
class CrmStore {
 public:
  /// Applies a snapshot; stale when older than the one held. `before` receives the previous
  /// state (for processors that derive changes). `seq` is the event's processing order.
  ApplyOutcome ApplyLead(const ingest::LeadUpserted& d, Timestamp time, uint64_t seq,
                         std::optional<Lead>* before = nullptr);
  ApplyOutcome ApplyOpportunity(const ingest::OpportunityUpserted& d, Timestamp time, uint64_t seq,
                                std::optional<Opportunity>* before = nullptr);

  const Lead* FindLead(std::string_view lead_id) const;
  const Opportunity* FindOpportunity(std::string_view opportunity_id) const;

  /// Visits the leads (opportunities) whose current snapshot names `account_id`.
  template <typename F>
  void ForEachLead(std::string_view account_id, F visit) const {
    if (const auto* index = FindIndex(account_id)) {
      for (const auto& id : index->leads) visit(leads_.find(id)->second);
    }
  }
  template <typename F>
  void ForEachOpportunity(std::string_view account_id, F visit) const {
    if (const auto* index = FindIndex(account_id)) {
      for (const auto& id : index->opportunities) visit(opportunities_.find(id)->second);
    }
  }

  /// Every lead and opportunity held, and every account that one of them names.
  template <typename F>
  void ForEachLead(F visit) const {
    for (const auto& [id, lead] : leads_) visit(lead);
  }
  template <typename F>
  void ForEachOpportunity(F visit) const {
    for (const auto& [id, opp] : opportunities_) visit(opp);
  }
  template <typename F>
  void ForEachAccount(F visit) const {
    for (const auto& [account_id, index] : by_account_) {
      if (!index.leads.empty() || !index.opportunities.empty()) visit(account_id);
    }
  }

  bool HasOpenOpportunity(std::string_view account_id) const;
  /// The account's latest lead (metrics.md "latest"), if it has any.
  const Lead* LatestLead(std::string_view account_id) const;
  /// The account's latest opportunity of type new_business (metrics.md "latest"), if any.
  const Opportunity* LatestNewBusiness(std::string_view account_id) const;

  /// Persistence: records changed since the last call, as (key, value) under this store's keys.
  template <typename F>
  void FlushDirty(F put) {
    for (const auto& id : dirty_leads_) put("lead/" + id, EncodeLead(leads_.at(id)));
    for (const auto& id : dirty_opportunities_) {
      put("opp/" + id, EncodeOpportunity(opportunities_.at(id)));
    }
    dirty_leads_.clear();
    dirty_opportunities_.clear();
  }
  /// Loads one persisted record written by FlushDirty.
  Status Restore(std::string_view key, std::string_view value);

  size_t lead_count() const { return leads_.size(); }
  size_t opportunity_count() const { return opportunities_.size(); }

 private:
  struct AccountIndex {
    std::vector<std::string> leads;
    std::vector<std::string> opportunities;
  };
  const AccountIndex* FindIndex(std::string_view account_id) const {
    auto it = by_account_.find(account_id);
    return it == by_account_.end() ? nullptr : &it->second;
  }
  static void Unlink(std::vector<std::string>& ids, std::string_view id);
  static std::string EncodeLead(const Lead& lead);
  static std::string EncodeOpportunity(const Opportunity& opp);
  void IndexLead(const std::string& id, const std::optional<std::string>& old_account,
                 const std::optional<std::string>& new_account);
  void IndexOpportunity(const std::string& id, const std::optional<std::string>& old_account,
                        const std::string& new_account);

  StringMap<Lead> leads_;
  StringMap<Opportunity> opportunities_;
  StringMap<AccountIndex> by_account_;
  StringSet dirty_leads_;
  StringSet dirty_opportunities_;
};

}  // namespace huntline::processors
