#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/string_map.h"
#include "metrics/catalog.h"

namespace huntline::metrics {

/// A cap on the series of each family in a shard, and what it refused. Owned by whoever owns
/// the shards (the engine), so that the count outlives the shards that come and go with tasks.
struct SeriesLimit {
  size_t max_series_per_family = SIZE_MAX;
  std::vector<uint64_t> refused;  // updates refused, by family
};

/// One task's share of every domain series: what the keys it owns contribute. Counters only grow;
/// gauges move both ways. Changed series are tracked so the engine persists just those with the
/// batch that changed them.
/// Owned by a task and used only on the processing thread.
class Shard {
 public:
  struct Cell {
    double value = 0;
    bool dirty = false;
  };
  using Series = StringMap<Cell>;

  explicit Shard(const Catalog& catalog)
      : id_(NextId()), families_(catalog.size()), versions_(catalog.size()), overflow_(catalog.size()) {}
  // A copy would share the id (and so the cached published families) of its original.
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;
  Shard(Shard&&) = default;
  Shard& operator=(Shard&&) = default;

  /// Unique among the shards of this process, for as long as it runs.
  uint64_t id() const { return id_; }
  /// Moves on whenever a series of `family` is made or changes: an equal version means the
  /// family's series are as they were.
  uint64_t version(FamilyId family) const { return versions_[family]; }

  /// Caps the series of each family: once a family has `limit->max_series_per_family` series, an
  /// update of a new one is refused and counted in `limit->refused` (sized to the catalog).
  void Limit(SeriesLimit* limit) { limit_ = limit; }

  /// A handle to one series, stable for the shard's lifetime (series are never erased). Lets a
  /// hot path skip building and hashing the label key on every update.
  struct SeriesRef {
    FamilyId family = 0;
    Series::value_type* entry = nullptr;
  };
  /// The series with these label values, created at 0 (and not marked changed) if missing; past
  /// the limit, a stand-in that is never exposed, stored or recorded.
  SeriesRef Ref(FamilyId family, std::initializer_list<std::string_view> labels) {
    return {family, &Find(family, labels)};
  }
  void Add(SeriesRef ref, double delta) {
    if (Refused(ref.family, *ref.entry)) return;
    ref.entry->second.value += delta;
    MarkDirty(ref.family, *ref.entry);
  }
  void Set(SeriesRef ref, double value) {
    if (ref.entry->second.value == value || Refused(ref.family, *ref.entry)) return;
    ref.entry->second.value = value;
    MarkDirty(ref.family, *ref.entry);
  }

  /// Adds `delta` to the series with these label values (in the family's label order).
  void Add(FamilyId family, std::initializer_list<std::string_view> labels, double delta) {
    Add(Ref(family, labels), delta);
  }
  void Set(FamilyId family, std::initializer_list<std::string_view> labels, double value) {
    Set(Ref(family, labels), value);
  }

  const Series& series(FamilyId family) const { return families_[family]; }
  size_t family_count() const { return families_.size(); }

  /// Calls `visit(family, key, value)` for each series changed since the last ClearDirty().
  template <typename Visit>
  void ForEachDirty(Visit visit) const {
    for (const auto& [family, entry] : dirty_) visit(family, entry->first, entry->second.value);
  }
  void ClearDirty() {
    for (auto& [family, entry] : dirty_) entry->second.dirty = false;
    dirty_.clear();
  }
  /// Loads a persisted value (no dirty mark).
  void Restore(FamilyId family, std::string key, double value) {
    ++versions_[family];
    families_[family][std::move(key)].value = value;
  }

 private:
  Series::value_type& Find(FamilyId family, std::initializer_list<std::string_view> labels) {
    scratch_.clear();
    bool first = true;
    for (std::string_view v : labels) {
      if (!first) scratch_.push_back(kLabelSeparator);
      scratch_.append(v);
      first = false;
    }
    Series& series = families_[family];
    auto it = series.find(std::string_view(scratch_));
    if (it == series.end()) {
      if (limit_ && series.size() >= limit_->max_series_per_family) return overflow_[family];
      it = series.emplace(scratch_, Cell{}).first;
      ++versions_[family];
    }
    return *it;
  }
  bool Refused(FamilyId family, const Series::value_type& entry) {
    if (&entry != &overflow_[family]) return false;
    ++limit_->refused[family];
    return true;
  }
  void MarkDirty(FamilyId family, Series::value_type& entry) {
    ++versions_[family];
    if (entry.second.dirty) return;
    entry.second.dirty = true;
    // Node-based map: the entry's address is stable until it is erased (entries never are).
    dirty_.emplace_back(family, &entry);
  }

  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1);
  }

  uint64_t id_;
  std::vector<Series> families_;
  std::vector<uint64_t> versions_;
  std::vector<Series::value_type> overflow_;  // a family's stand-in series past the limit
  SeriesLimit* limit_ = nullptr;
  std::vector<std::pair<FamilyId, Series::value_type*>> dirty_;
  std::string scratch_;
};

}  // namespace huntline::metrics
