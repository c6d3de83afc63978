#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "connectors/envelope.h"

namespace huntline::connectors {

/// A string member of a JSON object, or "" when it is absent or not a string.
std::string Str(const Json& object, const char* key);

/// An RFC 5545 date-time or date as calendars write them: `20250325T073000` (local, in `zone`),
/// `20250325T123000Z` (UTC) or `20250325` (00:00 local). `zone` must be an IANA name.
std::optional<Timestamp> IcalInstant(std::string_view text, const std::string& zone);

/// An ISO 8601 local date-time without offset, as Google and Graph write them with a separate
/// zone (`2017-09-04T12:00:00.0000000`; the fraction is dropped), or a date (`2022-02-22`).
std::optional<Timestamp> LocalInstant(std::string_view text, const std::string& zone);

/// A number written as text, whole (`"1500.50"`); none when any of it is not a number.
std::optional<double> ParseNumber(std::string_view text);

/// An amount as the contract writes it: a whole number without a fraction.
Json Amount(double value);

/// `YYYYMMDDTHHMMSSZ`, as RFC 5545 writes a UTC date-time (`UNTIL`).
std::string IcalUtc(Timestamp t);

}  // namespace huntline::connectors
