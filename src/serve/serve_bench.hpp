// serve: the station as `ampbench serve` holds it for its whole life — the sequence, the
// station file, one shared interface (a station without [[slot]] tables is one slot on all
// its channels), the instruments, the results store — and a bench for the next unit of a
// slot, built for that unit's serial number (a simulated station simulates that unit).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audio/sim_slots_port.hpp"
#include "sequence/bench.hpp"
#include "sequence/plan.hpp"
#include "session/unit_session.hpp"
#include "store/forwarder.hpp"
#include "store/result_store.hpp"

namespace ampbench::serve {

class ServeBench {
 public:
  // Throws MeasurementError when the interface or an instrument cannot be opened.
  ServeBench(sequence::SequencePlan plan, sequence::Station station, const std::string& db_path);

  const sequence::SequencePlan& plan() const { return plan_; }
  const sequence::Station& station() const { return station_; }
  // The slots the pages show, in the station's order ("" for a station without slots).
  const std::vector<sequence::Slot>& slots() const { return slots_; }
  // The station as slot `slot` sees it.
  const sequence::Station& slot_station(std::size_t slot) const { return slot_stations_[slot]; }

  // A bench on slot `slot` for the unit `serial`; the slot must have no unit measuring.
  sequence::Bench bench_for(std::size_t slot, const std::string& serial, plugs::OperatorIo& io);

  // The store, one caller at a time, as the units record into it.
  template <typename F>
  auto with_store(F&& f) {
    return unit_store_->with(std::forward<F>(f));
  }
  // Where the units record: each finished run goes on to the line's central store in the
  // background, as with `run`.
  session::UnitStore& unit_store() { return *unit_store_; }
  const std::string& db_path() const { return db_path_; }
  // Which channels use the station file's nominal calibration (no valid record), or "".
  const std::string& calibration_note() const { return calibration_note_; }
  // Why no unit may start ([calibration] required and a channel without a valid record), or
  // "": looked up again in the store while there is a reason, so a `calibrate` done while
  // the station serves lets it start units without a restart.
  std::string recheck_calibration();
  // The page header's counts now (unit_counts.hpp), from the store.
  nlohmann::json unit_counts();
  // This serial number's last finished run on this station ({"verdict", "started_at"}), or
  // null: a unit tested before is a retest, and the page says how it ended.
  nlohmann::json last_run_of(const std::string& serial);

 private:
  void make_slot_stations();
  sequence::SequencePlan plan_;
  sequence::Station station_;
  std::vector<sequence::Slot> slots_;
  std::vector<sequence::Station> slot_stations_;
  std::string db_path_;
  std::string calibration_note_;
  std::string calibration_problem_;
  std::mutex calibration_mutex_;
  audio::SimSlotsPort* sim_ = nullptr;  // owned by shared_, when the station is simulated
  std::unique_ptr<audio::SharedPort> shared_;
  sequence::StationInstruments instruments_;
  std::unique_ptr<store::ResultStore> store_;
  std::optional<store::ForwardWorker> forwarder_;
  std::unique_ptr<session::UnitStore> unit_store_;
};

}  // namespace ampbench::serve
