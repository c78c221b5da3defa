// store: store-and-forward from a station's SQLite file to the line's PostgreSQL store.
// The station always records locally first; finished runs wait in the local forward queue
// until the central store has them. Each run goes in one transaction keyed by its uuid,
// then is marked sent locally, so a failure at any moment (even between the two) leaves
// the run to be sent again, and sending it again cannot duplicate it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/result_store.hpp"

namespace ampbench::store {

struct ForwardReport {
  int sent = 0;                           // runs stored in the central database by this pass
  int already = 0;                        // runs it already had (sent before, the local mark lost)
  int queued = 0;                         // runs still waiting afterwards
  std::vector<RejectedForward> refused;   // runs the target refused in this pass
  std::vector<RejectedForward> rejected;  // every run set aside for this target so far
  std::string error;                      // why the pass stopped early, if it did
};

struct ForwardOptions {
  bool due_only = false;  // true: leave runs whose retry time has not come
  std::chrono::seconds connect_timeout{10};
  // Called after each run sent: (runs done, runs in this pass).
  std::function<void(int, int)> progress;
};

// Sends the queued runs of `local` to `target` (a postgresql:// URI). Never throws for
// the network or the server: their failures are recorded against each run (retried with
// backoff) and reported in `error`. A run the server refuses for its content is set aside
// (`rejected`) and the others go on; a refusal every run would meet (TargetRefused: a
// privilege, the schema) stops the pass and keeps the rest queued, as a dead server does.
// A failure of the local file is reported as local.
ForwardReport forward_runs(ResultStore& local, const std::string& target,
                           const ForwardOptions& options);

// Forwards in the background while a station goes on testing: notify() after each run;
// finish() makes a last pass and returns what all passes did.
class ForwardWorker {
 public:
  ForwardWorker(std::string database_path, std::string target,
                std::chrono::seconds connect_timeout);
  ~ForwardWorker();
  ForwardWorker(const ForwardWorker&) = delete;
  ForwardWorker& operator=(const ForwardWorker&) = delete;
  void notify();
  ForwardReport finish();

 private:
  void loop();
  std::string database_path_;
  std::string target_;
  std::chrono::seconds connect_timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  int requests_ = 0;
  bool stopping_ = false;
  ForwardReport total_;
  std::thread thread_;
};

}  // namespace ampbench::store
