#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace huntline::reports {

/// The report (BuildQuarterReport's document) as a self-contained HTML page: inline SVG charts,
/// print styles for A4 (one team per page), no script and nothing fetched.
std::string RenderHtml(const nlohmann::json& report);
/// The same as Markdown tables (charts left out: their figures are in the tables).
std::string RenderMarkdown(const nlohmann::json& report);
/// Every figure as one CSV row: scope (organisation or team), section, figure, key, value.
std::string RenderCsv(const nlohmann::json& report);

}  // namespace huntline::reports
