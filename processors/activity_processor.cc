#include "processors/activity_processor.h"

#include "processors/classify.h"

namespace huntline::processors {

ActivityProcessor::Families ActivityProcessor::Declare(metrics::Catalog& catalog) {
  using metrics::Kind;
  Families f;
  f.activities = catalog.Declare(
      {"huntline_activities_total",
       "Activities by the actor's team and role, by behaviour (what kind of work it was) and outcome",
       Kind::kCounter,
       {"team", "role", "behaviour", "outcome"}});
  f.seconds = catalog.Declare({"huntline_activity_seconds_total",
                               "Logged duration of activities (duration_s), by behaviour",
                               Kind::kCounter,
                               {"team", "role", "behaviour"}});
  f.per_rep = catalog.Declare({"huntline_rep_activities_total",
                               "Activities per person, by behaviour",
                               Kind::kCounter,
                               {"team", "rep", "behaviour"}});
  return f;
}

void ActivityProcessor::Process(const ingest::Event& event, ProcessorContext& context) {
  if (event.type != ingest::EventType::kActivityLogged) return;
  const auto& activity = event.As<ingest::ActivityLogged>();
  const Behaviour behaviour =
      ClassifyActivity(activity, event.time, context.org, context.crm, context.settings);
  const std::string_view team = context.org.TeamOf(activity.actor_id);
  const std::string_view role = context.org.RoleOf(activity.actor_id);
  const std::string_view behaviour_name = kBehaviourNames[static_cast<size_t>(behaviour)];
  context.metrics.Add(families_.activities,
                      {team, role, behaviour_name,
                       ingest::Name(activity.outcome, ingest::kActivityOutcomeNames)},
                      1);
  if (activity.duration_s) {
    context.metrics.Add(families_.seconds, {team, role, behaviour_name}, *activity.duration_s);
  }
  context.metrics.Add(families_.per_rep, {team, activity.actor_id, behaviour_name}, 1);
}

void RegisterActivityProcessors(ProcessorRegistry& registry) {
  const auto families = ActivityProcessor::Declare(registry.catalog());
  registry.Add(ingest::TopicKind::kCrm,
               [families] { return std::make_unique<ActivityProcessor>(families); });
}

void RegisterAllProcessors(ProcessorRegistry& registry) { RegisterActivityProcessors(registry); }

}  // namespace huntline::processors
