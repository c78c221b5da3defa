#include "store/forwarder.hpp"

#include "common/error.hpp"
#include "common/postgres_uri.hpp"
#include "store/postgres_store.hpp"

namespace ampbench::store {

ForwardReport forward_runs(ResultStore& local, const std::string& target,
                           const ForwardOptions& options) {
  const std::string key = redacted_uri(target);
  ForwardReport report;
  const auto pending = local.pending_forwards(key, options.due_only);
  std::size_t done = 0;
  if (!pending.empty()) {
    try {
      auto central =
          PostgresStore::open(target, PostgresStore::Mode::read_write, options.connect_timeout);
      for (; done < pending.size(); ++done) {
        record::RunRecord run;
        std::vector<record::CalibrationRecord> calibrations;
        std::optional<nlohmann::json> selftest;
        try {
          run = local.load_run(pending[done].uuid);
          for (const auto& uuid : run.calibration_uuids)
            calibrations.push_back(local.load_calibration(uuid));
          selftest = local.latest_selftest(run.station_name, run.started_at);
        } catch (const std::exception& e) {
          // The station's own file failed, not the target: said as such, no backoff.
          report.error = std::string("reading the local queue: ") + e.what();
          break;
        }
        try {
          if (central->insert_run(run, calibrations, selftest))
            ++report.sent;
          else
            ++report.already;
          local.mark_forwarded(pending[done].run_id, key);
        } catch (const RunRejected& e) {
          // One run the server will never take must not hold back the others.
          local.mark_forward_rejected(pending[done].run_id, key, e.what());
          report.refused.push_back({run.uuid, run.serial, e.what()});
        }
        if (options.progress)
          options.progress(static_cast<int>(done + 1), static_cast<int>(pending.size()));
      }
    } catch (const std::exception& e) {
      report.error = e.what();
      // The server or the network is down: every run left waits its backoff, not only the
      // one that failed, so the next runs do not each wait on a dead server.
      try {
        local.mark_forward_failed(
            {pending.begin() + static_cast<std::ptrdiff_t>(done), pending.end()}, key,
            report.error);
      } catch (const std::exception& marking) {
        report.error +=
            std::string("; and the local queue could not be updated: ") + marking.what();
      }
    }
  }
  try {
    report.queued = static_cast<int>(local.pending_forwards(key, false).size());
    report.rejected = local.rejected_forwards(key);
  } catch (const std::exception& e) {
    if (report.error.empty()) report.error = std::string("reading the local queue: ") + e.what();
  }
  return report;
}

ForwardWorker::ForwardWorker(std::string database_path, std::string target,
                             std::chrono::seconds connect_timeout)
    : database_path_(std::move(database_path)),
      target_(std::move(target)),
      connect_timeout_(connect_timeout),
      thread_([this] { loop(); }) {}

ForwardWorker::~ForwardWorker() {
  if (thread_.joinable()) finish();
}

void ForwardWorker::notify() {
  {
    std::lock_guard lock(mutex_);
    ++requests_;
  }
  wake_.notify_one();
}

ForwardReport ForwardWorker::finish() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    ++requests_;
  }
  wake_.notify_one();
  thread_.join();
  return total_;
}

void ForwardWorker::loop() {
  // A connection of its own: the station's connection stays with the sequencer's thread.
  std::unique_ptr<ResultStore> local;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return requests_ > 0; });
      requests_ = 0;
    }
    try {
      if (!local) local = ResultStore::open(database_path_);
      const auto pass = forward_runs(*local, target_, {true, connect_timeout_, {}});
      std::lock_guard lock(mutex_);
      total_.sent += pass.sent;
      total_.already += pass.already;
      total_.queued = pass.queued;
      total_.refused.insert(total_.refused.end(), pass.refused.begin(), pass.refused.end());
      total_.rejected = pass.rejected;
      if (total_.error.empty()) total_.error = pass.error;
    } catch (const std::exception& e) {
      // Nothing that goes wrong while forwarding may end the station's process.
      std::lock_guard lock(mutex_);
      if (total_.error.empty()) total_.error = e.what();
    }
    std::lock_guard lock(mutex_);
    if (stopping_ && requests_ == 0) return;
  }
}

}  // namespace ampbench::store
