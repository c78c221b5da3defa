// Station files (instruments/*.toml, SPEC §4): one bench's audio interface and its
// calibration, safety maxima, optional instruments, dummy loads, the attenuator in front
// of the interface input and, for backend "sim", the simulated DUT.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audio/audio_port.hpp"
#include "common/toml_reader.hpp"
#include "instruments/profile.hpp"
#include "instruments/visa.hpp"
#include "sim/models.hpp"

namespace ampbench::sequence {

// An external instrument: where it is and which profile speaks its dialect, both checked
// when the station loads.
struct InstrumentRef {
  std::string resource;  // VISA syntax
  std::string profile;
  instruments::VisaResource visa;
  instruments::InstrumentProfile loaded;
};

struct JackSettings {
  std::string client_name = "ampbench";
  std::vector<std::string> connect_outputs;  // DUT input ports our outputs feed, in order
  std::vector<std::string> connect_inputs;   // DUT output ports our inputs read, in order
  std::string dut_client;                    // watched: its leaving ends the capture ERROR
  bool freewheel = false;                    // `run --freewheel`: faster than real time (CI)
};

struct AudioSettings {
  std::string backend;  // sim | portaudio | qa40x
  std::string device;
  std::string host_api;  // portaudio: JACK, ALSA … ("" = any)
  double max_latency_s = 0.5;
  int xrun_retries = 2;  // transfers played again after lost audio before the step ERRORs
  // An interface output wired straight to an input (1-based channels): its capture divides
  // swept responses, removing the interface's own response, latency and calibration.
  std::optional<std::pair<int, int>> loopback;
  double sample_rate_hz = 48000.0;
  std::vector<int> outputs;
  std::vector<int> inputs;
  audio::PortCalibration calibration;
  // qa40x: the ranges chosen from [safety] (SPEC §18), in dBV; they set `calibration`.
  int qa40x_output_range_dbv = 18;
  int qa40x_input_range_dbv = 42;
};

// A test position on a multichannel interface (SPEC §11): its own interface channels,
// mapped in order onto the sequence's channels, and optionally its own load relays. A
// station without [[slot]] tables is one implicit slot on audio.outputs and audio.inputs.
struct Slot {
  std::string name;
  std::vector<int> outputs;  // interface channels, 1-based, each one of audio.outputs
  std::vector<int> inputs;   // likewise of audio.inputs
  std::vector<int>
      load_relays;  // `loads.relays`: one per loads.available_ohm; empty: the station's
  // `dut_switch`: the slot's own relays on the station's [dut_switch] box.
  struct DutRelays {
    std::map<std::string, int> input_relays;
    std::optional<int> phantom_relay;
    std::optional<int> series_relay;
  };
  std::optional<DutRelays> dut_relays;
  bool enabled = true;  // false: a broken fixture, skipped with a word
  int line = 0;
};

struct Station {
  std::string path;
  std::string text;
  std::string name;
  std::string line;  // [station] line: the production line the station belongs to
  // [station] shifts = ["06:00", "14:00", "22:00"]: when shifts start, local time, in minutes
  // after midnight, sorted (the operator page counts units per shift); empty: none.
  std::vector<int> shift_start_minutes;
  // [results] forward: the central PostgreSQL store finished runs are forwarded to (a
  // postgresql:// URI without a password; credentials come from libpq's environment).
  std::optional<std::string> forward_uri;
  // [results] busy_timeout_s: how long a write waits for another writer's lock on the
  // station's database before the run fails (its measurements kept in a side file).
  double results_busy_timeout_s = 30.0;
  AudioSettings audio;
  audio::SafetyLimits safety;
  // [safety] max_capture_mb: the memory one step's capture may take (validate refuses more).
  double max_capture_mb = 1024.0;
  // [safety] slot_bursts_overlap: whether the slots' max-power bursts may play at once (no
  // shared supply or fuse that four at full power would trip); false: one slot at a time.
  bool slot_bursts_overlap = true;
  std::optional<InstrumentRef> generator;
  std::optional<InstrumentRef> dmm;
  // [supply]: the bench supply feeding the DUT, set to `volts` (never above `max_volts`) and
  // read by efficiency steps.
  struct Supply {
    InstrumentRef instrument;
    double volts = 0.0;
    double max_volts = 0.0;
  };
  std::optional<Supply> supply;
  // [ripple]: a function generator wired to inject ripple on the DUT's supply (psrr), `gain`
  // volts of ripple per volt it puts out, never more than `max_vrms` of ripple.
  struct Ripple {
    InstrumentRef instrument;
    double gain = 1.0;
    double max_vrms = 0.0;
  };
  std::optional<Ripple> ripple;
  std::vector<double> loads_available_ohm;
  std::vector<int> load_relays;  // the relay that connects each of loads_available_ohm
  std::optional<InstrumentRef> load_switch;
  double attenuator_gain_db = 0.0;
  // [source] series_ohm: the resistor switched in series with the DUT input (input
  // impedance by the series-resistor method).
  std::optional<double> series_resistor_ohm;
  // [dut_switch]: relays that set the DUT's input and phantom power and put the series
  // resistor in circuit, on a bench whose DUT is not simulated.
  struct DutSwitch {
    InstrumentRef relays;
    std::map<std::string, int> input_relays;
    std::optional<int> phantom_relay;
    std::optional<int> series_relay;  // closed: the series resistor is in circuit
    // closed: the balanced input's hot and cold legs joined to the source (CMRR)
    std::optional<int> common_mode_relay;
  };
  std::optional<DutSwitch> dut_switch;
  std::optional<sim::SimConfig> sim;
  std::optional<JackSettings> jack;
  std::vector<Slot> slots;  // empty: the station is one slot

