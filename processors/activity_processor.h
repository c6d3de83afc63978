#pragma once

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
  Families families_;
};

void RegisterActivityProcessors(ProcessorRegistry& registry);

}  // namespace huntline::processors
