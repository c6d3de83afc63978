#include "metrics/published.h"

#include <algorithm>

#include <prometheus/text_serializer.h>

namespace huntline::metrics {
namespace {

std::vector<std::string_view> SplitKey(std::string_view key, size_t n) {
  std::vector<std::string_view> parts;
  parts.reserve(n);
  size_t start = 0;
  for (size_t i = 0; i + 1 < n; ++i) {
    const size_t sep = key.find(kLabelSeparator, start);
    parts.push_back(key.substr(start, sep - start));
    start = sep == std::string_view::npos ? key.size() : sep + 1;
  }
  if (n > 0) parts.push_back(key.substr(start));
  return parts;
}

}  // namespace

std::string RewriteKey(const FamilySpec& spec, std::string_view key, const LabelRewriter& rewrite) {
  std::string out;
  const auto parts = SplitKey(key, spec.labels.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.push_back(kLabelSeparator);
    out += rewrite(spec.labels[i], parts[i]);
  }
  return out;
}

namespace {

const std::shared_ptr<const Snapshot::Series>& NoSeries() {
  static const auto empty = std::make_shared<const Snapshot::Series>();
  return empty;
}

/// The series of `shard`'s family `f`, copied.
Snapshot::Series CopySeries(const Shard& shard, FamilyId f) {
  Snapshot::Series out;
  out.reserve(shard.series(f).size());
  for (const auto& [key, cell] : shard.series(f)) out.emplace_back(key, cell.value);
  return out;
}

/// The series of family `f` of several shards, merged by the family's rule.
Snapshot::Series MergeSeries(const Catalog& catalog, std::span<const Shard* const> shards, FamilyId f) {
  if (shards.size() == 1) return f < shards[0]->family_count() ? CopySeries(*shards[0], f) : Snapshot::Series{};
  const bool max = catalog.spec(f).merge == Merge::kMax;
  StringMap<double> merged;
  for (const Shard* shard : shards) {
    if (f >= shard->family_count()) continue;
    for (const auto& [key, cell] : shard->series(f)) {
      auto [it, inserted] = merged.emplace(key, cell.value);
      if (!inserted) it->second = max ? std::max(it->second, cell.value) : it->second + cell.value;
    }
  }
  Snapshot::Series out;
  out.reserve(merged.size());
  for (auto& entry : merged) out.emplace_back(entry.first, entry.second);
  return out;
}

/// The families of `shard` alone, reusing from `cached` those whose version has not moved.
Snapshot::Families OwnFamilies(const Catalog& catalog, const Shard& shard, MergeCache::Entry* cached) {
  Snapshot::Families out(catalog.size(), NoSeries());
  std::vector<uint64_t> versions(catalog.size(), 0);
  for (FamilyId f = 0; f < catalog.size() && f < shard.family_count(); ++f) {
    versions[f] = shard.version(f);
    if (cached && f < cached->versions.size() && cached->versions[f] == versions[f]) {
      out[f] = cached->families[f];
      continue;
    }
    if (shard.series(f).empty()) continue;
    out[f] = std::make_shared<const Snapshot::Series>(CopySeries(shard, f));
  }
  if (cached) {
    cached->versions = std::move(versions);
    cached->families = out;
  }
  return out;
}

}  // namespace

Snapshot MergeShards(const Catalog& catalog, std::span<const PublishedShard> shards, MergeCache* cache) {
  Snapshot out;
  std::vector<const Shard*> whole;
  std::map<std::string, std::vector<const Shard*>> partitioned;
  for (const PublishedShard& published : shards) {
    if (published.partition.empty()) {
      whole.push_back(published.shard);
    } else {
      partitioned[published.partition].push_back(published.shard);
    }
  }
  out.families.assign(catalog.size(), NoSeries());
  for (FamilyId f = 0; f < catalog.size() && !whole.empty(); ++f) {
    Snapshot::Series series = MergeSeries(catalog, whole, f);
    if (!series.empty()) out.families[f] = std::make_shared<const Snapshot::Series>(std::move(series));
  }
  std::map<uint64_t, MergeCache::Entry> kept;  // the cache's entries of the shards published now
  for (const auto& [partition, of] : partitioned) {
    if (of.size() == 1) {
      const Shard& shard = *of.front();
      MergeCache::Entry* entry = nullptr;
      if (cache) {
        auto it = cache->by_shard.find(shard.id());
        entry = &kept[shard.id()];
        if (it != cache->by_shard.end()) *entry = std::move(it->second);
      }
      out.by_partition[partition] = OwnFamilies(catalog, shard, entry);
      continue;
    }
    // Several shards under one label: merged afresh.
    Snapshot::Families& into = out.by_partition[partition];
    into.assign(catalog.size(), NoSeries());
    for (FamilyId f = 0; f < catalog.size(); ++f) {
      Snapshot::Series series = MergeSeries(catalog, of, f);
      if (!series.empty()) into[f] = std::make_shared<const Snapshot::Series>(std::move(series));
    }
  }
  if (cache) cache->by_shard = std::move(kept);
  return out;
}

std::vector<prometheus::MetricFamily> ToFamilies(const Catalog& catalog, const Snapshot& snapshot,
                                                 const ExpositionOptions& options, const FamilyNames& only) {
  std::vector<prometheus::MetricFamily> out;
  for (FamilyId f = 0; f < catalog.size() && f < snapshot.families.size(); ++f) {
    const FamilySpec& spec = catalog.spec(f);
    if (!only.empty() && !only.contains(spec.name)) continue;
    prometheus::MetricFamily family;
    family.name = spec.name;
    family.help = spec.help;
    family.type = spec.kind == Kind::kCounter ? prometheus::MetricType::Counter
                                              : prometheus::MetricType::Gauge;
    // Rewriting may merge series (pseudonyms never collide, but be safe): sum them.
    std::map<std::vector<std::pair<std::string, std::string>>, double> series;
    auto add = [&](const Snapshot::Families& families, const std::string* partition) {
      if (f >= families.size() || !families[f]) return;
      for (const auto& [key, value] : *families[f]) {
        std::vector<std::pair<std::string, std::string>> labels;
        const auto parts = SplitKey(key, spec.labels.size());
        for (size_t i = 0; i < spec.labels.size(); ++i) {
          labels.emplace_back(spec.labels[i], options.rewrite ? options.rewrite(spec.labels[i], parts[i])
                                                              : std::string(parts[i]));
        }
        if (partition) {
          labels.emplace_back("partition", *partition);
          if (!options.task_instance.empty()) labels.emplace_back("instance", options.task_instance);
        }
        std::sort(labels.begin(), labels.end());
        series[std::move(labels)] += value;
      }
    };
    add(snapshot.families, nullptr);
    for (const auto& [partition, families] : snapshot.by_partition) add(families, &partition);
    for (auto& [labels, value] : series) {
      if (options.omit_zero && value == 0) continue;
      prometheus::ClientMetric metric;
      for (auto& [name, v] : labels) metric.label.push_back({name, v});
      if (spec.kind == Kind::kCounter) {
        metric.counter.value = value;
      } else {
        metric.gauge.value = value;
      }
      family.metric.push_back(std::move(metric));
    }
    if (!family.metric.empty()) out.push_back(std::move(family));
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::string ToText(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

void PublishedMetrics::Publish(Snapshot snapshot) {
  auto next = std::make_shared<const Snapshot>(std::move(snapshot));
  std::lock_guard lock(mutex_);
  current_ = std::move(next);
}

std::shared_ptr<const Snapshot> PublishedMetrics::Current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::vector<prometheus::MetricFamily> PublishedMetrics::Collect() const { return Collect({}); }

std::vector<prometheus::MetricFamily> PublishedMetrics::Collect(const FamilyNames& only) const {
  return ToFamilies(catalog_, *Current(), options_, only);
}

}  // namespace huntline::metrics
