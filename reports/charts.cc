#include "reports/charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace huntline::reports {
namespace {

constexpr double kWidth = 640, kHeight = 300;
constexpr double kLeft = 70, kRight = 150, kTop = 40, kBottom = 50;
const char* const kDashes[] = {"", "6 3", "2 3", "8 3 2 3", "1 2", "10 4"};
const char* const kGreys[] = {"#000", "#444", "#777", "#222", "#555", "#999"};

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

const char* UnitName(Unit unit) {
  switch (unit) {
    case Unit::kPercent: return "percent";
    case Unit::kAmount: return "amount (currency)";
    case Unit::kHours: return "hours";
  }
  return "";
}

double Scaled(double value, Unit unit) { return unit == Unit::kHours ? value / 3600 : value; }

/// A "nice" upper bound for an axis and its tick step.
std::pair<double, double> Axis(double max, Unit unit) {
  if (unit == Unit::kPercent) return {1.0, 0.25};
  if (max <= 0) max = 1;
  const double magnitude = std::pow(10, std::floor(std::log10(max)));
  for (double step : {0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0}) {
    const double s = step * magnitude;
    if (max / s <= 5) return {std::ceil(max / s) * s, s};
  }
  return {max, max / 5};
}

std::string Header(const std::string& title, const std::string& description, double height) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 " +
         Num(kWidth) + " " + Num(height) + "\" width=\"" + Num(kWidth) + "\" height=\"" + Num(height) +
         "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n<title>" + EscapeMarkup(title) +
         "</title>\n<desc>" + EscapeMarkup(description) + "</desc>\n<text class=\"chart-title\" x=\"" +
         Num(kLeft) + "\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" + EscapeMarkup(title) + "</text>\n";
}

}  // namespace

