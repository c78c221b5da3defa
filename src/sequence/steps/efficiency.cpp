// Step kind efficiency (SPEC §17): the amplifier's output power against the power it draws
// from the station's [supply], every channel driven with a steady sine at a level or an
// output level into the step's load. The supply is read while the tone plays (on a real
// interface from another thread once the tone has settled; the simulated bench holds the
// draw of the transfer it just ran); over an output-level sweep, efficiency versus output
// power is a curve.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <thread>

#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "instruments/drivers.hpp"
#include "sequence/output_level.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

// The amplifier as a whole: the channel name its supply figures are stored under.
constexpr const char* kWholeAmplifier = "all";

// Only the band changes its figures: the output power is summed over it.
constexpr std::string_view kKeys[] = {"band"};
constexpr MeasurementSpec kMeasurements[] = {{"efficiency_pct", "%"},   {"supply_w", "W"},
                                             {"supply_current_a", "A"}, {"output_w", "W"},
                                             {"power_w", "W"},          {"input_level_dbv", "dBV"}};
constexpr CurveSpec kCurves[] = {{"efficiency_vs_power_pct", "Efficiency versus output power",
                                  "Output power, every channel (W)", "Efficiency (%)", true,
                                  false}};
constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level,
                                                     record::StimulusField::output_level};

struct SupplyReading {
  double volts = 0.0;
  double amps = 0.0;
};

class EfficiencyKind : public StepKindWith<ToneSettingsParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "efficiency"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }
  bool needs_station_alone(const StepPlan&, const Station&) const override { return true; }

 protected:
  ToneSettingsParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                                  const std::string& p) const override {
    ToneSettingsParams params;
    params.analysis = parse_tone_settings(r, t, p);
    require(r, t, step.stimulus.frequency_hz || step.sweeps_over(record::Dimension::frequency),
            p + "." + std::string(record::path_of(record::StimulusField::frequency_hz)),
            "required for an efficiency step");
    require(r, t,
            step.stimulus.level || step.sweeps_over(record::Dimension::level) ||
                step.stimulus.output_level || step.sweeps_over(record::Dimension::output_level),
            p + "." + std::string(record::path_of(record::StimulusField::level)),
            "required for an efficiency step (or stimulus.output_level)");
    require(r, t, step.load_ohm.has_value(), p + ".load_ohm",
            "an efficiency step needs the load its output power is delivered into");
    return params;
  }

  void check_params(StepChecks& checks, const ToneSettingsParams&) const override {
    if (!checks.station().supply)
      checks.error("kind",
                   "an efficiency step reads the station's [supply], and this station has none");
  }

  void run(StepContext& ctx, const ToneSettingsParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    auto& supply = ctx.bench().supply;
    if (!supply) throw MeasurementError("the station has no [supply] to read");
    const double f = *p.frequency_hz;
    const double load = *p.load_ohm;
    const auto found = input_for_point(ctx, p, f);
    if (!found.unreachable.empty()) {
      ctx.end_condition(p, found.unreachable, found.unreachable_by_bench);
      return;
    }
    const std::size_t frames = ctx.settle_frames() + ctx.analysed_frames();
    std::vector<std::vector<double>> x;
    for (const double vin : found.vin)
      x.push_back(ctx.steady({{f, ctx.peak_fs_of_vrms(vin), 0.0}}));
    SupplyReading reading;
    audio::Capture capture;
    const auto read = [&] { reading = {supply->read_voltage_v(), supply->read_current_a()}; };
    if (ctx.bench().port->plays_in_real_time()) {
      auto playing = std::async(std::launch::async, [&] { return ctx.play(x, frames, load); });
      const double wait_s =
          std::max(static_cast<double>(ctx.settle_frames()) / ctx.fs(), supply->settle_s());
      std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
      try {
        read();
      } catch (...) {
        playing.wait();
        throw;
      }
      capture = playing.get();
    } else {
      capture = ctx.play(x, frames, load);
      read();
    }
    double output_w = 0.0;
    dsp::ToneAnalysisOptions options;
    options.fundamental_hz = f;
    options.band = params.analysis.band;
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto a = dsp::analyze_tone(ctx.analysed(capture, c), ctx.fs(), options);
      // Everything the load dissipates: the output's total rms, harmonics and noise included.
      const double vrms = ctx.volts_at_dut_output(dsp::mean_square_to_dbfs(a.total_mean_square_fs));
      const double watts = vrms * vrms / load;
      output_w += watts;
      ctx.add(ctx.channels()[c], "power_w", watts, p.coordinates, f);
      if (p.output_level)
        ctx.add(ctx.channels()[c], "input_level_dbv", dsp::vrms_to_dbv(found.vin[c]), p.coordinates,
                f);
    }
    const double supply_w = reading.volts * reading.amps;
    ctx.add(kWholeAmplifier, "output_w", output_w, p.coordinates, f);
    ctx.add(kWholeAmplifier, "supply_w", supply_w, p.coordinates, f);
    ctx.add(kWholeAmplifier, "supply_current_a", reading.amps, p.coordinates, f);
    if (supply_w > 0.0)
      ctx.add(kWholeAmplifier, "efficiency_pct", 100.0 * output_w / supply_w, p.coordinates, f);
    else
      ctx.add_missing(kWholeAmplifier, "efficiency_pct",
                      "the supply reads no power (" + std::to_string(reading.volts) + " V, " +
                          std::to_string(reading.amps) + " A): is its output on and wired?",
                      p.coordinates, f);
  }

  // Over a level or output-level sweep: efficiency against the output power of every channel.
  void finish_params(StepContext& ctx, const ToneSettingsParams&,
                     const std::vector<Point>& points) const override {
    if (points.size() <= 1) return;
    record::CurveRecord curve{kWholeAmplifier,         "efficiency_vs_power_pct", "W", "%", {}, {},
                              nlohmann::json::object()};
    std::vector<std::pair<double, double>> by_power;
    const auto& measured = ctx.record().measurements;
    for (const auto& m : measured) {
      if (m.name != "efficiency_pct" || !std::isfinite(m.value)) continue;
      for (const auto& o : measured)
        if (o.name == "output_w" && o.point == m.point) by_power.emplace_back(o.value, m.value);
    }
    std::sort(by_power.begin(), by_power.end());
    for (const auto& [watts, pct] : by_power) {
      curve.x.push_back(watts);
      curve.y.push_back(pct);
    }
    if (curve.x.size() > 1) ctx.add_curve(std::move(curve));
  }
};

}  // namespace

const StepKind& efficiency_step_kind() {
  static const EfficiencyKind kind;
  return kind;
}

}  // namespace ampbench::sequence
