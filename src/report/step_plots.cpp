#include "report/step_plots.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "record/dimensions.hpp"
#include "record/limits.hpp"
#include "record/point_words.hpp"
#include "report/export.hpp"
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

// A deviation_db mask of one table: a shaded band, around `around` (a response's 1 kHz gain,
// 0 dB on a deviation or a normalised response); a list of segments is drawn as lines.
void add_deviation_mask(const record::StepRecord& step, const record::CurveRecord& c, double around,
                        Plot& plot) {
  const auto segments = segments_of(step, "deviation_db");
  if (segments.empty()) return;
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

double first_gain_db(const record::StepRecord& step) {
  for (const auto& m : step.measurements)
    if (m.name == "gain_db") return m.value;
  return 0.0;
}

// The curve's value at `hz`, linear in log frequency between its points; none outside them.
std::optional<double> value_at(const std::vector<double>& x, const std::vector<double>& y,
                               double hz) {
  for (std::size_t i = 0; i + 1 < std::min(x.size(), y.size()); ++i) {
    const double lo = std::min(x[i], x[i + 1]), hi = std::max(x[i], x[i + 1]);
    if (!(hz >= lo && hz <= hi && lo > 0.0)) continue;
    if (hi == lo) return y[i];
    const double t = std::log(hz / x[i]) / std::log(x[i + 1] / x[i]);
    return y[i] + t * (y[i + 1] - y[i]);
  }
  return std::nullopt;
}

std::string number_text(double v, int digits) {
  char text[40];
  std::snprintf(text, sizeof text, "%.*g", digits, v);
  return text;
}

}  // namespace

std::string titled_with_conditions(const std::string& title, const record::StepRecord& step) {
  const auto conditions = record::conditions_in_words(step.params);
  return conditions.empty() ? title : title + " — " + conditions;
}

std::string plot_csv(const Plot& plot, int digits) {
  std::string out =
      "channel,condition," + csv_field(plot.x_label) + "," + csv_field(plot.y_label) + "\n";
  for (const auto& s : plot.series)
    for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      out += csv_field(s.name) + "," + csv_field(s.condition) + "," + number_text(s.x[i], digits) +
             "," + number_text(s.y[i], digits) + "\n";
  return out;
}

std::string measurement_of_curve(const std::string& name) {
  const auto vs = name.find("_vs_");
  const auto unit = name.rfind('_');
  if (vs == std::string::npos || unit == std::string::npos || unit <= vs) return name;
  return name.substr(0, vs) + name.substr(unit);
}

std::vector<StepPlot> step_plots(const record::StepRecord& step, const PlotOptions& options) {
  // One plot per curve name; spectra one per point (a family of spectra reads as noise).
  std::map<std::string, std::vector<const record::CurveRecord*>> groups;
  std::vector<std::string> order;
  for (const auto& c : step.curves) {
    const std::string key = c.name == "spectrum_dbv" ? c.name + " " + c.point.dump() : c.name;
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&c);
  }
  std::vector<StepPlot> plots;
  int spectra = 0;
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
    const bool response = first.name == "response_db";
    const bool normalized = response && options.normalize_hz;
    std::vector<std::string> channels;
    for (const auto* c : curves) {
      auto at = std::find(channels.begin(), channels.end(), c->channel);
      if (at == channels.end()) at = channels.insert(channels.end(), c->channel);
      PlotSeries series{c->channel, c->x, c->y, "", 0};
      if (normalized) {
        // A curve that does not reach the frequency is left out, not drawn unnormalised.
        const auto at_hz = value_at(c->x, c->y, *options.normalize_hz);
        if (!at_hz) continue;
        for (double& y : series.y) y -= *at_hz;
      }
      if (family) {
        series.condition = record::point_in_words(c->point);
        if (series.condition.empty()) series.condition = "—";
        series.line_style = static_cast<int>(at - channels.begin());
      }
      plot.series.push_back(std::move(series));
    }
    if (normalized) {
      plot.title += ", normalised to 0 dB at " + record::frequency_in_words(*options.normalize_hz);
      plot.y_label = "Level re " + record::frequency_in_words(*options.normalize_hz) + " (dB)";
    }
    plot.title = titled_with_conditions(plot.title, step);
    if (options.limits) {
      // A family's responses each have their own gain: one mask fits them all only once they
      // are normalised.
      const bool masked =
          first.name == "deviation_db" || (response && !step.params.contains("target"));
      if (!masked)
        plot.limit_lines = limit_lines(step, curves);
      else if (first.name == "deviation_db")
        add_deviation_mask(step, first, 0.0, plot);
      else if (normalized || !family)
        add_deviation_mask(step, first, normalized ? 0.0 : first_gain_db(step), plot);
    }
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
    std::string name = first.name;
    if (first.name == "spectrum_dbv" && ++spectra > 1) name += "-" + std::to_string(spectra);
    plots.push_back({name, std::move(plot), family ? 900 : 640, family ? 420 : 360});
  }
  return plots;
}

std::string plots_of(const record::StepRecord& step, const std::string& file,
                     const PlotOptions& options) {
  std::string out;
  for (const auto& p : step_plots(step, options)) {
    // The CSV behind the save button: 7 digits keep the page small; `report --format plots`
    // writes every digit.
    std::string csv = xml_escape(plot_csv(p.plot, 7));
    for (std::size_t at = 0; (at = csv.find('\n', at)) != std::string::npos;)
      csv.replace(at, 1, "&#10;");
    out += "<figure class=\"plot-box\" data-file=\"" + xml_escape(file + "-" + p.name) +
           "\" data-csv=\"" + csv + "\">" + render_svg(p.plot, p.width, p.height) +
           "<figcaption class=\"save\">Save <button type=\"button\" data-save=\"svg\">SVG</button> "
           "<button type=\"button\" data-save=\"png\">PNG</button> <button type=\"button\" "
           "data-save=\"csv\">CSV</button></figcaption></figure>";
  }
  return out.empty() ? "" : "<div class=\"plots\">" + out + "</div>";
}

}  // namespace ampbench::report
