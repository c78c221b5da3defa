#include "instruments/profile.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common/text.hpp"
#include "common/toml_reader.hpp"

namespace ampbench::instruments {
namespace {

const std::map<std::string, std::vector<std::string>>& operation_placeholders() {
  static const std::map<std::string, std::vector<std::string>> placeholders = {
      {"set_frequency", {"frequency_hz"}},
      {"set_amplitude", {"vrms", "vpp", "vpeak"}},
      {"output_on", {}},
      {"output_off", {}},
      {"read_ac_volts", {}},
      {"read_dc_volts", {}},
      {"close", {"relay"}},
      {"open", {"relay"}},
      {"open_all", {}},
      {"set_voltage", {"volts"}},
      {"read_voltage", {}},
      {"read_current", {}},
  };
  return placeholders;
}

std::vector<std::string> placeholders_in(const std::string& templ) {
  std::vector<std::string> out;
  for (std::size_t at = templ.find('{'); at != std::string::npos; at = templ.find('{', at + 1)) {
    const std::size_t end = templ.find('}', at);
    if (end == std::string::npos) break;
    out.push_back(templ.substr(at + 1, end - at - 1));
  }
  return out;
}

}  // namespace

std::string_view instrument_kind_name(InstrumentKind kind) {
  switch (kind) {
    case InstrumentKind::fgen:
      return "fgen";
    case InstrumentKind::dmm:
      return "dmm";
    case InstrumentKind::relay:
      return "relay";
    case InstrumentKind::psu:
      return "psu";
  }
  return "?";
}

const std::vector<std::string>& required_operations(InstrumentKind kind) {
  static const std::vector<std::string> fgen = {"set_frequency", "set_amplitude", "output_on",
                                                "output_off"};
  static const std::vector<std::string> dmm = {"read_ac_volts"};
  static const std::vector<std::string> relay = {"close", "open_all"};
  static const std::vector<std::string> psu = {"set_voltage", "output_on", "output_off",
                                               "read_voltage", "read_current"};
  switch (kind) {
    case InstrumentKind::fgen:
      return fgen;
    case InstrumentKind::dmm:
      return dmm;
    case InstrumentKind::relay:
      return relay;
    case InstrumentKind::psu:
      return psu;
  }
  return relay;
}

const std::string& InstrumentProfile::command(const std::string& operation) const {
  const auto it = commands.find(operation);
  if (it == commands.end())
    throw UsageError("profile '" + name + "' has no command for '" + operation + "'");
  return it->second;
}

std::string render_command(const std::string& templ, const std::map<std::string, double>& values) {
  std::string out;
  std::size_t at = 0;
  for (std::size_t open; (open = templ.find('{', at)) != std::string::npos;) {
    const std::size_t close = templ.find('}', open);
    if (close == std::string::npos) break;
    out += templ.substr(at, open - at);
    const std::string name = templ.substr(open + 1, close - open - 1);
    const auto v = values.find(name);
    if (v == values.end())
      throw UsageError("command '" + templ + "' needs a value for {" + name + "}");
    char number[32];
    std::snprintf(number, sizeof number, "%.9g", v->second);
    out += number;
    at = close + 1;
  }
  return out + templ.substr(at);
}

InstrumentProfile parse_profile(const std::string& text, const std::string& path) {
  const TomlReader r = TomlReader::from_text(text, path);
  const toml::table& root = r.root();
  r.reject_unknown_keys(root, "", {"profile", "usbtmc", "limits", "commands"});
  const toml::table* head = r.table(root, "profile", "", true);
  r.reject_unknown_keys(
      *head, "profile",
      {"name", "kind", "description", "idn", "sim_idn", "timeout_ms", "settle_s"});
  InstrumentProfile p;
  p.path = path;
  p.name = r.string(*head, "name", "profile").value_or(std::filesystem::path(path).stem().string());
  const std::string kind = r.string(*head, "kind", "profile").value_or("");
  if (kind == "fgen")
    p.kind = InstrumentKind::fgen;
  else if (kind == "dmm")
    p.kind = InstrumentKind::dmm;
  else if (kind == "relay")
    p.kind = InstrumentKind::relay;
  else if (kind == "psu")
    p.kind = InstrumentKind::psu;
  else
    r.fail(head->get("kind") ? head->get("kind") : head, "profile.kind",
           "must be fgen, dmm, relay or psu");
  p.description = r.string(*head, "description", "profile").value_or("");
  p.idn_contains = r.string(*head, "idn", "profile").value_or("");
  p.sim_idn = r.string(*head, "sim_idn", "profile").value_or("ampbench,SIM-" + kind + ",0,1");
  if (const auto ms = r.integer(*head, "timeout_ms", "profile")) {
    if (*ms < 1 || *ms > 600000)
      r.fail(head->get("timeout_ms"), "profile.timeout_ms", "must be 1 to 600000");
    p.timeout = Milliseconds(*ms);
  }
  if (const auto s = r.number(*head, "settle_s", "profile")) {
    if (*s < 0.0 || *s > 60.0)
      r.fail(head->get("settle_s"), "profile.settle_s", "must be 0 to 60 s");
    p.settle_s = *s;
  }
  if (const toml::table* usb = r.table(root, "usbtmc", "", false)) {
    r.reject_unknown_keys(*usb, "usbtmc", {"vendor_id", "product_ids", "quirks"});
    if (const auto vid = r.integer(*usb, "vendor_id", "usbtmc")) {
      if (*vid < 0 || *vid > 0xffff)
        r.fail(usb->get("vendor_id"), "usbtmc.vendor_id", "must be 0 to 0xFFFF");
      p.usb_vendor_id = static_cast<std::uint16_t>(*vid);
    }
    for (double pid :
         r.number_array(*usb, "product_ids", "usbtmc").value_or(std::vector<double>{})) {
      if (pid < 0 || pid > 0xffff || pid != static_cast<int>(pid))
        r.fail(usb->get("product_ids"), "usbtmc.product_ids", "each must be 0 to 0xFFFF");
      p.usb_product_ids.push_back(static_cast<std::uint16_t>(pid));
    }
    p.quirk_names = r.string_array(*usb, "quirks", "usbtmc").value_or(std::vector<std::string>{});
    try {
      p.quirks = parse_usbtmc_quirks(p.quirk_names);
    } catch (const UsageError& e) {
      r.fail(usb->get("quirks"), "usbtmc.quirks", e.what());
    }
  }
  if (const toml::table* limits = r.table(root, "limits", "", false)) {
    r.reject_unknown_keys(*limits, "limits", {"max_frequency_hz", "max_vrms"});
    p.max_frequency_hz = r.number(*limits, "max_frequency_hz", "limits");
    p.max_vrms = r.number(*limits, "max_vrms", "limits");
    for (const char* key : {"max_frequency_hz", "max_vrms"})
      if (const auto v = r.number(*limits, key, "limits"); v && !(*v > 0.0))
        r.fail(limits->get(key), std::string("limits.") + key, "must be positive");
  }
  const toml::table* commands = r.table(root, "commands", "", true);
  for (const auto& [key, node] : *commands) {
    const std::string op(key.str());
    const std::string field = "commands." + op;
    if (op == "init") {
      p.init = r.string_array(*commands, "init", "commands").value_or(std::vector<std::string>{});
      continue;
    }
    const auto allowed = operation_placeholders().find(op);
    if (allowed == operation_placeholders().end())
      r.fail(&node, field,
             "unknown operation (known: init, set_frequency, set_amplitude, "
             "output_on, output_off, read_ac_volts, read_dc_volts, close, open, open_all)");
    const std::string templ = *r.string(*commands, op, "commands");
    if (templ.empty() || templ.find_first_of("\r\n") != std::string::npos)
      r.fail(&node, field, "must be one non-empty line of SCPI");
    for (const auto& name : placeholders_in(templ)) {
      if (std::find(allowed->second.begin(), allowed->second.end(), name) == allowed->second.end())
        r.fail(&node, field, "{" + name + "} is not a value this operation has");
    }
    p.commands[op] = templ;
  }
  for (const auto& line : p.init)
    if (line.empty() || line.find_first_of("{\r\n") != std::string::npos)
      r.fail(commands->get("init"), "commands.init",
             "each must be one line of SCPI without {values}");
  for (const auto& op : required_operations(p.kind))
    if (!p.commands.count(op))
      r.fail(commands, "commands." + op,
             with_article(kind) + " profile must define this operation");
  if (p.kind == InstrumentKind::fgen && placeholders_in(p.commands["set_amplitude"]).size() != 1)
    r.fail(commands->get("set_amplitude"), "commands.set_amplitude",
           "must hold exactly one of {vrms}, {vpp}, {vpeak}");
  return p;
}

InstrumentProfile load_profile(const std::string& name_or_path,
                               const std::vector<std::string>& profile_dirs) {
  namespace fs = std::filesystem;
  std::string path;
  if (name_or_path.size() > 5 && name_or_path.ends_with(".toml")) {
    path = name_or_path;
  } else {
    for (const auto& dir : profile_dirs) {
      const fs::path candidate = fs::path(dir) / (name_or_path + ".toml");
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec)) {
        path = candidate.string();
        break;
      }
    }
    if (path.empty()) {
      std::string where;
      for (const auto& dir : profile_dirs) where += (where.empty() ? "" : ", ") + dir;
      throw UsageError("no instrument profile '" + name_or_path + "' (looked in " + where + ")");
    }
  }
  const TomlReader file = TomlReader::from_file(path);
  return parse_profile(file.text(), path);
}

std::vector<std::string> profile_dirs_for(const std::string& station_path) {
  namespace fs = std::filesystem;
  std::vector<std::string> dirs;
  if (!station_path.empty())
    dirs.push_back((fs::path(station_path).parent_path() / "profiles").string());
  const std::string shipped = std::string(AMPBENCH_SOURCE_DIR) + "/instruments/profiles";
  if (dirs.empty() || fs::path(dirs[0]).lexically_normal() != fs::path(shipped).lexically_normal())
    dirs.push_back(shipped);
  return dirs;
}

}  // namespace ampbench::instruments
