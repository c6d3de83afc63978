// libFuzzer target: the connectors' translators on arbitrary payloads.
//
// The first byte chooses the format (Salesforce CDC, HubSpot, Google Calendar, Microsoft Graph,
// ICS), the rest is the payload. Contract: every input ends as events, skips or dead letters
// (never an exception escaping, a crash or a leak), and every event written passes the checks
// the contract's schema makes (Translation::ContractViolation) with a time, an id and a key.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "connectors/google_calendar.h"
#include "connectors/hubspot.h"
#include "connectors/ics.h"
#include "connectors/mapping.h"
#include "connectors/microsoft_graph.h"
#include "connectors/salesforce_cdc.h"
#include "storage/kv_store.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

const huntline::connectors::Mapping& TestMapping() {
  static const huntline::connectors::Mapping mapping = [] {
    auto parsed = huntline::connectors::Mapping::Parse(R"(
salesforce: {org: acme}
hubspot: {portal_id: "42"}
users:
  - {user_id: u-a, emails: [a@example.com], salesforce_ids: [005000000000001AAA], hubspot_owner_ids: ["1"],
     graph_ids: [bb8775a4-4d8c-42cf-a1d4-4d58c2bb668f], timezone: Europe/Berlin}
)", "fuzz.yaml");
    Check(parsed.ok());
    return std::move(parsed).value();
  }();
  return mapping;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using namespace huntline::connectors;
  const std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  huntline::storage::MemoryKvStore store;
  ConnectorState state(store);
  const Mapping& mapping = TestMapping();
  const CalendarContext context{mapping, *mapping.FindCalendar("u-a"), 1'700'000'000'000, &state};
  Translation out;
  switch (data[0] % 5) {
    case 0: out = TranslateSalesforceCdc(payload, mapping, state); break;
    case 1: out = TranslateHubSpot(payload, mapping, state); break;
    case 2: out = TranslateGoogleCalendar(payload, context); break;
    case 3: out = TranslateMicrosoftGraph(payload, context); break;
    default: out = TranslateIcs(payload, context); break;
  }
  for (const ContractEvent& event : out.events) {
    Check(Translation::ContractViolation(event.event).empty());
    Check(event.time != huntline::kNoTime);
    Check(event.event.contains("partitionkey") && event.event["data"].is_object());
  }
  for (const Refusal& refusal : out.refusals) {
    Check(!refusal.reason.empty() && !refusal.detail.empty() && refusal.record.size() <= Refusal::kMaxRecordBytes);
  }
  return 0;
}
