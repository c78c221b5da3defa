// Step kind phantom: the DC on each channel's input pins (a mic preamp's phantom power),
// read by the station's DMM or typed by the operator.
#include "common/error.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

constexpr MeasurementSpec kMeasurements[] = {{"phantom_v", "V"}};

class PhantomKind : public StepKindWith<NoParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override { return {}; }
  std::string_view name() const override { return "phantom"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  bool analyses_capture() const override { return false; }
  // On a station with slots: one DMM, or the operator, reads each slot's phantom voltage.
  bool needs_station_alone(const StepPlan&, const Station&) const override { return true; }

 protected:
  NoParams parse_params(const TomlReader&, const toml::table&, const StepPlan&,
                        const std::string&) const override {
    return {};
  }

  void run(StepContext& ctx, const NoParams&, const Point&, std::size_t,
           std::size_t) const override {
    auto& bench = ctx.bench();
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto& channel = ctx.channels()[c];
      if (bench.dut) bench.dut->probe_input_pins(static_cast<int>(c + 1));
      double volts = 0.0;
      if (bench.dmm) {
        volts = bench.dmm->read_dc_v();
      } else {
        const std::string typed =
            ctx.io().ask("DC volts between pin 2 and ground of " + channel + "'s input:", "");
        try {
          volts = std::stod(typed);
        } catch (const std::exception&) {
          throw MeasurementError("no DMM in the station and no reading typed for " + channel);
        }
      }
      ctx.add(channel, "phantom_v", volts, nlohmann::json::object());
    }
  }
};

}  // namespace

const StepKind& phantom_step_kind() {
  static const PhantomKind kind;
  return kind;
}

}  // namespace ampbench::sequence
