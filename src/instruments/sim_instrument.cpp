#include "instruments/sim_instrument.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <numbers>

#include "instruments/scpi_session.hpp"

namespace ampbench::instruments {
namespace {

const char* kNumber = R"(([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?))";

// A template as a case-insensitive regex: literal text escaped, spaces as any run of
// blanks, {value} as a number.
std::regex template_regex(const std::string& templ, std::string* placeholder) {
  std::string pattern = "^\\s*";
  for (std::size_t i = 0; i < templ.size(); ++i) {
    const char c = templ[i];
    if (c == '{') {
      const std::size_t close = templ.find('}', i);
      if (placeholder) *placeholder = templ.substr(i + 1, close - i - 1);
      pattern += kNumber;
      i = close;
    } else if (c == ' ') {
      pattern += "\\s+";
    } else if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) {
      pattern += '\\';
      pattern += c;
    } else {
      pattern += c;
    }
  }
  return std::regex(pattern + "\\s*$", std::regex::icase | std::regex::ECMAScript);
}

std::string upper_case(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string number_reply(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%+.8E", v);
  return text;
}

}  // namespace

SimInstrument::SimInstrument(InstrumentProfile profile) : profile_(std::move(profile)) {
  for (const auto& [operation, templ] : profile_.commands) {
    Pattern p;
    p.operation = operation;
    p.regex = template_regex(templ, &p.placeholder);
    patterns_.push_back(std::move(p));
  }
  for (const auto& line : profile_.init) init_patterns_.push_back(template_regex(line, nullptr));
}

void SimInstrument::push_error(int code, const std::string& message) {
  if (errors_.size() >= 20) {
    errors_.back() = {-350, "Queue overflow"};
    return;
  }
  errors_.emplace_back(code, message);
}

std::optional<std::string> SimInstrument::handle(std::string_view line) {
  std::lock_guard lock(mutex_);
  // The bench's cabling speaks at every transfer: kept, it would grow with every unit run.
  if (!line.starts_with("SIM:WIRE")) received_.emplace_back(line);
  if (line.size() > 1024) {  // an input buffer, like a real instrument's, has an end
    push_error(-223, "Too much data");
    return std::nullopt;
  }
  std::optional<std::string> reply;
  std::size_t start = 0;
  const std::string text(line);
  for (;;) {
    const std::size_t semi = text.find(';', start);
    const std::string one =
        trimmed(text.substr(start, semi == std::string::npos ? semi : semi - start));
    if (!one.empty()) {
      if (auto r = handle_one(one)) reply = reply ? *reply + ";" + *r : *r;
    }
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  return reply;
}

std::optional<std::string> SimInstrument::handle_one(const std::string& command) {
  std::string head = upper_case(command);
  if (!head.empty() && head[0] == ':') head.erase(0, 1);
  if (head == "*IDN?") return profile_.sim_idn;
  if (head == "*RST") {
    const double ac = state_.probe_vrms, dc = state_.probe_vdc;  // probes stay where they are
    state_ = SimInstrumentState{};
    state_.probe_vrms = ac;
    state_.probe_vdc = dc;
    return std::nullopt;
  }
  if (head == "*CLS") {
    errors_.clear();
    return std::nullopt;
  }
  if (head == "*OPC?") return "1";
  if (head == "*OPC" || head == "*WAI") return std::nullopt;
  if (head == "SYST:ERR?" || head == "SYSTEM:ERROR?" || head == "SYST:ERR:NEXT?") {
    if (errors_.empty()) return "+0,\"No error\"";
    const auto [code, message] = errors_.front();
    errors_.pop_front();
    return std::to_string(code) + ",\"" + message + "\"";
  }
  if (head == "SIM:WIRE?") {
    switch (profile_.kind) {
      case InstrumentKind::fgen:
        return std::string(state_.output_on ? "1" : "0") + "," + number_reply(state_.frequency_hz) +
               "," + number_reply(state_.vrms);
      case InstrumentKind::relay: {
        std::string out;
        for (int r : state_.closed_relays) out += (out.empty() ? "" : ",") + std::to_string(r);
        return out.empty() ? "0" : out;
      }
      case InstrumentKind::dmm:
        return number_reply(state_.probe_vrms);
      case InstrumentKind::psu:
        return std::string(state_.output_on ? "1" : "0") + "," + number_reply(state_.supply_v);
    }
  }
  if (profile_.kind == InstrumentKind::psu && head.rfind("SIM:WIRE ", 0) == 0) {
    try {
      state_.draw_a = parse_scpi_number(head.substr(9));
    } catch (const InstrumentError&) {
      push_error(-224, "Illegal parameter value");
    }
    return std::nullopt;
  }
  for (const auto& [prefix, probe] :
       {std::pair{std::string_view("SIM:WIRE:DC "), &state_.probe_vdc},
        std::pair{std::string_view("SIM:WIRE "), &state_.probe_vrms}}) {
    if (profile_.kind != InstrumentKind::dmm || head.rfind(prefix, 0) != 0) continue;
    try {
      *probe = parse_scpi_number(head.substr(prefix.size()));
    } catch (const InstrumentError&) {
      push_error(-224, "Illegal parameter value");
    }
    return std::nullopt;
  }
  for (const auto& p : patterns_) {
    std::smatch m;
    if (!std::regex_match(command, m, p.regex)) continue;
    const double value = m.size() > 1 ? std::strtod(m[1].str().c_str(), nullptr) : 0.0;
    if (p.operation == "set_frequency") {
      if (!(value > 0.0) || (profile_.max_frequency_hz && value > *profile_.max_frequency_hz))
        push_error(-222, "Data out of range");
      else
        state_.frequency_hz = value;
    } else if (p.operation == "set_amplitude") {
      const double vrms = p.placeholder == "vpp"     ? value / (2.0 * std::numbers::sqrt2)
                          : p.placeholder == "vpeak" ? value / std::numbers::sqrt2
                                                     : value;
      if (!(vrms >= 0.0) || (profile_.max_vrms && vrms > *profile_.max_vrms * (1 + 1e-9)))
        push_error(-222, "Data out of range");
      else
        state_.vrms = vrms;
    } else if (p.operation == "output_on") {
      state_.output_on = true;
    } else if (p.operation == "output_off") {
      state_.output_on = false;
    } else if (p.operation == "read_ac_volts") {
      return number_reply(state_.probe_vrms);
    } else if (p.operation == "read_dc_volts") {
      return number_reply(state_.probe_vdc);
    } else if (p.operation == "close") {
      if (value < 1 || value > 64 || value != std::floor(value))
        push_error(-222, "Data out of range");
      else
        state_.closed_relays.insert(static_cast<int>(value));
    } else if (p.operation == "open") {
      state_.closed_relays.erase(static_cast<int>(value));
    } else if (p.operation == "open_all") {
      state_.closed_relays.clear();
    } else if (p.operation == "set_voltage") {
      if (!(value >= 0.0))
        push_error(-222, "Data out of range");
      else
        state_.supply_v = value;
    } else if (p.operation == "read_voltage") {
      return number_reply(state_.output_on ? state_.supply_v : 0.0);
    } else if (p.operation == "read_current") {
      return number_reply(state_.output_on ? state_.draw_a : 0.0);
    }
    return std::nullopt;
  }
  for (const auto& init : init_patterns_)
    if (std::regex_match(command, init)) return std::nullopt;
  push_error(-113, "Undefined header");
  return std::nullopt;
}

SimInstrumentState SimInstrument::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::vector<std::string> SimInstrument::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::shared_ptr<SimInstrument> sim_instrument_named(const std::string& name,
                                                    const InstrumentProfile& profile) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<SimInstrument>> instruments;
  std::lock_guard lock(mutex);
  auto& slot = instruments[name];
  if (!slot || slot->profile().name != profile.name)
    slot = std::make_shared<SimInstrument>(profile);
  return slot;
}

SimTransport::SimTransport(std::shared_ptr<SimInstrument> instrument, std::string name)
    : instrument_(std::move(instrument)), name_(std::move(name)) {}

void SimTransport::write(std::string_view message) {
  std::string_view line = message;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (auto reply = instrument_->handle(line)) replies_.push_back(*reply + "\n");
}

std::string SimTransport::read(Milliseconds timeout) {
  if (replies_.empty())
    throw InstrumentTimeout("SIM::" + name_ + ": no reply within " +
                            std::to_string(timeout.count()) + " ms (nothing was asked)");
  std::string reply = std::move(replies_.front());
  replies_.pop_front();
  return reply;
}

}  // namespace ampbench::instruments
