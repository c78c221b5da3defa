// serve: `ampbench serve` — the operator station as a web page any tablet or kiosk on the
// line can show (SPEC §12, docs/serve.md), served by the station itself with cpp-httplib.
// The operator page and the supervisor page are compiled in; behind them a JSON API under
// /api/ (start a unit, its live state as Server-Sent Events, abort, answer a prompt, runs,
// reports, stats, the station's and sequence's settings) that an MES can call too.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "sequence/plan.hpp"
#include "sequence/station.hpp"

namespace ampbench::serve {

struct ServeOptions {
  std::string db_path = "ampbench.db";
  std::string listen = "127.0.0.1:8080";
  std::string token_file;      // required unless listening on loopback only
  std::string serial_pattern;  // ECMAScript regex a scan must match whole; "" = any serial
  // Host names (with or without :port) the pages may be reached by besides the listen
  // address (a DNS name, a reverse proxy's): any other Host header is refused.
  std::vector<std::string> allowed_hosts;
};

// A token file's token, or nullopt without one; throws UsageError naming the file.
std::optional<std::string> read_token(const std::string& path);

// Serves until `stop` is set (SIGINT, SIGTERM); every unit being tested is aborted (its
// cleanup steps run) before it returns. Throws UsageError for a bad --listen or a missing
// token, MeasurementError when the interface or an instrument cannot be opened.
int serve(const ServeOptions& options, sequence::SequencePlan plan, sequence::Station station,
          const std::atomic<int>& stop_signal);

}  // namespace ampbench::serve
