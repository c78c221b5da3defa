#include "serve/serve_bench.hpp"

#include <chrono>
#include <cmath>

#include "common/error.hpp"
#include "sequence/slot_bench.hpp"
#include "sequence/slot_serials.hpp"
#include "serve/unit_counts.hpp"
#include "session/calibrations.hpp"

namespace ampbench::serve {

ServeBench::ServeBench(sequence::SequencePlan plan, sequence::Station station,
                       const std::string& db_path)
    : plan_(std::move(plan)), station_(std::move(station)), db_path_(db_path) {
  store_ = store::ResultStore::open(db_path_);
  store_->set_busy_timeout(
      std::chrono::milliseconds(std::llround(station_.results_busy_timeout_s * 1000.0)));
  // The calibration records in force, before the slots' stations are made from the station.
  // A station that requires them and lacks them still serves its pages, and says so; it
  // starts no unit until a calibration is stored (recheck_calibration).
  try {
    calibration_note_ = session::attach_calibrations(station_, *store_);
  } catch (const MeasurementError& e) {
    station_.calibration_records = {};
    calibration_problem_ = e.what();
  }
  if (station_.audio.backend == "qa40x" && station_.audio.device == "sim")
    throw MeasurementError(station_.path +
                           ": serve opens the interface once for every unit, and the simulated "
                           "QA40x carries one DUT: run the station with `ampbench run`");
  if (station_.audio.loopback)
    throw MeasurementError(station_.path +
                           ": serve cannot use an [audio] loopback reference yet; run the "
                           "station with `ampbench run`");
  for (const auto& slot : station_.slots)
    if (slot.enabled) slots_.push_back(slot);
  if (station_.slots.empty())
    slots_.push_back(
        {"", station_.audio.outputs, station_.audio.inputs, {}, std::nullopt, true, 0});
  std::vector<audio::SlotChannels> channels;
  make_slot_stations();
  for (const auto& slot : slots_) channels.push_back(sequence::slot_channels(station_, slot));
  std::unique_ptr<audio::AudioPort> interface;
  if (station_.audio.backend == "sim") {
    std::vector<audio::SimSlotsPort::SlotSim> empty;
    for (const auto& c : channels) empty.push_back({nullptr, c.outputs, c.inputs});
    auto sim = std::make_unique<audio::SimSlotsPort>(
        station_.safety, station_.audio.calibration, station_.audio.sample_rate_hz,
        station_.channel_count(), std::move(empty), station_.sim->slot_crosstalk_db);
    sim_ = sim.get();
    interface = std::move(sim);
  } else {
    interface = sequence::open_audio_port(station_, "");
    sequence::probe_latency(*interface);
  }
  shared_ = std::make_unique<audio::SharedPort>(std::move(interface), std::move(channels));
  instruments_ = sequence::connect_instruments(station_, slots_.size() > 1);
  if (station_.forward_uri)
    forwarder_.emplace(db_path_, *station_.forward_uri, std::chrono::seconds(5));
  unit_store_ =
      std::make_unique<session::UnitStore>(*store_, forwarder_ ? &*forwarder_ : nullptr, "");
}

void ServeBench::make_slot_stations() {
  slot_stations_.clear();
  for (const auto& slot : slots_)
    slot_stations_.push_back(station_.slots.empty() ? station_
                                                    : sequence::station_for_slot(station_, slot));
}

std::string ServeBench::recheck_calibration() {
  std::lock_guard lock(calibration_mutex_);
  if (calibration_problem_.empty()) return "";
  // No unit has started since the problem was found: the slots' stations can be remade.
  try {
    auto station = station_;
    const auto note = unit_store_->with(
        [&](auto& store) { return session::attach_calibrations(station, store); });
    station_ = std::move(station);
    calibration_note_ = note;
    calibration_problem_.clear();
    make_slot_stations();
  } catch (const MeasurementError& e) {
    calibration_problem_ = e.what();
  }
  return calibration_problem_;
}

nlohmann::json ServeBench::unit_counts() {
  const std::time_t now = std::time(nullptr);
  const Period day = local_day(now);
  const auto shift = current_shift(now, station_.shift_start_minutes);
  store::RunFilter filter;
  filter.station = station_.name;
  filter.since = shift ? std::min(day.since_utc, shift->since_utc) : day.since_utc;
  filter.limit = 0;
  const auto runs = unit_store_->with([&](auto& store) { return store.list_runs(filter); });
  return counts_json(day, count_units(runs, day.since_utc), shift,
                     shift ? count_units(runs, shift->since_utc) : UnitCounts{});
}

nlohmann::json ServeBench::last_run_of(const std::string& serial) {
  store::RunFilter filter;
  filter.station = station_.name;
  filter.serial = serial;  // a * or ? in it matches others too: the loop keeps its own
  filter.limit = 20;
  const auto runs = unit_store_->with([&](auto& store) { return store.list_runs(filter); });
  for (const auto& run : runs)
    if (run.serial == serial && run.verdict != record::Verdict::running)
      return {{"verdict", record::verdict_name(run.verdict)}, {"started_at", run.started_at}};
  return nullptr;
}

sequence::Bench ServeBench::bench_for(std::size_t slot, const std::string& serial,
                                      plugs::OperatorIo& io) {
  const auto& station = slot_stations_.at(slot);
  sim::SimChain* chain = nullptr;
  std::shared_ptr<sim::SimWiring> wiring;
  if (sim_) {
    auto unit = sequence::open_sim_port(station, serial);
    chain = &unit->chain();
    wiring = unit->wiring();
    sim_->set_unit(slot, std::move(unit));
  }
  auto bench =
      sequence::bench_around(station, instruments_, shared_->slot_port(slot), chain, wiring, io);
  bench.shared = shared_.get();
  bench.slot = slot;
  return bench;
}

}  // namespace ampbench::serve
