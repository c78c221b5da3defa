#include "cli/analyze_multitone.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"
#include "dsp/multitone_search.hpp"
#include "dsp/units.hpp"

namespace ampbench::cli {
namespace {

// The table `generate multitone --design` prints: channel,frequency_hz,bin (a header line
// first). The period is what puts each bin at its frequency at the WAV's rate.
dsp::MultitoneDesign read_design(const std::string& path, double fs, std::size_t channels) {
  std::ifstream in(path);
  if (!in) throw IoError(path + ": cannot be read");
  std::vector<std::vector<std::size_t>> bins(channels);
  std::size_t period = 0;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#' || line.rfind("channel", 0) == 0) continue;
    std::istringstream fields(line);
    std::size_t channel = 0, bin = 0;
    double frequency_hz = 0.0;
    char comma1 = 0, comma2 = 0;
    if (!(fields >> channel >> comma1 >> frequency_hz >> comma2 >> bin) || comma1 != ',' ||
        comma2 != ',' || bin == 0 || !(frequency_hz > 0.0))
      throw InputError(path, number, "", "expected channel,frequency_hz,bin");
    if (channel < 1 || channel > channels)
      throw InputError(path, number, "channel",
                       "channel " + std::to_string(channel) + " is not in the WAV (" +
                           std::to_string(channels) + " channel(s))");
    const auto n =
        static_cast<std::size_t>(std::llround(static_cast<double>(bin) * fs / frequency_hz));
    if (period == 0) period = n;
    if (n != period || (n & (n - 1)) != 0 ||
        std::abs(static_cast<double>(bin) * fs / static_cast<double>(n) - frequency_hz) >
            1e-6 * frequency_hz + 1e-5)
      throw InputError(
          path, number, "frequency_hz",
          fmt("%g Hz on bin %zu is no power-of-two period at %g Hz", frequency_hz, bin, fs) +
              (period && n != period ? fmt(" (the lines above have %zu)", period) : std::string()));
    bins[channel - 1].push_back(bin);
  }
  if (period == 0) throw InputError(path, "holds no tone (expected channel,frequency_hz,bin)");
  return dsp::multitone_design_of_bins(fs, period, std::move(bins));
}

nlohmann::json channel_figures(const dsp::MultitoneDesign& d,
                               const std::vector<dsp::MultitoneSpectrum>& spectra, std::size_t c,
                               const dsp::FrequencyBand& band, std::size_t periods) {
  const auto& s = spectra[c];
  const double band_to = std::min(0.45 * d.sample_rate_hz, band.high_hz);
  const auto r = dsp::multitone_residual(s, d, band.low_hz, band_to, periods);
  nlohmann::json j = {{"channel", c + 1}, {"tones", d.bins[c].size()}};
  nlohmann::json notes = nlohmann::json::array();
  const bool present = !d.bins[c].empty() && dsp::multitone_present(s, d, c, r);
  std::vector<double> frequency_hz, db;
  if (present) {
    const std::size_t ref = d.reference[c];
    const double ref_amplitude = std::abs(s.tones[c][ref]);
    for (std::size_t k = 0; k < d.bins[c].size(); ++k) {
      frequency_hz.push_back(d.frequency_hz(c, k));
      db.push_back(dsp::amplitude_ratio_to_db(std::abs(s.tones[c][k]) / ref_amplitude));
    }
    j["reference_hz"] = d.frequency_hz(c, ref);
    j["level_dbfs"] = dsp::mean_square_to_dbfs(dsp::multitone_own_mean_square(s, c));
    j["deviation_min_db"] = *std::min_element(db.begin(), db.end());
    j["deviation_max_db"] = *std::max_element(db.begin(), db.end());
    const double tdn = r.residual_ms / r.total_ms;
    j["tdn_db"] = number_or_null(dsp::power_ratio_to_db(tdn));
    j["tdn_pct"] = number_or_null(100.0 * std::sqrt(tdn));
  } else {
    for (const char* name : {"reference_hz", "level_dbfs", "deviation_min_db", "deviation_max_db",
                             "tdn_db", "tdn_pct"})
      j[name] = nullptr;
    notes.push_back("no tone of this channel's set stands above the noise");
  }
  j["noise_dbfs"] =
      r.noise_ms > 0.0 ? nlohmann::json(dsp::mean_square_to_dbfs(r.noise_ms)) : nlohmann::json();
  if (!(r.noise_ms > 0.0)) notes.push_back("no bin of the band is clear of the tones");
  const auto x = dsp::multitone_crosstalk(spectra, d, c, r);
  j["crosstalk_db"] = spectra.size() > 1 ? number_or_null(x.worst_db) : nlohmann::json();
  if (spectra.size() > 1 && x.worst_at_noise)
    notes.push_back("crosstalk at the noise floor: the crosstalk is below this");
  j["channel_map_ok"] = x.map_ok;
  j["dc_fs"] = s.dc_fs;
  j["response"] = {{"frequency_hz", frequency_hz}, {"db", db}};
  j["notes"] = notes;
  return j;
}

std::string db_or_dash(const nlohmann::json& v, const char* format) {
  return v.is_number() ? fmt(format, v.get<double>()) : std::string("—");
}

}  // namespace

