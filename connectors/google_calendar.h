#pragma once

#include <optional>
#include <string_view>

#include "common/time.h"
#include "connectors/envelope.h"
#include "connectors/mapping.h"
#include "connectors/state.h"

namespace huntline::connectors {

/// Whose calendar an input is, and what translating it may fall back on.
struct CalendarContext {
  const Mapping& mapping;
  const Person& owner;                      // `--calendar`
  std::optional<Timestamp> observed_at;     // `--observed-at`: the time of records without one
  /// What a calendar's partial records need from earlier runs (ICS replies and RDATEs, Graph
  /// instance ids); null: this input only.
  ConnectorState* state = nullptr;
};

/// Google Calendar API v3 (MAPPING.md, section 4): an `events.list` page, a `calendar#event`, or
/// a JSON array or JSON lines of them.
Translation TranslateGoogleCalendar(std::string_view input, const CalendarContext& context);

}  // namespace huntline::connectors
