#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "metrics/catalog.h"
#include "metrics/history.h"

namespace huntline::reports {

/// Every figure as it stood at the end of one day, merged over the tasks (and instances) whose
/// records make it: counters and partition-local gauges summed, global figures by max.
class Snapshot {
 public:
  Snapshot() = default;
  Snapshot(const metrics::Catalog* catalog) : catalog_(catalog) {}  // NOLINT: an empty snapshot

  void Merge(const metrics::History::Record& record);

  /// The sum of a family's series whose labels match `where`, grouped by the values of `by`
  /// (joined with "/" when several); the whole sum under "" when `by` is empty.
  std::map<std::string, double> Sum(std::string_view family,
                                    const std::map<std::string, std::string>& where,
                                    const std::vector<std::string>& by = {}) const;
  double Total(std::string_view family, const std::map<std::string, std::string>& where) const;
  /// The values one label takes in a family (e.g. every team).
  std::vector<std::string> Values(std::string_view family, std::string_view label) const;

 private:
  const metrics::Catalog* catalog_ = nullptr;
  std::map<std::string, std::map<std::string, double>, std::less<>> families_;
};

/// A store's history, by day: figures at the end of any day, each owner's latest record on or
/// before it standing for the days it did not write (an engine that was down, a quiet day).
class HistoryView {
 public:
  HistoryView(const metrics::Catalog& catalog,
              std::map<Day, std::map<std::string, metrics::History::Record>> days)
      : catalog_(catalog), days_(std::move(days)) {}

  Snapshot At(Day day) const;
  /// Whether some record was written for a day in [from, to).
  bool HasDataIn(Day from, Day to) const;
  bool empty() const { return days_.empty(); }
  Day first_day() const { return days_.begin()->first; }
  Day last_day() const { return days_.rbegin()->first; }

 private:
  const metrics::Catalog& catalog_;
  std::map<Day, std::map<std::string, metrics::History::Record>> days_;
};

}  // namespace huntline::reports
