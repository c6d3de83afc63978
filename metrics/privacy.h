#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "metrics/published.h"

namespace huntline::metrics {

/// What per-person series (labels `rep`, `leader`, `interrupter`: user ids) show, on /metrics and
/// in the daily history (metrics.md, "Privacy").
enum class PerPerson {
  kOn,             // the user id
  kPseudonymized,  // a keyed pseudonym of it (Pseudonym())
  kOff,            // nothing: the label is empty and its series are summed, so team figures stay whole
};

/// Whether a label holds a user id.
bool IsPersonLabel(std::string_view label);

/// The pseudonym of a user id under `key`: "p-" and the first 8 hex digits of HMAC-SHA-256. The
/// same key gives the same pseudonym on every instance, in the history and in reports.
std::string Pseudonym(std::string_view key, std::string_view user_id);

/// The rewrite of label values that `mode` asks for; empty (no rewrite) for kOn.
LabelRewriter PersonRewriter(PerPerson mode, std::string key);

}  // namespace huntline::metrics
