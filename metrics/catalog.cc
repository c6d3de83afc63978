#include "metrics/catalog.h"

namespace huntline::metrics {

FamilyId Catalog::Declare(FamilySpec spec) {
  if (auto existing = Find(spec.name)) return *existing;
  specs_.push_back(std::move(spec));
  return static_cast<FamilyId>(specs_.size() - 1);
}

std::optional<FamilyId> Catalog::Find(std::string_view name) const {
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return static_cast<FamilyId>(i);
  }
  return std::nullopt;
}

}  // namespace huntline::metrics
