// A libjack control client beside the PortAudio stream: wires the stream's ports to the
// DUT's (PortAudio connects them to system:* on start), counts the server's xruns, and
// notices when the server or the DUT's client goes away. Never starts a server.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ampbench::audio {

class JackGraph {
 public:
  // Throws MeasurementError when no JACK server answers.
  explicit JackGraph(const std::string& client_name);
  ~JackGraph();
  JackGraph(const JackGraph&) = delete;
  JackGraph& operator=(const JackGraph&) = delete;

  // Drops every connection of `client`'s ports, then makes the given (source, destination)
  // connections. Throws MeasurementError naming a port that does not exist.
  void rewire(const std::string& client,
              const std::vector<std::pair<std::string, std::string>>& connections);
  bool client_present(const std::string& client) const;
  std::uint64_t xruns() const { return xruns_.load(); }
  bool server_gone() const { return server_gone_.load(); }
  double sample_rate_hz() const;
  void set_freewheel(bool on);

 private:
  void* client_;
  std::atomic<std::uint64_t> xruns_{0};
  std::atomic<bool> server_gone_{false};
};

}  // namespace ampbench::audio
