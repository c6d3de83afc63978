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
#include "storage/write_back_cache.h"

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
/// persisted by the engine (changed records only, at each commit). Once Open() names the store,
/// the records stay there and memory holds those changed since the last commit and those used
/// most recently (storage::WriteBackCache); the index by account is held whole.
/// Pointers it returns stay valid until Trim().
/// Used on the processing thread only.
class CrmStore {
 public:
  /// Where the records are (`prefix`: `<task prefix>crm/`); `store` null: all in memory.
  void Open(storage::KvStore* store, const std::string& prefix, size_t cache_entries);
  /// Lets unchanged records beyond the caches leave memory, once what FlushDirty() gave is stored.
  void Trim() const {
    leads_.Trim();
    opportunities_.Trim();
  }

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
      for (const auto& id : index->leads) visit(*leads_.Find(id));
    }
  }
  template <typename F>
  void ForEachOpportunity(std::string_view account_id, F visit) const {
    if (const auto* index = FindIndex(account_id)) {
      for (const auto& id : index->opportunities) visit(*opportunities_.Find(id));
    }
  }

  /// Every lead and opportunity held (in id order), and every account that one of them names.
  /// Each lead (opportunity) visited is valid during its visit only: they are trimmed between
  /// visits, so that a visit of them all needs no more memory than the cache.
  template <typename F>
  void ForEachLead(F visit) const {
    std::vector<std::string> ids;
    (void)leads_.ForEachId([&](std::string_view id) { ids.emplace_back(id); });
    for (const std::string& id : ids) {
      visit(*leads_.Find(id));
      leads_.Trim();
    }
  }
  template <typename F>
  void ForEachOpportunity(F visit) const {
    std::vector<std::string> ids;
    (void)opportunities_.ForEachId([&](std::string_view id) { ids.emplace_back(id); });
    for (const std::string& id : ids) {
      visit(*opportunities_.Find(id));
      opportunities_.Trim();
    }
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
    leads_.Flush([&](std::string_view id, const Lead& lead) { put("lead/" + std::string(id), EncodeLead(lead)); });
    opportunities_.Flush([&](std::string_view id, const Opportunity& opp) {
      put("opp/" + std::string(id), EncodeOpportunity(opp));
    });
  }
  /// Takes one persisted record written by FlushDirty into the index (and, without a store,
  /// into memory).
  Status Restore(std::string_view key, std::string_view value);

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
  static bool DecodeLead(std::string_view value, Lead* out);
  static bool DecodeOpportunity(std::string_view value, Opportunity* out);
  void IndexLead(const std::string& id, const std::optional<std::string>& old_account,
                 const std::optional<std::string>& new_account);
  void IndexOpportunity(const std::string& id, const std::optional<std::string>& old_account,
                        const std::string& new_account);

  // Read on demand by const look-ups too.
  mutable storage::WriteBackCache<Lead> leads_{nullptr, "", 0, DecodeLead};
  mutable storage::WriteBackCache<Opportunity> opportunities_{nullptr, "", 0, DecodeOpportunity};
  bool stored_ = false;  // the records are in a store (Open)
  StringMap<AccountIndex> by_account_;
};

}  // namespace huntline::processors
