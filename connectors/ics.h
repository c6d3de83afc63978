#pragma once

#include <string_view>

#include "connectors/envelope.h"
#include "connectors/google_calendar.h"

namespace huntline::connectors {

/// ICS files and iTIP messages (MAPPING.md, section 6): one or more VCALENDARs of one person's
/// calendar.
Translation TranslateIcs(std::string_view input, const CalendarContext& context);

}  // namespace huntline::connectors