std::string EscapeMarkup(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatValue(double value, Unit unit) {
  char buf[48];
  switch (unit) {
    case Unit::kPercent:
      std::snprintf(buf, sizeof buf, "%.0f%%", value * 100);
      break;
    case Unit::kHours:
      std::snprintf(buf, sizeof buf, "%.1f h", value / 3600);
      break;
    case Unit::kAmount:
      if (std::fabs(value) >= 1e6) {
        std::snprintf(buf, sizeof buf, "%.2fM", value / 1e6);
      } else if (std::fabs(value) >= 1e3) {
        std::snprintf(buf, sizeof buf, "%.1fk", value / 1e3);
      } else {
        std::snprintf(buf, sizeof buf, "%.0f", value);
      }
      break;
  }
  return buf;
}

std::string TrendChart(const std::string& title, const std::string& x_label,
                       const std::vector<std::string>& categories, const std::vector<Line>& lines,
                       Unit unit) {
  double max = 0;
  for (const auto& line : lines) {
    for (const auto& v : line.values) {
      if (v) max = std::max(max, Scaled(*v, unit));
    }
  }
  const auto [top, step] = Axis(max, unit);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto x_of = [&](size_t i) {
    return kLeft + (categories.size() <= 1 ? plot_w / 2 : plot_w * static_cast<double>(i) /
                                                            static_cast<double>(categories.size() - 1));
  };
  auto y_of = [&](double v) { return kTop + plot_h * (1 - v / top); };
  std::string svg = Header(title, std::string("Trend by ") + x_label + ", in " + UnitName(unit), kHeight);
  // Value axis with grid lines and tick labels.
  svg += "<g class=\"axis y\">\n";
  for (double v = 0; v <= top + step / 2; v += step) {
    const double y = y_of(v);
    svg += "<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + plot_w) + "\" y1=\"" + Num(y) +
           "\" y2=\"" + Num(y) + "\" stroke=\"#ccc\" stroke-width=\"0.5\"/>\n";
    svg += "<text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(y + 4) + "\" text-anchor=\"end\">" +
           FormatValue(unit == Unit::kHours ? v * 3600 : v, unit) + "</text>\n";
  }
  svg += "<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop) + "\" y2=\"" +
         Num(kTop + plot_h) + "\" stroke=\"#000\"/>\n";
  svg += "<text class=\"axis-label\" transform=\"translate(16 " + Num(kTop + plot_h / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + EscapeMarkup(UnitName(unit)) + "</text>\n</g>\n";
  // Category axis.
  svg += "<g class=\"axis x\">\n<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + plot_w) + "\" y1=\"" +
         Num(kTop + plot_h) + "\" y2=\"" + Num(kTop + plot_h) + "\" stroke=\"#000\"/>\n";
  const size_t every = std::max<size_t>(1, (categories.size() + 6) / 7);
  for (size_t i = 0; i < categories.size(); i += every) {
    svg += "<text x=\"" + Num(x_of(i)) + "\" y=\"" + Num(kTop + plot_h + 16) +
           "\" text-anchor=\"middle\" font-size=\"9\">" + EscapeMarkup(categories[i].substr(5)) + "</text>\n";
  }
  svg += "<text class=\"axis-label\" x=\"" + Num(kLeft + plot_w / 2) + "\" y=\"" + Num(kHeight - 10) +
         "\" text-anchor=\"middle\">" + EscapeMarkup(x_label) + "</text>\n</g>\n";
  // Lines: dash pattern and marker tell them apart without colour.
  for (size_t l = 0; l < lines.size(); ++l) {
    const char* dash = kDashes[l % 6];
    const char* grey = kGreys[l % 6];
    std::string path;
    for (size_t i = 0; i < lines[l].values.size() && i < categories.size(); ++i) {
      if (!lines[l].values[i]) continue;
      path += (path.empty() ? "M" : " L") + Num(x_of(i)) + " " + Num(y_of(Scaled(*lines[l].values[i], unit)));
    }
    svg += "<g class=\"series\"><path d=\"" + path + "\" fill=\"none\" stroke=\"" + grey +
           "\" stroke-width=\"1.6\" stroke-dasharray=\"" + dash + "\"/>\n";
    for (size_t i = 0; i < lines[l].values.size() && i < categories.size(); ++i) {
      if (!lines[l].values[i]) continue;
      const double x = x_of(i), y = y_of(Scaled(*lines[l].values[i], unit));
      svg += l % 2 == 0 ? "<circle cx=\"" + Num(x) + "\" cy=\"" + Num(y) + "\" r=\"2.5\" fill=\"" + grey + "\"/>\n"
                        : "<rect x=\"" + Num(x - 2.5) + "\" y=\"" + Num(y - 2.5) +
                              "\" width=\"5\" height=\"5\" fill=\"white\" stroke=\"" + grey + "\"/>\n";
    }
    // Legend entry beside the plot.
    const double ly = kTop + 14 * static_cast<double>(l);
    svg += "<line x1=\"" + Num(kWidth - kRight + 12) + "\" x2=\"" + Num(kWidth - kRight + 36) + "\" y1=\"" +
           Num(ly) + "\" y2=\"" + Num(ly) + "\" stroke=\"" + grey + "\" stroke-width=\"1.6\" stroke-dasharray=\"" +
           dash + "\"/><text x=\"" + Num(kWidth - kRight + 40) + "\" y=\"" + Num(ly + 4) + "\">" +
           EscapeMarkup(lines[l].name) + "</text></g>\n";
  }
  return svg + "</svg>\n";
}

std::string BarChart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                     Unit unit) {
  const double row = 20, height = kTop + kBottom + row * static_cast<double>(std::max<size_t>(bars.size(), 1));
  double max = 0, min = 0;
  for (const auto& [name, v] : bars) {
    max = std::max(max, Scaled(v, unit));
    min = std::min(min, Scaled(v, unit));
  }
  const double left = 170, plot_w = kWidth - left - 90;
  const auto [top, step] = Axis(std::max(max, -min), unit);
  const double zero = left + (min < 0 ? plot_w / 2 : 0);
  const double span = min < 0 ? plot_w / 2 : plot_w;
  auto x_of = [&](double v) { return zero + span * v / top; };
  std::string svg = Header(title, std::string("Bars in ") + UnitName(unit), height);
  const double bottom = kTop + row * static_cast<double>(bars.size());
  svg += "<g class=\"axis x\">\n<line x1=\"" + Num(left) + "\" x2=\"" + Num(left + plot_w) + "\" y1=\"" +
         Num(bottom) + "\" y2=\"" + Num(bottom) + "\" stroke=\"#000\"/>\n";
  for (double v = min < 0 ? -top : 0; v <= top + step / 2; v += step) {
    svg += "<text x=\"" + Num(x_of(v)) + "\" y=\"" + Num(bottom + 14) + "\" text-anchor=\"middle\" font-size=\"9\">" +
           FormatValue(unit == Unit::kHours ? v * 3600 : v, unit) + "</text>\n";
  }
  svg += "<text class=\"axis-label\" x=\"" + Num(left + plot_w / 2) + "\" y=\"" + Num(bottom + 32) +
         "\" text-anchor=\"middle\">" + EscapeMarkup(UnitName(unit)) + "</text>\n</g>\n";
  svg += "<g class=\"axis y\">\n<line x1=\"" + Num(zero) + "\" x2=\"" + Num(zero) + "\" y1=\"" + Num(kTop) +
         "\" y2=\"" + Num(bottom) + "\" stroke=\"#000\"/>\n";
  for (size_t i = 0; i < bars.size(); ++i) {
    svg += "<text x=\"" + Num(left - 6) + "\" y=\"" + Num(kTop + row * static_cast<double>(i) + 14) +
           "\" text-anchor=\"end\">" + EscapeMarkup(bars[i].first) + "</text>\n";
  }
  svg += "</g>\n";
  for (size_t i = 0; i < bars.size(); ++i) {
    const double v = Scaled(bars[i].second, unit);
    const double x = std::min(x_of(0), x_of(v)), w = std::fabs(x_of(v) - x_of(0));
    const double y = kTop + row * static_cast<double>(i) + 3;
    svg += "<rect class=\"bar\" x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" width=\"" + Num(w) +
           "\" height=\"14\" fill=\"" + (v < 0 ? "white" : "#555") + "\" stroke=\"#000\" stroke-width=\"0.8\"/>\n";
    svg += "<text x=\"" + Num(v < 0 ? x - 4 : x + w + 4) + "\" y=\"" + Num(y + 11) + "\" text-anchor=\"" +
           (v < 0 ? "end" : "start") + "\">" + FormatValue(bars[i].second, unit) + "</text>\n";
  }
  return svg + "</svg>\n";
}

std::string Waterfall(const std::string& title, const std::string& start_label, double start,
                      const std::vector<std::pair<std::string, double>>& steps,
                      const std::string& end_label, Unit unit) {
  std::vector<std::pair<std::string, double>> bars = {{start_label, start}};
  double running = start, high = std::max(0.0, start), low = std::min(0.0, start);
  for (const auto& [name, delta] : steps) {
    running += delta;
    high = std::max(high, running);
    low = std::min(low, running);
  }
  const double n = static_cast<double>(steps.size() + 2);
  const double plot_w = kWidth - kLeft - 30, plot_h = kHeight - kTop - kBottom - 20;
  const auto [top, step] = Axis(std::max(high, -low), unit);
  const double bottom_value = low < 0 ? -top : 0;
  auto y_of = [&](double v) { return kTop + plot_h * (top - v) / (top - bottom_value); };
  const double slot = plot_w / n, bar_w = slot * 0.6;
  std::string svg = Header(title, std::string("Waterfall in ") + UnitName(unit), kHeight);
  svg += "<g class=\"axis y\">\n";
  for (double v = bottom_value; v <= top + step / 2; v += step) {
    svg += "<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + plot_w) + "\" y1=\"" + Num(y_of(v)) + "\" y2=\"" +
           Num(y_of(v)) + "\" stroke=\"#ccc\" stroke-width=\"0.5\"/>\n<text x=\"" + Num(kLeft - 6) + "\" y=\"" +
           Num(y_of(v) + 4) + "\" text-anchor=\"end\">" + FormatValue(v, unit) + "</text>\n";
  }
  svg += "<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft) + "\" y1=\"" + Num(kTop) + "\" y2=\"" +
         Num(kTop + plot_h) + "\" stroke=\"#000\"/>\n<text class=\"axis-label\" transform=\"translate(16 " +
         Num(kTop + plot_h / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + UnitName(unit) + "</text>\n</g>\n";
  svg += "<g class=\"axis x\">\n<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + plot_w) + "\" y1=\"" +
         Num(y_of(0)) + "\" y2=\"" + Num(y_of(0)) + "\" stroke=\"#000\"/>\n";
  auto bar = [&](size_t i, const std::string& name, double from, double to, double label,
                 const char* fill) {
    const double x = kLeft + slot * static_cast<double>(i) + (slot - bar_w) / 2;
    const double y = std::min(y_of(from), y_of(to)), h = std::max(1.0, std::fabs(y_of(from) - y_of(to)));
    std::string out = "<rect class=\"bar\" x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" width=\"" + Num(bar_w) +
                      "\" height=\"" + Num(h) + "\" fill=\"" + fill + "\" stroke=\"#000\" stroke-width=\"0.8\"/>\n";
    out += "<text x=\"" + Num(x + bar_w / 2) + "\" y=\"" + Num(y - 3) + "\" text-anchor=\"middle\" font-size=\"9\">" +
           FormatValue(label, unit) + "</text>\n";
    out += "<text x=\"" + Num(x + bar_w / 2) + "\" y=\"" + Num(kTop + plot_h + 14) +
           "\" text-anchor=\"middle\" font-size=\"9\">" + EscapeMarkup(name) + "</text>\n";
    return out;
  };
  svg += bar(0, start_label, 0, start, start, "#555");
  running = start;
  for (size_t i = 0; i < steps.size(); ++i) {
    const double next = running + steps[i].second;
    svg += bar(i + 1, steps[i].first, running, next, steps[i].second,
               steps[i].second >= 0 ? "#bbb" : "white");
    running = next;
  }
  svg += bar(steps.size() + 1, end_label, 0, running, running, "#555");
  svg += "<text class=\"axis-label\" x=\"" + Num(kLeft + plot_w / 2) + "\" y=\"" + Num(kHeight - 10) +
         "\" text-anchor=\"middle\">change to the open amount (grey: in, white: out)</text>\n</g>\n";
  return svg + "</svg>\n";
}

}  // namespace huntline::reports
