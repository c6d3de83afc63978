#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace huntline::metrics {

enum class Kind : uint8_t { kCounter, kGauge };

/// How one series combines across tasks and instances: counters and partition-local gauges are
/// partial sums; figures every instance derives from the global tables are the same everywhere
/// and combine with max (metrics.md).
enum class Merge : uint8_t { kSum, kMax };

struct FamilySpec {
  std::string name;  // full name, e.g. huntline_activities_total
  std::string help;
  Kind kind = Kind::kCounter;
  std::vector<std::string> labels;  // label names, in the order values are given
  Merge merge = Merge::kSum;
};

using FamilyId = uint32_t;

/// The domain metric families of this process. Filled once at start-up, when processors
/// register; read-only (and so safe to share between threads) afterwards.
class Catalog {
 public:
  /// Declares a family. Declaring the same name again returns the existing id.
  FamilyId Declare(FamilySpec spec);
  const FamilySpec& spec(FamilyId id) const { return specs_[id]; }
  size_t size() const { return specs_.size(); }
  std::optional<FamilyId> Find(std::string_view name) const;

 private:
  std::vector<FamilySpec> specs_;
};

/// Label values are joined with this byte into one series key.
inline constexpr char kLabelSeparator = '\x1f';

}  // namespace huntline::metrics