nlohmann::json analyze_multitone(const std::string& wav, const audio::AudioBuffer& buffer,
                                 const MultitoneAnalyzeOptions& o) {
  const double fs = buffer.sample_rate_hz;
  std::vector<std::span<const double>> channels;
  for (const auto& x : buffer.channels) channels.emplace_back(x);
  const auto design = o.design_csv.empty() ? dsp::find_multitone(channels, fs)
                                           : read_design(o.design_csv, fs, channels.size());
  const std::size_t n = design.period_frames;
  if (buffer.frames() < n)
    throw InputError(wav, fmt("has %zu frames; the multitone's period is %zu", buffer.frames(), n));
  std::size_t periods = buffer.frames() / n;
  for (const auto& x : channels) periods = std::min(periods, dsp::steady_periods(x, n));
  std::vector<dsp::MultitoneSpectrum> spectra;
  for (const auto& x : channels)
    spectra.push_back(dsp::analyse_multitone(x.subspan(x.size() - periods * n), design));
  nlohmann::json out = {{"file", wav},
                        {"sample_rate", fs},
                        {"period_frames", n},
                        {"periods", periods},
                        {"design", o.design_csv.empty() ? "found in the capture" : o.design_csv},
                        {"channels", nlohmann::json::array()}};
  for (std::size_t c = 0; c < channels.size(); ++c)
    if (!o.channel || static_cast<std::size_t>(*o.channel) == c + 1)
      out["channels"].push_back(channel_figures(design, spectra, c, o.band, periods));
  return out;
}

void print_multitone(const nlohmann::json& a) {
  std::printf("multitone: period %zu frames, %zu steady period(s) analysed, design %s\n",
              a["period_frames"].get<std::size_t>(), a["periods"].get<std::size_t>(),
              a["design"].get<std::string>().c_str());
  for (const auto& c : a["channels"]) {
    std::printf("channel %d: %zu tones\n", c["channel"].get<int>(), c["tones"].get<std::size_t>());
    std::printf("  level       %s dBFS (the tones' rms)\n",
                db_or_dash(c["level_dbfs"], "%9.2f").c_str());
    std::printf("  response    %s to %s dB re the tone at %s Hz\n",
                db_or_dash(c["deviation_min_db"], "%.2f").c_str(),
                db_or_dash(c["deviation_max_db"], "%+.2f").c_str(),
                db_or_dash(c["reference_hz"], "%.1f").c_str());
    std::printf("  TD+N        %s dB   %s %%\n", db_or_dash(c["tdn_db"], "%9.2f").c_str(),
                db_or_dash(c["tdn_pct"], "%.5f").c_str());
    std::printf("  noise       %s dBFS (in the band)\n",
                db_or_dash(c["noise_dbfs"], "%9.2f").c_str());
    if (!c["crosstalk_db"].is_null())
      std::printf("  crosstalk   %s dB (worst tone)\n",
                  db_or_dash(c["crosstalk_db"], "%9.2f").c_str());
    std::printf("  channel map %s\n", c["channel_map_ok"].get<bool>()
                                          ? "its own tones"
                                          : "NOT its own tones (or others' as strong)");
    for (const auto& note : c["notes"]) std::printf("  (%s)\n", note.get<std::string>().c_str());
  }
}

}  // namespace ampbench::cli
