#include "report/step_plots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "record/dimensions.hpp"
#include "record/limits.hpp"
#include "record/point_words.hpp"
#include "report/svg_plot.hpp"

namespace ampbench::report {
namespace {

// How the curve is drawn, as stored with it; by its name and units on older runs.
record::CurveStyle style_of(const record::CurveRecord& c) {
  if (!c.style.title.empty()) return c.style;
  return {c.name, c.x_unit, c.y_unit, false, false};
}

// A limit as stored with the step, typed; none when the step has no limit of that name.
std::vector<record::LimitSegment> segments_of(const record::StepRecord& step,
                                              const std::string& name) {
  static const nlohmann::json none;
  const auto limits =
      record::limits_from_json(step.params.contains("limits") ? step.params["limits"] : none);
  const auto it = limits.find(name);
  return it == limits.end() ? std::vector<record::LimitSegment>() : it->second.segments;
}

std::string plain(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// The segment's bound in x's coordinate (the limit axis of x's unit); its ranges on the other
// axes said in the label.
PlotLimitLine limit_line(const record::LimitSegment& segment, const char* bound, double value,
                         const std::string& x_unit, const std::string& y_unit) {
  PlotLimitLine line{-INFINITY, INFINITY, value,
                     std::string(bound) + " " + plain(value) + " " + y_unit};
  for (const auto& axis : record::limit_axes()) {
    const auto& range = segment.range(axis.axis);
    const bool on_x = x_unit == axis.unit;
    const std::string unit(axis.unit);
    if (range.from) {
      if (on_x) line.x_from = *range.from;
      line.label += " from " + plain(*range.from) + " " + unit;
    }
    if (range.to) {
      if (on_x) line.x_to = *range.to;
      line.label += " to " + plain(*range.to) + " " + unit;
    }
  }
  if (segment.load_ohm) line.label += " at " + plain(*segment.load_ohm) + " Ω";
  return line;
}

// The line with the segment's excluded bands (on a frequency axis) left out as gaps.
void add_with_gaps(std::vector<PlotLimitLine>& lines, PlotLimitLine line,
                   const record::LimitSegment& segment, const std::string& x_unit) {
  const auto& frequency = record::spec_of(record::LimitAxis::frequency);
  if (x_unit == frequency.unit && !segment.exclude_hz.empty()) {
    auto bands = segment.exclude_hz;
    std::sort(bands.begin(), bands.end());
    line.label += " (excluding " + plain(bands.front().first) + "–" + plain(bands.front().second) +
                  " Hz" + (bands.size() > 1 ? " …)" : ")");
    for (const auto& [from, to] : bands) {
      if (from >= line.x_to || to <= line.x_from) continue;
      auto before = line;
      before.x_to = from;
      if (before.x_to > before.x_from) lines.push_back(before);
      line.x_from = to;
    }
  }
  if (line.x_to > line.x_from) lines.push_back(line);
}

// The loads the plot's curves were measured into (their points', else the step's).
std::vector<double> loads_of(const record::StepRecord& step,
                             const std::vector<const record::CurveRecord*>& curves) {
  const std::string key(record::key_of(record::Dimension::load));
  std::vector<double> loads;
  for (const auto* c : curves) {
    const auto& p = c->point;
    const auto& own = p.contains(key) ? p[key] : step.params.value(key, nlohmann::json());
    if (own.is_number() && std::find(loads.begin(), loads.end(), own.get<double>()) == loads.end())
      loads.push_back(own.get<double>());
  }
  return loads;
}

// Lines for every bound of the limits on this curve (or the measurement it plots); a
// deviation mask of one segment is shaded as a band instead (below). On an output-level axis
// a segment bounded in W is drawn once per load, at the level that power is into it.
std::vector<PlotLimitLine> limit_lines(const record::StepRecord& step,
                                       const std::vector<const record::CurveRecord*>& curves) {
  const auto& curve = *curves.front();
  std::vector<PlotLimitLine> lines;
  std::vector<std::string> names = {curve.name};
  if (measurement_of_curve(curve.name) != curve.name)
    names.push_back(measurement_of_curve(curve.name));
  const auto loads = loads_of(step, curves);
  const bool x_is_level = curve.x_unit == record::spec_of(record::LimitAxis::level).unit;
  for (const auto& name : names)
    for (const auto& segment : segments_of(step, name))
      for (const auto& [bound, value] :
           {std::pair{"min", segment.min}, std::pair{"max", segment.max}}) {
        if (!value) continue;
        auto line = limit_line(segment, bound, *value, curve.x_unit, curve.y_unit);
        const auto& in_w = segment.range(record::LimitAxis::power);
        if (!x_is_level || !in_w.bounded()) {
          add_with_gaps(lines, line, segment, curve.x_unit);
          continue;
        }
        for (double load : loads) {
          if (segment.load_ohm && *segment.load_ohm != load) continue;
          auto at_load = line;
          const auto dbv = [&](double w) { return 10.0 * std::log10(w * load); };
          if (in_w.from) at_load.x_from = dbv(*in_w.from);
          if (in_w.to) at_load.x_to = dbv(*in_w.to);
          if (!segment.load_ohm) at_load.label += " into " + plain(load) + " Ω";
          lines.push_back(at_load);
        }
      }
  return lines;
}

double first_gain_db(const record::StepRecord& step) {
  for (const auto& m : step.measurements)
    if (m.name == "gain_db") return m.value;
  return 0.0;
}

// A deviation_db mask of one table: a shaded band, around the 1 kHz gain on a response and
// around 0 dB on a deviation; a list of segments is drawn as lines.
void add_deviation_mask(const record::StepRecord& step, const record::CurveRecord& c, Plot& plot) {
  const auto segments = segments_of(step, "deviation_db");
  if (segments.empty()) return;
  const double around = c.name == "response_db" ? first_gain_db(step) : 0.0;
  const auto& d = segments.front();
  if (segments.size() == 1 && d.min && d.max && d.exclude_hz.empty()) {
    const auto& f = d.range(record::LimitAxis::frequency);
    plot.band = PlotBand{f.from.value_or(0.0), f.to.value_or(1e9), around + *d.min, around + *d.max,
                         "limit mask"};
    return;
  }
  for (const auto& segment : segments)
    for (const auto& [bound, value] :
         {std::pair{"min", segment.min}, std::pair{"max", segment.max}})
      if (value)
        add_with_gaps(plot.limit_lines,
                      limit_line(segment, bound, *value + around, c.x_unit, c.y_unit), segment,
                      c.x_unit);
}

}  // namespace

std::string measurement_of_curve(const std::string& name) {
  const auto vs = name.find("_vs_");
  const auto unit = name.rfind('_');
  if (vs == std::string::npos || unit == std::string::npos || unit <= vs) return name;
  return name.substr(0, vs) + name.substr(unit);
}

std::string plots_of(const record::StepRecord& step) {
  // One plot per curve name; spectra one per point (a family of spectra reads as noise).
  std::map<std::string, std::vector<const record::CurveRecord*>> groups;
  std::vector<std::string> order;
  for (const auto& c : step.curves) {
    const std::string key = c.name == "spectrum_dbv" ? c.name + " " + c.point.dump() : c.name;
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&c);
  }
  std::string out;
  for (const auto& key : order) {
    const auto& curves = groups[key];
    const auto& first = *curves.front();
    const auto style = style_of(first);
    Plot plot;
    plot.title = std::string(style.title);
    plot.x_label = std::string(style.x_label);
    plot.y_label = std::string(style.y_label);
    plot.log_x = style.log_x;
    plot.log_y = style.log_y;
    const bool family = std::any_of(curves.begin(), curves.end(),
                                    [&](const auto* c) { return c->point != first.point; });
    if (!family) {
      const std::string where = record::point_in_words(first.point);
      if (!where.empty()) plot.title += " (" + where + ")";
    }
    std::vector<std::string> channels;
    for (const auto* c : curves) {
      auto at = std::find(channels.begin(), channels.end(), c->channel);
      if (at == channels.end()) at = channels.insert(channels.end(), c->channel);
      PlotSeries series{c->channel, c->x, c->y, "", 0};
      if (family) {
        series.condition = record::point_in_words(c->point);
        if (series.condition.empty()) series.condition = "—";
        series.line_style = static_cast<int>(at - channels.begin());
      }
      plot.series.push_back(std::move(series));
    }
    if ((first.name == "response_db" && !step.params.contains("target")) ||
        first.name == "deviation_db")
      add_deviation_mask(step, first, plot);
    else
      plot.limit_lines = limit_lines(step, curves);
    // A multitone's spectrum: every tone marked by an unlabelled line (the response curves' x);
    // what stands between the marks is distortion and noise.
    if (first.name == "spectrum_dbv" && step.kind == "multitone")
      for (const auto& c : step.curves)
        if (c.name == "response_db" && c.point == first.point)
          for (double f : c.x) plot.markers.push_back({f, ""});
    if (first.name == "spectrum_dbv" && first.point.contains("fundamental_hz")) {
      const double f0 = first.point["fundamental_hz"].get<double>();
      for (int n = 2; n <= 10; ++n) plot.markers.push_back({f0 * n, "H" + std::to_string(n)});
    }
    out += render_svg(plot, family ? 900 : 640, family ? 420 : 360);
  }
  return out.empty() ? "" : "<div class=\"plots\">" + out + "</div>";
}

}  // namespace ampbench::report
