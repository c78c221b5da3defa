// A QA40x station's [audio]: what the unit can do, and the ranges the safety maxima choose.
#include <algorithm>

#include "audio/qa40x_protocol.hpp"
#include "common/text.hpp"
#include "sequence/station_fields.hpp"

namespace ampbench::sequence::station_fields {

namespace qa40x = audio::qa40x;

void parse_qa40x_audio(const TomlReader& r, const toml::table& audio, const toml::table& safety,
                       double max_output_vrms, AudioSettings& settings) {
  if (settings.device.empty()) settings.device = "any";
  const std::string& device = settings.device;
  if (device != "any" && device != "sim" && device.rfind("serial:", 0) != 0)
    r.fail(audio.get("device"), "audio.device",
           "a QA40x is \"any\" (the first on the bus), \"serial:NNN\", or \"sim\" (the "
           "in-process fake wired to [sim]'s DUT)");
  const double rate = settings.sample_rate_hz;
  if (rate != 48000.0 && rate != 96000.0 && rate != 192000.0 && rate != 384000.0)
    r.fail(audio.get("sample_rate"), "audio.sample_rate",
           "a QA40x runs at 48000, 96000 or 192000 Hz (384000 on a QA403)");
  const auto on_unit = [](const std::vector<int>& channels) {
    return std::all_of(channels.begin(), channels.end(), [](int c) { return c == 1 || c == 2; });
  };
  if (!on_unit(settings.outputs))
    r.fail(audio.get("outputs"), "audio.outputs", "a QA40x has outputs 1 and 2");
  if (!on_unit(settings.inputs))
    r.fail(audio.get("inputs"), "audio.inputs", "a QA40x has inputs 1 and 2");
  if (settings.loopback && (settings.loopback->first > 2 || settings.loopback->second > 2))
    r.fail(audio.get("loopback"), "audio.loopback", "a QA40x has channels 1 and 2");
  for (const char* key : {"output_vrms_at_0dbfs", "input_vrms_at_0dbfs", "host_api"})
    if (audio.get(key))
      r.fail(audio.get(key), std::string("audio.") + key,
             "a QA40x sets it itself: its full scales follow the ranges safety.max_output_vrms "
             "and safety.max_input_vrms choose, trimmed by its calibration page");

  const auto output =
      std::find_if(qa40x::kOutputRangesDbv.begin(), qa40x::kOutputRangesDbv.end(),
                   [&](int dbv) { return qa40x::nominal_full_scale_vrms(dbv) >= max_output_vrms; });
  if (output == qa40x::kOutputRangesDbv.end())
    r.fail(safety.get("max_output_vrms"), "safety.max_output_vrms",
           fmt("is above the QA40x's top output range (18 dBV, %.2f Vrms)",
               qa40x::nominal_full_scale_vrms(18)));
  settings.qa40x_output_range_dbv = *output;
  settings.qa40x_input_range_dbv = qa40x::kInputRangesDbv.back();
  if (const auto most_in = r.number(safety, "max_input_vrms", "safety")) {
    const auto input =
        std::find_if(qa40x::kInputRangesDbv.begin(), qa40x::kInputRangesDbv.end(),
                     [&](int dbv) { return qa40x::nominal_full_scale_vrms(dbv) >= *most_in; });
    if (!(*most_in > 0.0) || input == qa40x::kInputRangesDbv.end())
      r.fail(safety.get("max_input_vrms"), "safety.max_input_vrms",
             fmt("must be positive and within the QA40x's top input range (42 dBV, %.0f Vrms)",
                 qa40x::nominal_full_scale_vrms(42)));
    settings.qa40x_input_range_dbv = *input;
  }
  settings.calibration.output_vrms_at_0dbfs =
      qa40x::nominal_full_scale_vrms(settings.qa40x_output_range_dbv);
  settings.calibration.input_vrms_at_0dbfs =
      qa40x::nominal_full_scale_vrms(settings.qa40x_input_range_dbv);
}

}  // namespace ampbench::sequence::station_fields
