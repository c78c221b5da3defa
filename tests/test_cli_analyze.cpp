// End to end: `ampbench generate` then `ampbench analyze --json`, and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "audio/wav.hpp"
#include "cli_fixtures.hpp"
#include "db_query.hpp"
#include "run_binary.hpp"

using ampbench::testing::run_ampbench;
using ampbench::testing::TempDir;

TEST(CliAnalyze, GenerateThenAnalyzeJson) {
  TempDir dir;
  const auto wav = dir / "x.wav";
  auto gen =
      run_ampbench({"generate", "sine", "--frequency", "997", "--level", "-6", "--samples", "65536",
                    "--harmonic", "2:-60", "--harmonic", "3:-70", "--channels", "2", "-o", wav});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto r = run_ampbench({"analyze", wav, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sample_rate"], 48000.0);
  ASSERT_EQ(j["channels"].size(), 2u);
  const auto& c = j["channels"][1];
  EXPECT_EQ(c["channel"], 2);
  EXPECT_NEAR(c["frequency_hz"].get<double>(), 997.0, 0.01);
  EXPECT_NEAR(c["level_dbfs"].get<double>(), -6.0, 0.005);
  EXPECT_NEAR(c["harmonics"][0]["level_dbc"].get<double>(), -60.0, 0.05);
  EXPECT_NEAR(c["harmonics"][1]["level_dbc"].get<double>(), -70.0, 0.05);
  EXPECT_NEAR(c["thd_db"].get<double>(), 20 * std::log10(std::sqrt(1e-6 + 1e-7)), 0.02);
  for (const char* key : {"thd_pct", "thdn_pct", "thdn_db", "sinad_db", "snr_db"})
    EXPECT_TRUE(c.contains(key)) << key;
}

TEST(CliAnalyze, HumanTableAndOneChannel) {
  TempDir dir;
  ASSERT_EQ(run_ampbench({"generate", "sine", "--channels", "2", "-o", dir / "x.wav"}).exit_code,
            0);
  auto r = run_ampbench({"analyze", dir / "x.wav", "--channel", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("channel 2"), std::string::npos);
  EXPECT_EQ(r.out.find("channel 1"), std::string::npos);
  EXPECT_NE(r.out.find("THD+N"), std::string::npos);
}

TEST(CliAnalyze, WeightingBandAndNotchOptions) {
  TempDir dir;
  ASSERT_EQ(run_ampbench({"generate", "sine", "--harmonic", "2:-50", "--samples", "65536", "-o",
                          dir / "x.wav"})
                .exit_code,
            0);
  const auto thdn = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"analyze", dir / "x.wav", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_ampbench(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out)["channels"][0]["thdn_db"].get<double>();
  };
  const double fft = thdn({});
  EXPECT_NEAR(fft - thdn({"--thdn-method", "notch"}), 0.46, 0.02);
  EXPECT_NEAR(thdn({"--weighting", "A"}) - fft, 1.2, 0.1);  // A at 2 kHz is +1.20 dB
  EXPECT_NEAR(thdn({"--band", "full"}), fft, 0.01);
}

struct BadInput {
  std::string name;
  std::vector<std::string> args;
  int exit_code;
  std::string message;
};

TEST(CliAnalyze, BadInputGivesOneClearLine) {
  TempDir dir;
  std::ofstream(dir / "text.wav") << "RIFF but not really";
  std::ofstream(dir / "empty.wav");
  ampbench::audio::AudioBuffer tiny;
  tiny.channels = {std::vector<double>(10, 0.1)};
  ampbench::audio::write_wav(dir / "tiny.wav", tiny, ampbench::audio::WavSampleFormat::float32);
  ASSERT_EQ(run_ampbench({"generate", "sine", "-o", dir / "ok.wav"}).exit_code, 0);
  const std::vector<BadInput> cases = {
      {"missing", {"analyze", dir / "nope.wav"}, 65, "nope.wav: no such file"},
      {"not a wav", {"analyze", dir / "text.wav"}, 65, "text.wav: not a WAV file"},
      {"empty", {"analyze", dir / "empty.wav"}, 65, "empty.wav"},
      {"10 samples", {"analyze", dir / "tiny.wav"}, 65, "tiny.wav: has 10 frames"},
      {"channel", {"analyze", dir / "ok.wav", "--channel", "3"}, 64, "--channel 3"},
      {"band", {"analyze", dir / "ok.wav", "--band", "5:2"}, 64, "--band '5:2'"},
      {"method", {"analyze", dir / "ok.wav", "--thdn-method", "magic"}, 64, "magic"},
      {"no args", {"analyze"}, 64, "wav"},
  };
  for (const auto& c : cases) {
    auto r = run_ampbench(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << c.name << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ampbench: ", 0), 0u) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
  }
}

TEST(CliAnalyze, SweepResponseThroughWavFiles) {
  TempDir dir;
  // 96 kHz, so the digital x² below does not fold its 2nd harmonic back into the band.
  ASSERT_EQ(run_ampbench({"generate", "sweep", "--from", "10", "--to", "22000", "--duration", "4",
                          "--level", "-6", "--rate", "96000", "--format", "double", "-o",
                          dir / "sweep.wav"})
                .exit_code,
            0);
  // The DUT: 0.5× with a 2nd harmonic, written as the response file.
  auto sweep = ampbench::audio::read_wav(dir / "sweep.wav");
  ampbench::audio::AudioBuffer response = sweep;
  response.comment.clear();
  for (double& v : response.channels[0]) v = 0.5 * v + 0.1 * v * v;
  ampbench::audio::write_wav(dir / "response.wav", response,
                             ampbench::audio::WavSampleFormat::float64);
  auto r =
      run_ampbench({"analyze", dir / "response.wav", "--sweep-ref", dir / "sweep.wav", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = nlohmann::json::parse(r.out)["channels"][0]["sweep"];
  ASSERT_EQ(s["frequency_hz"].size(), s["h1_db"].size());
  const double amplitude = std::pow(10.0, -6.0 / 20.0);
  for (std::size_t i = 0; i < s["frequency_hz"].size(); ++i) {
    EXPECT_NEAR(s["h1_db"][i].get<double>(), 20 * std::log10(0.5), 0.01) << s["frequency_hz"][i];
    if (!s["h2_db"][i].is_null() && s["frequency_hz"][i].get<double>() > 100 &&
        s["frequency_hz"][i].get<double>() < 8000) {
      EXPECT_NEAR(s["h2_db"][i].get<double>(), 20 * std::log10(0.1 * amplitude / 2.0), 0.05)
          << s["frequency_hz"][i];
    }
  }
  EXPECT_TRUE(s["h2_db"].back().is_null());  // 2·f beyond the sweep
  auto plain = run_ampbench({"analyze", dir / "response.wav", "--sweep-ref", dir / "response.wav"});
  EXPECT_EQ(plain.exit_code, 65);
  EXPECT_NE(plain.err.find("not an ampbench sweep"), std::string::npos) << plain.err;
}

TEST(CliAnalyze, ImdOfAGeneratedTwoTone) {
  TempDir dir;
  ASSERT_EQ(run_ampbench({"generate", "imd", "--imd", "smpte:250:8000", "--level", "-3",
                          "--samples", "131072", "--format", "double", "-o", dir / "imd.wav"})
                .exit_code,
            0);
  auto r = run_ampbench({"analyze", dir / "imd.wav", "--imd", "smpte:250:8000", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto imd = nlohmann::json::parse(r.out)["channels"][0]["imd"];
  EXPECT_LT(imd["imd_db"].get<double>(), -140.0);
  EXPECT_EQ(imd["f1_hz"], 250.0);
  EXPECT_EQ(
      run_ampbench({"generate", "sweep", "--from", "100", "--to", "30000", "-o", dir / "x.wav"})
          .exit_code,
      64);
}

TEST(CliTuneFft, WritesWisdomThatLaterRunsLoad) {
  TempDir dir;
  const std::string env = "AMPBENCH_FFTW_WISDOM=" + ampbench::testing::shell_quote(dir / "wisdom");
  auto r = run_ampbench({"tune-fft", "--size", "4096"}, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ampbench::testing::slurp(dir / "wisdom").find("fftw"), std::string::npos);
  ASSERT_EQ(run_ampbench({"generate", "sine", "--samples", "4096", "-o", dir / "x.wav"}).exit_code,
            0);
  auto a = run_ampbench({"analyze", dir / "x.wav", "--json"}, "", env);
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(a.err.empty()) << a.err;
  std::ofstream(dir / "wisdom") << "garbage";
  auto g = run_ampbench({"analyze", dir / "x.wav", "--json"}, "", env);
  EXPECT_EQ(g.exit_code, 0);
  EXPECT_NE(g.err.find("not FFTW wisdom, ignored"), std::string::npos) << g.err;
}

TEST(CliGenerate, FrequenciesTheFileCannotHoldAreRefused) {
  TempDir dir;
  const std::string out = dir / "x.wav";
  const std::vector<std::vector<std::string>> cases = {
      {"generate", "sine", "--rate", "48000", "--frequency", "24000", "-o", out},
      {"generate", "sine", "--frequency", "-5", "-o", out},
      {"generate", "sine", "--frequency", "15000", "--harmonic", "2:-60", "--rate", "24000", "-o",
       out},
      {"generate", "multitone", "--tone", "1000:-20", "--tone", "30000:-20", "-o", out},
      {"generate", "sine", "--rate", "nan", "-o", out},
  };
  for (const auto& args : cases) {
    const auto r = run_ampbench(args);
    EXPECT_EQ(r.exit_code, 64) << args[3] << " " << args[4] << ": " << r.err;
    std::error_code ec;
    EXPECT_FALSE(std::filesystem::exists(out, ec));
  }
}

TEST(CliAnalyze, NoiseIsNotATone) {
  TempDir dir;
  ASSERT_EQ(run_ampbench({"generate", "noise", "--level", "-20", "-o", dir / "n.wav"}).exit_code,
            0);
  const auto r = run_ampbench({"analyze", dir / "n.wav"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.err.find("no tone found"), std::string::npos) << r.err;
}

// generate multitone --design: each channel its own tones (read back with a naive DFT of one
// period: its own bins hold equal tones, the other channel's nothing), whole periods, the
// rms asked as a sine's dBFS, or the peak with --peak.
TEST(CliGenerate, ADesignedMultitoneGivesEachChannelItsOwnTonesAtTheLevelAsked) {
  TempDir dir;
  const auto r =
      run_ampbench({"generate", "multitone", "--design", "--channels", "2", "--rate", "96000",
                    "--level", "-20", "--format", "double", "-o", dir / "m.wav"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("crest factor"), std::string::npos) << r.err;
  std::vector<std::vector<std::size_t>> bins(2);
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "channel,frequency_hz,bin");
  while (std::getline(lines, line)) {
    const auto first = line.find(','), last = line.rfind(',');
    bins.at(std::stoul(line.substr(0, first)) - 1).push_back(std::stoul(line.substr(last + 1)));
  }
  ASSERT_EQ(bins[0].size(), 31u);
  ASSERT_EQ(bins[1].size(), 31u);
  const auto wav = ampbench::audio::read_wav(dir / "m.wav");
  const std::size_t n = 32768;
  ASSERT_EQ(wav.frames() % n, 0u);
  const auto dft = [&](const std::vector<double>& x, std::size_t bin) {
    std::complex<double> sum;
    for (std::size_t i = 0; i < n; ++i)
      sum += x[i] * std::polar(1.0, -2.0 * M_PI * double(bin) * double(i) / double(n));
    return 2.0 * std::abs(sum) / double(n);  // a tone's peak amplitude
  };
  for (std::size_t c = 0; c < 2; ++c) {
    const auto& x = wav.channels[c];
    double ms = 0.0;
    for (std::size_t i = 0; i < n; ++i) ms += x[i] * x[i];
    EXPECT_NEAR(10.0 * std::log10(2.0 * ms / double(n)), -20.0, 0.01) << c;
    const double tone = 0.1 * std::sqrt(2.0 / 31.0) / std::sqrt(2.0);  // rms/√31, as a peak
    for (std::size_t k : {0u, 15u, 30u}) {
      EXPECT_NEAR(dft(x, bins[c][k]) / tone, 1.0, 1e-6) << c << " bin " << bins[c][k];
      EXPECT_LT(dft(x, bins[1 - c][k]), tone * 1e-6) << c << " bin " << bins[1 - c][k];
    }
  }
  const auto peak = run_ampbench({"generate", "multitone", "--design", "--level", "-1", "--peak",
                                  "--format", "double", "-o", dir / "p.wav"});
  ASSERT_EQ(peak.exit_code, 0) << peak.err;
  // --peak sets the waveform's peak (between samples too): the period's Fourier series,
  // from its own DFT, evaluated 16 times per sample.
  const auto peaked = ampbench::audio::read_wav(dir / "p.wav");
  const auto period_at = peak.err.find("odd bins of ");
  ASSERT_NE(period_at, std::string::npos) << peak.err;
  const std::size_t period = std::stoul(peak.err.substr(period_at + 12));
  const std::vector<double> one(peaked.channels[0].begin(),
                                peaked.channels[0].begin() + static_cast<long>(period));
  std::vector<std::pair<std::size_t, std::complex<double>>> series;  // the design's bins
  std::istringstream listed(peak.out);
  for (std::string line; std::getline(listed, line);) {
    if (line.rfind("1,", 0) != 0) continue;
    const std::size_t k = std::stoul(line.substr(line.rfind(',') + 1));
    std::complex<double> sum;
    for (std::size_t i = 0; i < period; ++i)
      sum += one[i] * std::polar(1.0, -2.0 * M_PI * double(k) * double(i) / double(period));
    series.push_back({k, 2.0 * sum / double(period)});
  }
  ASSERT_EQ(series.size(), 31u);
  double highest = 0.0, sampled = 0.0;
  for (double v : one) sampled = std::max(sampled, std::abs(v));
  for (std::size_t i = 0; i < period * 16; ++i) {
    double v = 0.0;
    for (const auto& [k, c] : series)
      v += std::real(c *
                     std::polar(1.0, 2.0 * M_PI * double(k) * double(i) / (16.0 * double(period))));
    highest = std::max(highest, std::abs(v));
  }
  EXPECT_NEAR(20.0 * std::log10(highest), -1.0, 0.01);
  EXPECT_LE(sampled, highest);
  EXPECT_EQ(run_ampbench({"generate", "sine", "--design", "-o", dir / "s.wav"}).exit_code, 64);
}

// A multitone step's capture kept by `run --captures`, analysed offline with and without its
// design: the step's figures within 0.05 dB (the calibration's dBV less the capture's dBFS
// one offset for level and noise).
TEST(CliAnalyze, AStepsMultitoneCaptureGivesTheStepsFigures) {
  TempDir dir;
  const std::string sequence = dir / "mt.toml", db = dir / "r.db", captures = dir / "captures";
  ampbench::testing::write(sequence, R"([sequence]
name = "multitone kept"
channels = ["L", "R"]
[[step]]
id = "mt"
kind = "multitone"
averages = 2
stimulus = { level = "-20 dBV", from_hz = 20, to_hz = 20000 }
)");
  const auto run = run_ampbench(
      {"run", sequence, "--serial", "A/1", "--db", db, "--captures", captures, "--quiet"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string wav = captures + "/A_1-mt-1.wav";  // a '/' in a serial makes no folder
  const auto design = run_ampbench({"generate", "multitone", "--design", "--channels", "2",
                                    "--rate", "96000", "--level", "-20", "-o", dir / "design.wav"});
  ASSERT_EQ(design.exit_code, 0) << design.err;
  ampbench::testing::write(dir / "design.csv", design.out);
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--design", dir / "design.csv"}}) {
    std::vector<std::string> args = {"analyze", wav, "--multitone", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_ampbench(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["period_frames"], 32768);  // a third of a second at 96 kHz
    EXPECT_EQ(j["periods"], 2);
    for (const auto& c : j["channels"]) {
      const std::string ch = c["channel"] == 1 ? "L" : "R";
      const auto stored = [&](const std::string& name) {
        return std::stod(
            ampbench::testing::scalar(db, "SELECT value FROM measurements WHERE channel = '" + ch +
                                              "' AND name = '" + name + "'"));
      };
      for (const char* name : {"tdn_db", "deviation_min_db", "deviation_max_db", "crosstalk_db"})
        EXPECT_NEAR(c[name].get<double>(), stored(name), 0.05) << ch << " " << name;
      EXPECT_NEAR(stored("level_dbv") - c["level_dbfs"].get<double>(),
                  stored("noise_dbv") - c["noise_dbfs"].get<double>(), 0.05)
          << ch;
      EXPECT_TRUE(c["channel_map_ok"].get<bool>());
      EXPECT_EQ(c["tones"], 31);
    }
  }
  const auto human = run_ampbench({"analyze", wav, "--multitone", "--channel", "2"});
  EXPECT_NE(human.out.find("TD+N"), std::string::npos) << human.out;
  EXPECT_EQ(human.out.find("channel 1:"), std::string::npos) << human.out;
}