  // [calibration] (SPEC §15): whether a run needs a valid calibration record for every
  // channel it uses, how old one may be, and the budget's terms for `calibrate`.
  struct CalibrationPolicy {
    bool required = false;
    std::optional<double> max_age_days;
    double reference_accuracy_pct = 0.1;  // the DMM's ± accuracy at the frequency (rectangular)
    int readings = 4;                     // DMM readings per channel (repeatability)
    // The interface output's impedance and the lowest DUT input impedance it drives: the
    // divider between them is a term of each output record's budget (0: none).
    double output_impedance_ohm = 0.0;
    double min_dut_input_ohm = 10e3;
    // The interface's flatness over the audio band, ± dB: a term of every record's budget,
    // as results at other frequencies than the calibration's inherit it.
    double flatness_db = 0.0;
  } calibration_policy;
  // [selftest] (SPEC §15): the loopback's stimulus and what each of its checks accepts.
  struct SelftestSettings {
    bool digital = false;  // the loopback is a digital path: bit-transparency is checked
    double level_dbfs = -3.0;
    double frequency_hz = 1000.0;
    double max_residual_thdn_db = -80.0;
    std::optional<double> max_residual_noise_dbv;
    double max_level_error_db = 0.1;
    double max_clock_ppm = 20.0;
  } selftest;
  // The bench's own floor from its latest self-test, by interface input (1-based): results
  // within 10 dB of it are flagged at_analyzer_limit. Filled with the calibration records.
  struct AnalyzerResidual {
    double thdn_db = 0.0;     // re the self-test's tone,
    double level_dbfs = 0.0;  // played (and captured) at this level
    std::optional<double> noise_dbv;
  };
  std::map<int, AnalyzerResidual> analyzer_residuals;
  // The calibration records in force, by interface channel (1-based): volts per full scale,
  // and their uuids. Filled from the results store before a bench opens; empty: the
  // [audio] values serve every channel.
  struct CalibrationRecords {
    std::map<int, double> output_vrms, input_vrms;
    std::map<int, double> output_u_db, input_u_db;  // their standard uncertainties
    double coverage_k = 2.0;
    std::vector<std::string> uuids;
  } calibration_records;

  // The slot of this name, or nullptr.
  const Slot* find_slot(std::string_view name) const;

  int channel_count() const { return static_cast<int>(audio.outputs.size()); }
};

// The [[slot]] tables of a station whose audio is already read; throws InputError.
std::vector<Slot> parse_slots(const TomlReader& reader, const toml::table& root,
                              const Station& station);

// Throws InputError naming file, line and field.
Station load_station(const std::string& path);
Station parse_station(const std::string& text, const std::string& path);

}  // namespace ampbench::sequence
