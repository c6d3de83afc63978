#include "processors/activity_processor.h"

#include "processors/classify.h"
#include "processors/pipeline_processor.h"
#include "processors/protected_processor.h"
#include "processors/prospect_processor.h"

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
  const Behaviour behaviour = context.BehaviourOf(activity, event.time);
  // The actor's team and role as of the activity, however late it is read.
  const OrgView then = context.org.At(event.time);
  const User* actor = then.FindUser(activity.actor_id);
  const uint64_t user_version = actor ? actor->version : 0;
  auto it = actors_.find(activity.actor_id);
  if (it == actors_.end()) it = actors_.try_emplace(activity.actor_id).first;
  if (it->second.user_version != user_version) it->second = ActorSeries{user_version};
  ActorSeries& series = it->second;
  const auto b = static_cast<size_t>(behaviour);
  const auto o = static_cast<size_t>(activity.outcome);
  const std::string_view team = then.TeamOf(activity.actor_id);
  const std::string_view role = then.RoleOf(activity.actor_id);
  const std::string_view behaviour_name = kBehaviourNames[b];
  auto& counted = series.activities[b][o];
  if (!counted.entry) {
    counted = context.metrics.Ref(
        families_.activities,
        {team, role, behaviour_name, ingest::Name(activity.outcome, ingest::kActivityOutcomeNames)});
  }
  context.metrics.Add(counted, 1);
  if (activity.duration_s) {
    auto& seconds = series.seconds[b];
    if (!seconds.entry) seconds = context.metrics.Ref(families_.seconds, {team, role, behaviour_name});
    context.metrics.Add(seconds, *activity.duration_s);
  }
  auto& per_rep = series.per_rep[b];
  if (!per_rep.entry) {
    per_rep = context.metrics.Ref(families_.per_rep, {team, activity.actor_id, behaviour_name});
  }
  context.metrics.Add(per_rep, 1);
}

void RegisterActivityProcessors(ProcessorRegistry& registry) {
  const auto families = ActivityProcessor::Declare(registry.catalog());
  registry.Add(ingest::TopicKind::kCrm,
               [families] { return std::make_unique<ActivityProcessor>(families); });
}

void RegisterAllProcessors(ProcessorRegistry& registry) {
  registry.SetOrgFigures(OrgFigures::Declare(registry.catalog()));
  RegisterActivityProcessors(registry);
  RegisterProspectProcessors(registry);
  RegisterPipelineProcessors(registry);
  RegisterProtectedTimeProcessors(registry);
}

}  // namespace huntline::processors
