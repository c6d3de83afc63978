#pragma once

#include <array>

#include "processors/classify.h"
#include "processors/processor.h"

namespace huntline::processors {

/// Classifies each `crm.activity.logged` by behaviour and counts it by the actor's team and role
/// (`huntline_activities_total`, `huntline_activity_seconds_total`) and per person
/// (`huntline_rep_activities_total`).
class ActivityProcessor : public Processor {
 public:
  struct Families {
    metrics::FamilyId activities;
    metrics::FamilyId seconds;
    metrics::FamilyId per_rep;
  };
  static Families Declare(metrics::Catalog& catalog);

  explicit ActivityProcessor(Families families) : families_(families) {}
  std::string_view name() const override { return "activity"; }
  void Process(const ingest::Event& event, ProcessorContext& context) override;

 private:
  /// One actor's series, filled as they are first used. Valid for the actor's snapshot they
  /// were built for (the actor's team and role as of the activity are in the labels).
  struct ActorSeries {
    uint64_t user_version = 0;  // the actor's snapshot (User::version); 0: unknown
    std::array<std::array<metrics::Shard::SeriesRef, 6>, 7> activities{};  // [behaviour][outcome]
    std::array<metrics::Shard::SeriesRef, 7> seconds{};
    std::array<metrics::Shard::SeriesRef, 7> per_rep{};
  };

  Families families_;
  StringMap<ActorSeries> actors_;
};

void RegisterActivityProcessors(ProcessorRegistry& registry);

}  // namespace huntline::processors
