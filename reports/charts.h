#pragma once

#include <optional>
#include <string>
#include <vector>

namespace huntline::reports {

/// How a chart's values read: the unit on the value axis and in its labels.
enum class Unit { kPercent, kAmount, kHours };

/// A line of a trend chart: one value per category, absent where there is none.
struct Line {
  std::string name;
  std::vector<std::optional<double>> values;
};

/// Inline SVG charts for reports, readable printed in black and white: lines differ by dash
/// pattern and marker as well as by grey level, every chart has a title, both axes with their
/// labels and the unit, and its values written next to bars. Pure functions of their data.
std::string TrendChart(const std::string& title, const std::string& x_label,
                       const std::vector<std::string>& categories, const std::vector<Line>& lines,
                       Unit unit);

/// A bar per (name, value), horizontal, sorted as given; negative values extend left.
std::string BarChart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                     Unit unit);

/// A waterfall: the start total, each step up or down, the end total.
std::string Waterfall(const std::string& title, const std::string& start_label, double start,
                      const std::vector<std::pair<std::string, double>>& steps,
                      const std::string& end_label, Unit unit);

/// Text made safe inside HTML or SVG markup (&, <, >, ").
std::string EscapeMarkup(const std::string& text);

/// A value as the unit writes it ("83%", "1.2M", "14 h").
std::string FormatValue(double value, Unit unit);

}  // namespace huntline::reports
