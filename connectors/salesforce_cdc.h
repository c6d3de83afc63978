#pragma once

#include <string_view>

#include "connectors/envelope.h"
#include "connectors/mapping.h"
#include "connectors/state.h"

namespace huntline::connectors {

/// Salesforce Change Data Capture events (MAPPING.md, section 2) in their three shapes (Pub/Sub
/// API JSON, Streaming API/CometD, Kafka Connect), one message, an array or JSON lines of them.
/// Partial changes are merged into the record images `state` holds.
Translation TranslateSalesforceCdc(std::string_view input, const Mapping& mapping, ConnectorState& state);

}  // namespace huntline::connectors
