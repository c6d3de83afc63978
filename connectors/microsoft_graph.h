#pragma once

#include <string_view>

#include "connectors/envelope.h"
#include "connectors/google_calendar.h"

namespace huntline::connectors {

/// Microsoft Graph calendar events (MAPPING.md, section 5): an event, a collection or delta page
/// (`value`), change notifications, and a subscription's validation request.
Translation TranslateMicrosoftGraph(std::string_view input, const CalendarContext& context);

}  // namespace huntline::connectors
