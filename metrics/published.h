#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "metrics/catalog.h"
#include "metrics/shard.h"

namespace huntline::metrics {

/// Merged values of every domain series: for each family, series key → value. A family's series
/// are shared with the snapshots before it for as long as they do not change.
struct Snapshot {
  /// Each key once, in no particular order (the exposition sorts): copied as they are.
  using Series = std::vector<std::pair<std::string, double>>;
  /// One per family of the catalog, never null.
  using Families = std::vector<std::shared_ptr<const Series>>;
  /// The shards published whole, merged.
  Families families;
  /// The shards published under a `partition` label (see PublishedShard), by label value.
  std::map<std::string, Families> by_partition;
};

/// A task's shard as it is published: merged with the others, or under a label
/// `partition="<partition>"` of its own when `partition` is set. A live run's tasks are published
/// so (the crm task as `partition="crm"`): with ExpositionOptions::task_instance their series are
/// the task's, not the instance's, and carry on unbroken when the task moves to another instance.
struct PublishedShard {
  const Shard* shard = nullptr;
  std::string partition;  // empty: merged
};

/// What the last MergeShards made of each shard published under a partition label, so that the
/// next one copies only the families that changed since (a snapshot costs in proportion to
/// what changed, not to every series).
struct MergeCache {
  struct Entry {
    std::vector<uint64_t> versions;  // Shard::version of each family when made
    Snapshot::Families families;
  };
  std::map<uint64_t, Entry> by_shard;  // by Shard::id
};

/// Merges task shards into one snapshot, summing or taking the max as each family says; with a
/// cache, a shard published under its own partition label reuses the families unchanged since
/// the previous call.
Snapshot MergeShards(const Catalog& catalog, std::span<const PublishedShard> shards,
                     MergeCache* cache = nullptr);

/// Rewrites label values before exposure (pseudonyms for per-person labels). Identity when unset.
using LabelRewriter = std::function<std::string(std::string_view label, std::string_view value)>;

/// A series key (label values joined by kLabelSeparator) with each value rewritten.
std::string RewriteKey(const FamilySpec& spec, std::string_view key, const LabelRewriter& rewrite);

struct ExpositionOptions {
  /// Leave out series whose value is 0 (a cell nobody is in, a counter never incremented).
  bool omit_zero = false;
  LabelRewriter rewrite;
  /// When set, the series published under a `partition` label also carry
  /// `instance="<task_instance>"` (the consumer group): scraped with `honor_labels: true`, a
  /// partition's series stay one Prometheus series whichever instance publishes them, so
  /// `increase()` over a rebalance counts what happened while the partition moved.
  std::string task_instance;
};

/// Family names asked for (`/metrics?name[]=…`); empty: every family.
using FamilyNames = std::set<std::string, std::less<>>;

/// Prometheus families for a snapshot, families sorted by name and label pairs by label name;
/// only those named in `only` when it is not empty.
std::vector<prometheus::MetricFamily> ToFamilies(const Catalog& catalog, const Snapshot& snapshot,
                                                 const ExpositionOptions& options = {},
                                                 const FamilyNames& only = {});

/// Prometheus text exposition format (0.0.4).
std::string ToText(const std::vector<prometheus::MetricFamily>& families);

/// What scrapes read: the snapshot of the last commit, so figures never run ahead of the state
/// committed (with write-behind, handed to the store: a crash before it is written resumes from
/// the offsets before it, and the same events give the same figures again). Publish() runs on the processing thread, Collect() on HTTP threads; `mutex_` guards the
/// pointer swap only.
class PublishedMetrics : public prometheus::Collectable {
 public:
  PublishedMetrics(const Catalog& catalog, ExpositionOptions options)
      : catalog_(catalog), options_(std::move(options)), current_(std::make_shared<Snapshot>()) {}

  void Publish(Snapshot snapshot);
  std::shared_ptr<const Snapshot> Current() const;
  std::vector<prometheus::MetricFamily> Collect() const override;
  /// The families named in `only` (every one when empty), the others not built at all.
  std::vector<prometheus::MetricFamily> Collect(const FamilyNames& only) const;

 private:
  const Catalog& catalog_;
  ExpositionOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace huntline::metrics
