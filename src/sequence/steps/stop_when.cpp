#include "sequence/steps/stop_when.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "common/text.hpp"
#include "dsp/units.hpp"
#include "record/point_words.hpp"
#include "sequence/points.hpp"

namespace ampbench::sequence {
namespace {

constexpr const char* kInputName = "level_at_criterion_dbv";
constexpr const char* kOutputName = "output_at_criterion_dbv";

// One channel at one drive.
struct Reading {
  double in_dbv = 0.0;
  double out_dbv = 0.0;
  double pct = 0.0;  // NaN where it cannot be told (THD with no harmonic in band)
};

const char* metric_name(const DistortionCriterion& c) {
  return c.thd_only ? "thd_pct" : "thdn_pct";
}

bool reached(const DistortionCriterion& c, double pct) {
  return std::isfinite(pct) && pct >= c.pct;
}

Reading reading_of(const DistortionCriterion& c, double vin, const ChannelTone& tone) {
  return {dsp::vrms_to_dbv(vin), dsp::vrms_to_dbv(tone.vrms_out),
          c.thd_only ? tone.analysis.thd_pct() : tone.analysis.thdn_pct()};
}

// The stored value of `name` for a channel at a point.
std::optional<double> stored(const record::StepRecord& step, const std::string& channel,
                             const std::string& name, const nlohmann::json& point) {
  for (const auto& m : step.measurements)
    if (m.channel == channel && m.name == name && m.point == point && std::isfinite(m.value))
      return m.value;
  return std::nullopt;
}

// The channel's reading at an earlier point of the sweep, from what it stored.
std::optional<Reading> stored_reading(const DistortionCriterion& c, const record::StepRecord& step,
                                      const std::string& channel, const nlohmann::json& point) {
  const auto gain = stored(step, channel, "gain_db", point);
  const auto out = stored(step, channel, "level_dbv", point);
  const auto pct = stored(step, channel, metric_name(c), point);
  if (!gain || !out || !pct) return std::nullopt;
  return Reading{*out - *gain, *out, *pct};
}

// The point of the sweep's plan measured just before this one in its condition (points a
// bracket added are not the sweep's).
std::optional<nlohmann::json> previous_point(const DistortionCriterion& c, StepContext& ctx,
                                             const Point& p) {
  std::set<std::string> planned;
  for (const auto& q : expand_points(ctx.step())) planned.insert(q.coordinates.dump());
  const auto condition = level_condition(p.coordinates);
  const auto& measurements = ctx.record().measurements;
  for (auto m = measurements.rbegin(); m != measurements.rend(); ++m)
    if (m->name == metric_name(c) && m->point != p.coordinates &&
        level_condition(m->point) == condition && planned.count(m->point.dump()))
      return m->point;
  return std::nullopt;
}

// A point between the previous one and `p` at input `vrms` on every channel: its level in
// the sweep's unit to 6 digits, and the drive that level is.
std::pair<Point, double> point_between(const StepContext& ctx, const Point& p, double vrms) {
  Point q = p;
  const LevelContext levels{ctx.station().audio.calibration.output_vrms_at_0dbfs, p.load_ohm};
  const auto text = format_level(vrms_to_level(vrms, p.level->unit, levels));
  q.level = parse_level(text);
  q.coordinates[std::string(record::key_of(record::Dimension::level))] = text;
  return {q, ctx.vrms_of(*q.level, p.load_ohm)};
}

// Where the criterion lies between two readings: log distortion against dB, as THD+N
// rises near a knee.
std::pair<double, double> crossing(const DistortionCriterion& c, const Reading& lo,
                                   const Reading& hi) {
  const double a = std::log(std::max(lo.pct, 1e-12)), b = std::log(hi.pct);
  const double u = b > a ? std::clamp((std::log(c.pct) - a) / (b - a), 0.0, 1.0) : 1.0;
  return {lo.in_dbv + u * (hi.in_dbv - lo.in_dbv), lo.out_dbv + u * (hi.out_dbv - lo.out_dbv)};
}

struct Bracket {
  std::size_t channel;
  double t_lo = 0.0, t_hi = 1.0;  // of the way from the previous point's input to this one's
  Reading lo, hi;
};

}  // namespace

std::optional<DistortionCriterion> parse_stop_when(const TomlReader& r, const toml::table& t,
                                                   const StepPlan& step, const std::string& field) {
  const toml::table* table = r.table(t, "stop_when", field, false);
  if (!table) return std::nullopt;
  const std::string q = field + ".stop_when";
  const bool level_sweep =
      !step.sweeps.empty() && (step.sweeps.back().dimension == record::Dimension::level ||
                               step.sweeps.back().dimension == record::Dimension::output_level);
  if (!level_sweep)
    r.fail(table, q,
           "needs the step's innermost sweep over stimulus.level or stimulus.output_level");
  return parse_distortion_criterion(r, *table, q);
}

void follow_criterion(StepContext& ctx, const DistortionCriterion& c, const Point& p,
                      const ToneSettings& settings, const std::vector<double>& vin,
                      const std::vector<ChannelTone>& tones, const PointFigures& store) {
  const auto& channels = ctx.channels();
  const auto condition = level_condition(p.coordinates);
  const auto previous = previous_point(c, ctx, p);
  std::vector<double> vin_before = vin;
  std::vector<Bracket> brackets;
  bool all_reached = true;
  for (std::size_t ch = 0; ch < channels.size(); ++ch) {
    if (stored(ctx.record(), channels[ch], kInputName, condition)) continue;
    const Reading now = reading_of(c, vin[ch], tones[ch]);
    const auto before =
        previous ? stored_reading(c, ctx.record(), channels[ch], *previous) : std::nullopt;
    if (before) vin_before[ch] = dsp::dbv_to_vrms(before->in_dbv);
    if (!reached(c, now.pct)) {
      all_reached = false;
    } else if (before && !reached(c, before->pct)) {
      brackets.push_back({ch, 0.0, 1.0, *before, now});
    }
  }
  // Halve the widest bracket until each is within the resolution: every capture drives all
  // channels and narrows each bracket it falls in.
  const bool input_sweep = p.level && !p.output_level;
  const auto added_from = ctx.record().measurements.size();
  std::map<std::string, double> t_of_point;  // the points added, by coordinates
  for (int capture = 0; capture < kMaxCrossingCaptures; ++capture) {
    const auto widest = std::max_element(brackets.begin(), brackets.end(), [](auto& a, auto& b) {
      return a.hi.in_dbv - a.lo.in_dbv < b.hi.in_dbv - b.lo.in_dbv;
    });
    if (widest == brackets.end() || widest->hi.in_dbv - widest->lo.in_dbv <= kCrossingResolutionDb)
      break;
    const double t = 0.5 * (widest->t_lo + widest->t_hi);
    std::vector<double> drive(channels.size());
    for (std::size_t ch = 0; ch < channels.size(); ++ch)
      drive[ch] = vin_before[ch] * std::pow(vin[ch] / vin_before[ch], t);
    std::optional<Point> q;
    if (input_sweep) {
      auto [between_point, vrms] = point_between(ctx, p, drive.front());
      q = std::move(between_point);
      drive.assign(channels.size(), vrms);
    }
    auto between = ctx.capture_tones(*p.frequency_hz, drive, p.load_ohm, settings, false);
    if (q && t_of_point.emplace(q->coordinates.dump(), t).second) store(*q, drive, between);
    for (auto& b : brackets) {
      if (!(t > b.t_lo && t < b.t_hi)) continue;
      const Reading r = reading_of(c, drive[b.channel], between[b.channel]);
      const bool over = reached(c, r.pct);
      (over ? b.t_hi : b.t_lo) = t;
      (over ? b.hi : b.lo) = r;
    }
  }
  // The points added stand in the record by level, before this point's.
  auto& measurements = ctx.record().measurements;
  const auto added = measurements.begin() + static_cast<std::ptrdiff_t>(added_from);
  std::stable_sort(added, measurements.end(), [&](const auto& a, const auto& b) {
    return t_of_point.at(a.point.dump()) < t_of_point.at(b.point.dump());
  });
  const auto first_of_point = std::find_if(measurements.begin(), added,
                                           [&](const auto& m) { return m.point == p.coordinates; });
  std::rotate(first_of_point, added, measurements.end());
  for (const auto& b : brackets) {
    const auto [in_dbv, out_dbv] = crossing(c, b.lo, b.hi);
    ctx.add(channels[b.channel], kInputName, in_dbv, condition, p.frequency_hz);
    ctx.add(channels[b.channel], kOutputName, out_dbv, condition, p.frequency_hz);
  }
  if (all_reached) {
    const std::string where = record::point_in_words(condition);
    ctx.stop_condition(fmt("%s reached %g %%", c.name(), c.pct) +
                       (where.empty() ? "" : " at " + where));
  }
}

void report_uncrossed(StepContext& ctx, const DistortionCriterion& c,
                      const std::vector<Point>& points) {
  std::vector<std::pair<nlohmann::json, std::optional<double>>> conditions;  // and frequency
  for (const auto& p : points) {
    auto condition = level_condition(p.coordinates);
    if (std::none_of(conditions.begin(), conditions.end(),
                     [&](const auto& known) { return known.first == condition; }))
      conditions.emplace_back(std::move(condition), p.frequency_hz);
  }
  const std::string criterion = fmt("%s %g %%", c.name(), c.pct);
  for (const auto& [condition, hz] : conditions)
    for (const auto& channel : ctx.channels()) {
      if (stored(ctx.record(), channel, kInputName, condition)) continue;
      std::optional<double> first, highest;
      for (const auto& m : ctx.record().measurements)
        if (m.channel == channel && m.name == metric_name(c) && std::isfinite(m.value) &&
            level_condition(m.point) == condition) {
          if (!first) first = m.value;
          highest = std::max(highest.value_or(m.value), m.value);
        }
      const std::string why =
          !first ? "no point of the sweep was measured"
          : reached(c, *first)
              ? fmt("%s was already %.3g %% at the sweep's first level", c.name(), *first) +
                    ": the crossing lies below it"
              : criterion + " not reached over the sweep (at most " + fmt("%.3g %%)", *highest);
      ctx.add_missing(channel, kInputName, why, condition, hz);
      ctx.add_missing(channel, kOutputName, why, condition, hz);
    }
}

}  // namespace ampbench::sequence
