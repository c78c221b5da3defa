#include "instruments/drivers.hpp"

#include <cmath>
#include <cstdio>
#include <numbers>

#include "instruments/sim_instrument.hpp"
#include "instruments/tcp_transport.hpp"
#include "instruments/usbtmc.hpp"

namespace ampbench::instruments {

std::unique_ptr<ScpiTransport> open_transport(const VisaResource& resource,
                                              const InstrumentProfile& profile) {
  switch (resource.kind) {
    case VisaResource::Kind::usb:
      return std::make_unique<UsbtmcTransport>(
          open_usbtmc_link(resource.vendor_id, resource.product_id, resource.serial,
                           resource.usb_interface),
          profile.quirks);
    case VisaResource::Kind::tcp_socket:
      return std::make_unique<TcpTransport>(resource.host, resource.port, profile.timeout);
    case VisaResource::Kind::sim:
      return std::make_unique<SimTransport>(sim_instrument_named(resource.sim_name, profile),
                                            resource.sim_name);
  }
  throw InstrumentError("unknown resource kind");
}

std::unique_ptr<ScpiSession> connect_instrument(const VisaResource& resource,
                                                const InstrumentProfile& profile,
                                                const std::string& role) {
  const std::string name = role + " " + profile.name + " at " + resource.text;
  std::unique_ptr<ScpiTransport> transport;
  try {
    transport = open_transport(resource, profile);
  } catch (const InstrumentError& e) {
    throw InstrumentError(name + ": " + e.what());
  }
  auto session = std::make_unique<ScpiSession>(std::move(transport), name, profile.timeout);
  session->clear_status();
  const std::string idn = session->identify();
  if (!profile.idn_contains.empty() && idn.find(profile.idn_contains) == std::string::npos)
    throw InstrumentError(name + ": *IDN? answers '" + idn + "', not a '" + profile.idn_contains +
                          "' as the profile expects");
  return session;
}

FunctionGenerator::FunctionGenerator(std::unique_ptr<ScpiSession> session,
                                     InstrumentProfile profile, double max_output_vrms)
    : session_(std::move(session)),
      profile_(std::move(profile)),
      max_output_vrms_(max_output_vrms) {
  session_->command(profile_.command("output_off"));
  for (const auto& line : profile_.init) session_->command(line);
}

FunctionGenerator::~FunctionGenerator() {
  if (!on_) return;
  try {
    session_->command(profile_.command("output_off"));
  } catch (const std::exception&) {
    // Already failing (instrument gone): the error that got us here is the one to report.
  }
}

void FunctionGenerator::set_sine(double frequency_hz, double vrms) {
  if (!(vrms >= 0.0) || vrms > max_output_vrms_ * (1 + 1e-9)) {
    char text[160];
    std::snprintf(
        text, sizeof text,
        "%s: %.4g Vrms asked, above the station's max_output_vrms of %g Vrms; nothing sent",
        session_->name().c_str(), vrms, max_output_vrms_);
    throw SafetyError(text);
  }
  if (profile_.max_frequency_hz && frequency_hz > *profile_.max_frequency_hz)
    throw MeasurementError(session_->name() + ": " + std::to_string(frequency_hz) +
                           " Hz is beyond what this generator makes");
  session_->command(
      render_command(profile_.command("set_frequency"), {{"frequency_hz", frequency_hz}}));
  session_->command(
      render_command(profile_.command("set_amplitude"), {{"vrms", vrms},
                                                         {"vpp", vrms * 2.0 * std::numbers::sqrt2},
                                                         {"vpeak", vrms * std::numbers::sqrt2}}));
}

void FunctionGenerator::output(bool on) {
  session_->command(profile_.command(on ? "output_on" : "output_off"));
  on_ = on;
}

Dmm::Dmm(std::unique_ptr<ScpiSession> session, InstrumentProfile profile)
    : session_(std::move(session)), profile_(std::move(profile)) {
  for (const auto& line : profile_.init) session_->command(line);
}

double Dmm::read_ac_vrms() {
  return read_number("read_ac_volts");
}

double Dmm::read_dc_v() {
  if (!profile_.commands.count("read_dc_volts"))
    throw InstrumentError(session_->name() + ": its profile has no read_dc_volts");
  return read_number("read_dc_volts");
}

double Dmm::read_number(const std::string& operation) {
  const std::string reply = session_->query(profile_.command(operation));
  try {
    return parse_scpi_number(reply);
  } catch (const InstrumentError& e) {
    throw InstrumentError(session_->name() + ": " + e.what());
  }
}

PowerSupply::PowerSupply(std::unique_ptr<ScpiSession> session, InstrumentProfile profile,
                         double volts, double max_volts)
    : session_(std::move(session)), profile_(std::move(profile)), volts_(volts) {
  if (!(volts > 0.0) || volts > max_volts * (1 + 1e-9)) {
    char text[160];
    std::snprintf(text, sizeof text, "%s: %.4g V refused: the station allows at most %.4g V",
                  session_->name().c_str(), volts, max_volts);
    throw SafetyError(text);
  }
  session_->command(profile_.command("output_off"));
  for (const auto& line : profile_.init) session_->command(line);
  session_->command(render_command(profile_.command("set_voltage"), {{"volts", volts}}));
}

PowerSupply::~PowerSupply() {
  try {
    session_->command(profile_.command("output_off"));
  } catch (const std::exception&) {
    // Already failing (instrument gone): the error that got us here is the one to report.
  }
}

void PowerSupply::output(bool on) {
  session_->command(profile_.command(on ? "output_on" : "output_off"));
  on_ = on;
}

double PowerSupply::read_voltage_v() {
  return read_number("read_voltage");
}

double PowerSupply::read_current_a() {
  return read_number("read_current");
}

double PowerSupply::read_number(const std::string& operation) {
  const std::string reply = session_->query(profile_.command(operation));
  try {
    return parse_scpi_number(reply);
  } catch (const InstrumentError& e) {
    throw InstrumentError(session_->name() + ": " + e.what());
  }
}

RelaySwitch::RelaySwitch(std::unique_ptr<ScpiSession> session, InstrumentProfile profile)
    : session_(std::move(session)), profile_(std::move(profile)) {
  for (const auto& line : profile_.init) session_->command(line);
  open_all();
}

void RelaySwitch::command(const std::string& operation, std::optional<int> relay) {
  std::lock_guard lock(mutex_);
  if (!relay) {
    session_->command(profile_.command(operation));
    return;
  }
  session_->command(
      render_command(profile_.command(operation), {{"relay", static_cast<double>(*relay)}}));
}

void RelaySwitch::open_all() {
  command("open_all", std::nullopt);
}

void RelaySwitch::select(int relay) {
  open_all();
  close(relay);
}

void RelaySwitch::select_among(int relay, const std::vector<int>& group) {
  for (int other : group)
    if (other != relay) open(other);
  close(relay);
}

void RelaySwitch::close(int relay) {
  command("close", relay);
}

void RelaySwitch::open(int relay) {
  command("open", relay);
}

}  // namespace ampbench::instruments
