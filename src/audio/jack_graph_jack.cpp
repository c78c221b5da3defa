#include <jack/jack.h>

#include <cerrno>

#include "audio/jack_graph.hpp"
#include "common/error.hpp"

namespace ampbench::audio {
namespace {

jack_client_t* handle(void* p) {
  return static_cast<jack_client_t*>(p);
}

}  // namespace

JackGraph::JackGraph(const std::string& client_name) {
  jack_status_t status{};
  client_ = jack_client_open(client_name.c_str(), JackNoStartServer, &status);
  if (!client_)
    throw MeasurementError("no JACK server is running (jack_client_open status " +
                           std::to_string(status) + ")");
  jack_set_xrun_callback(
      handle(client_),
      [](void* self) {
        static_cast<JackGraph*>(self)->xruns_.fetch_add(1);
        return 0;
      },
      this);
  jack_on_shutdown(
      handle(client_), [](void* self) { static_cast<JackGraph*>(self)->server_gone_.store(true); },
      this);
  if (jack_activate(handle(client_)) != 0) {
    jack_client_close(handle(client_));
    throw MeasurementError("cannot activate the JACK control client");
  }
}

JackGraph::~JackGraph() {
  if (!server_gone_.load()) jack_deactivate(handle(client_));
  jack_client_close(handle(client_));
}

void JackGraph::set_freewheel(bool on) {
  if (!server_gone_.load()) jack_set_freewheel(handle(client_), on ? 1 : 0);
}

double JackGraph::sample_rate_hz() const {
  return static_cast<double>(jack_get_sample_rate(handle(client_)));
}

bool JackGraph::client_present(const std::string& client) const {
  if (server_gone_.load()) return false;
  const char** ports = jack_get_ports(handle(client_), ("^" + client + ":").c_str(), nullptr, 0);
  const bool present = ports != nullptr && ports[0] != nullptr;
  if (ports) jack_free(ports);
  return present;
}

void JackGraph::rewire(const std::string& client,
                       const std::vector<std::pair<std::string, std::string>>& connections) {
  const char** ports = jack_get_ports(handle(client_), ("^" + client + ":").c_str(), nullptr, 0);
  for (const char** p = ports; p && *p; ++p)
    jack_port_disconnect(handle(client_), jack_port_by_name(handle(client_), *p));
  if (ports) jack_free(ports);
  for (const auto& [source, destination] : connections) {
    const int rc = jack_connect(handle(client_), source.c_str(), destination.c_str());
    if (rc != 0 && rc != EEXIST)
      throw MeasurementError("cannot connect JACK port " + source + " to " + destination +
                             " (is the DUT client running?)");
  }
}

}  // namespace ampbench::audio
