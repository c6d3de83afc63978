#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace huntline::connectors {

/// The IANA name of a zone a vendor names: an IANA name as it is, `UTC`, or a Windows name
/// (`Pacific Standard Time`, as Microsoft 365 and Exchange write them) through CLDR's
/// windowsZones table (its territory "001" column). None when it is neither.
std::optional<std::string> IanaZone(std::string_view name);

/// Every (Windows name, IANA name) of the table.
void ForEachWindowsZone(const std::function<void(std::string_view windows, std::string_view iana)>& visit);

}  // namespace huntline::connectors
