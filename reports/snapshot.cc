#include "reports/snapshot.h"

#include <algorithm>
#include <set>

namespace huntline::reports {
namespace {

std::vector<std::string_view> SplitLabels(std::string_view key) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t end = key.find(metrics::kLabelSeparator, start);
    out.push_back(key.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

}  // namespace

void Snapshot::Merge(const metrics::History::Record& record) {
  for (const auto& sample : record) {
    auto id = catalog_ ? catalog_->Find(sample.family) : std::nullopt;
    const bool max = id && catalog_->spec(*id).merge == metrics::Merge::kMax;
    double& value = families_[sample.family][sample.series];
    value = max ? std::max(value, sample.value) : value + sample.value;
  }
}

std::map<std::string, double> Snapshot::Sum(std::string_view family,
                                            const std::map<std::string, std::string>& where,
                                            const std::vector<std::string>& by) const {
  std::map<std::string, double> out;
  auto it = families_.find(family);
  auto id = catalog_ ? catalog_->Find(family) : std::nullopt;
  if (it == families_.end() || !id) return out;
  const auto& labels = catalog_->spec(*id).labels;
  auto index_of = [&](const std::string& name) {
    return static_cast<size_t>(std::find(labels.begin(), labels.end(), name) - labels.begin());
  };
  for (const auto& [key, value] : it->second) {
    const auto values = SplitLabels(key);
    bool match = true;
    for (const auto& [name, wanted] : where) {
      const size_t i = index_of(name);
      if (i >= values.size() || values[i] != wanted) match = false;
    }
    if (!match) continue;
    std::string group;
    for (const auto& name : by) {
      const size_t i = index_of(name);
      if (!group.empty()) group += "/";
      group += i < values.size() ? std::string(values[i]) : std::string();
    }
    out[group] += value;
  }
  return out;
}

double Snapshot::Total(std::string_view family,
                       const std::map<std::string, std::string>& where) const {
  const auto sums = Sum(family, where);
  return sums.empty() ? 0 : sums.begin()->second;
}

std::vector<std::string> Snapshot::Values(std::string_view family, std::string_view label) const {
  std::set<std::string> out;
  for (const auto& [value, sum] : Sum(family, {}, {std::string(label)})) out.insert(value);
  return {out.begin(), out.end()};
}

Snapshot HistoryView::At(Day day) const {
  Snapshot snapshot(&catalog_);
  std::map<std::string, const metrics::History::Record*> latest;
  for (auto it = days_.begin(); it != days_.end() && it->first <= day; ++it) {
    for (const auto& [owner, record] : it->second) latest[owner] = &record;
  }
  for (const auto& [owner, record] : latest) snapshot.Merge(*record);
  return snapshot;
}

bool HistoryView::HasDataIn(Day from, Day to) const {
  auto it = days_.lower_bound(from);
  return it != days_.end() && it->first < to;
}

}  // namespace huntline::reports
