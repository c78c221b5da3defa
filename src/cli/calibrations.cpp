// `ampbench calibrations list|show ID`: the interface's calibration records (SPEC §15).
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "record/calibration.hpp"
#include "store/result_store.hpp"

namespace ampbench::cli {
namespace {

nlohmann::json to_json(const record::CalibrationRecord& c) {
  return {{"id", c.id},
          {"uuid", c.uuid},
          {"station_name", c.station_name},
          {"channel", c.channel},
          {"direction", c.direction},
          {"sample_rate_hz", c.sample_rate_hz},
          {"range", c.range.empty() ? nlohmann::json() : nlohmann::json(c.range)},
          {"vrms_at_0dbfs", c.vrms_at_0dbfs},
          {"u_db", c.u_db},
          {"coverage_k", c.coverage_k},
          {"created_at", c.created_at},
          {"valid_until", c.valid_until.empty() ? nlohmann::json() : nlohmann::json(c.valid_until)},
          {"operator", c.operator_name},
          {"reference_idn", c.reference_idn},
          {"reference_due", c.reference_due},
          {"temperature_c", c.temperature_c ? nlohmann::json(*c.temperature_c) : nlohmann::json()},
          {"readings", c.readings},
          {"note", c.note}};
}

struct Options {
  std::string db = "ampbench.db";
  std::string station;
  std::string id;
  bool json = false;
};

int list(const Options& o) {
  const auto store = store::ResultStore::open(o.db, store::ResultStore::Mode::read_only);
  const auto records = store->list_calibrations(o.station);
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : records) out.push_back(to_json(c));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-5s %-8s %-16s %-6s %4s %8s %11s %9s  %-24s %s\n", "id", "uuid", "station", "dir",
              "ch", "rate", "Vrms/FS", "U (k=2)", "created", "valid until");
  for (const auto& c : records)
    std::printf("%-5lld %-8s %-16s %-6s %4d %8g %11.6g %6.4f dB  %-24s %s\n",
                static_cast<long long>(c.id), c.uuid.substr(0, 8).c_str(), c.station_name.c_str(),
                c.direction.c_str(), c.channel, c.sample_rate_hz, c.vrms_at_0dbfs,
                c.coverage_k * c.u_db, c.created_at.c_str(),
                c.valid_until.empty() ? "-" : c.valid_until.c_str());
  return 0;
}

int show(const Options& o) {
  const auto store = store::ResultStore::open(o.db, store::ResultStore::Mode::read_only);
  const auto c = store->load_calibration(o.id);
  if (o.json) {
    std::cout << to_json(c).dump(2) << "\n";
    return 0;
  }
  std::printf("calibration %lld (%s)\n", static_cast<long long>(c.id), c.uuid.c_str());
  std::printf("  station      %s, %s %d at %g Hz\n", c.station_name.c_str(), c.direction.c_str(),
              c.channel, c.sample_rate_hz);
  std::printf("  value        %.6g Vrms at 0 dBFS\n", c.vrms_at_0dbfs);
  std::printf("  uncertainty  u = %.4f dB, U = %.4f dB (k = %g)\n", c.u_db, c.coverage_k * c.u_db,
              c.coverage_k);
  std::printf("  made         %s by %s%s\n", c.created_at.c_str(), c.operator_name.c_str(),
              c.temperature_c ? (", " + std::to_string(*c.temperature_c) + " °C").c_str() : "");
  std::printf("  valid until  %s\n", c.valid_until.empty() ? "no expiry" : c.valid_until.c_str());
  std::printf("  reference    %s%s\n", c.reference_idn.c_str(),
              c.reference_due.empty() ? "" : (", due " + c.reference_due).c_str());
  std::printf("  readings     %s\n", c.readings.dump().c_str());
  return 0;
}

}  // namespace

Subcommand add_calibrations_command(CLI::App& parent) {
  auto o = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand("calibrations",
                                        "The interface's calibration records (from `calibrate`)");
  app->require_subcommand(1);
  CLI::App* list_app = app->add_subcommand("list", "Every record, newest first");
  list_app->add_option("--db", o->db, "Results database (default ampbench.db)");
  list_app->add_option("--station", o->station, "Only this station's records (its name)");
  list_app->add_flag("--json", o->json, "JSON instead of a table");
  CLI::App* show_app = app->add_subcommand("show", "One record with its readings and budget");
  show_app->add_option("id", o->id, "The record's id, uuid or uuid prefix")->required();
  show_app->add_option("--db", o->db, "Results database (default ampbench.db)");
  show_app->add_flag("--json", o->json, "JSON instead of text");
  return {app, [o, list_app] { return list_app->parsed() ? list(*o) : show(*o); }};
}

}  // namespace ampbench::cli
