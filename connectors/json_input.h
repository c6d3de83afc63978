#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "connectors/envelope.h"

namespace huntline::connectors {

/// Reads `input` as one JSON value (visited at `$`) or, when it is not one, as JSON lines (each
/// visited at `$[n]`, n the line's index among the non-blank ones). A line that is not JSON is
/// refused (`unrecognized_input`); an input that is neither refuses at `$`.
inline void ForEachJsonValue(std::string_view input, Translation& out,
                             const std::function<void(const Json& value, const std::string& locator)>& visit) {
  Json whole = Json::parse(input.begin(), input.end(), nullptr, false);
  if (!whole.is_discarded()) {
    visit(whole, "$");
    return;
  }
  if (input.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    out.Refuse("$", "unrecognized_input", "the input is empty", input);
    return;
  }
  size_t index = 0;
  while (!input.empty()) {
    const size_t newline = input.find('\n');
    std::string_view line = input.substr(0, newline);
    input.remove_prefix(newline == std::string_view::npos ? input.size() : newline + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string locator = "$[" + std::to_string(index++) + "]";
    Json value = Json::parse(line.begin(), line.end(), nullptr, false);
    if (value.is_discarded()) {
      out.Refuse(locator, "unrecognized_input", "not JSON, and the input is not one JSON value either", line);
      continue;
    }
    visit(value, locator);
  }
}

}  // namespace huntline::connectors
