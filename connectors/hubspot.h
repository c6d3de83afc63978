#pragma once

#include <string_view>

#include "connectors/envelope.h"
#include "connectors/mapping.h"
#include "connectors/state.h"

namespace huntline::connectors {

/// HubSpot (MAPPING.md, section 3): webhook batches (legacy and generic subscription types) and
/// CRM v3 objects or responses holding them. One-property changes are merged into the record
/// images `state` holds.
Translation TranslateHubSpot(std::string_view input, const Mapping& mapping, ConnectorState& state);

}  // namespace huntline::connectors
