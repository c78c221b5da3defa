// A production line's worth of runs, written through a store's own insert path (a station's
// SQLite file: begin_run, begin_step, finish_step, finish_run; the line's PostgreSQL
// database: insert_run, as a station's forwarder sends them), for timing `stats` and
// `limits derive` at scale (bench/line_scale.sh). Each run copies a template run's steps
// with every value moved by a seeded normal draw; 2 % of the units fail their first
// measurement.
// Usage: line_synth TEMPLATE_DB OUT_DB|postgresql://… RUNS [STATIONS]
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

#include "common/postgres_uri.hpp"
#include "record/record.hpp"
#include "store/postgres_store.hpp"
#include "store/result_store.hpp"

using namespace ampbench;

namespace {

struct Synthesiser {
  record::RunRecord model;
  int stations = 10;
  std::mt19937_64 random{1};
  std::normal_distribution<double> z;
  std::uniform_real_distribution<double> u;

  // Run `i`: ten stations, a unit each every 30 s on each, from 2026-01-01T00:00:00Z.
  record::RunRecord run(long i) {
    const std::time_t start = 1'767'225'600 + static_cast<std::time_t>(i / stations * 30);
    record::RunRecord run = model;
    run.id = 0;
    run.uuid = record::new_uuid_v4();
    run.serial = "SYN-" + std::to_string(i);
    run.station_name = "bench-" + std::to_string(i % stations);
    run.started_at = record::utc_iso8601(start);
    run.finished_at = record::utc_iso8601(start + 2);
    const bool failing = u(random) < 0.02;
    bool first = true;
    for (auto& step : run.steps) {
      step.id = 0;
      for (auto& m : step.measurements) {
        if (std::isfinite(m.value))
          m.value += (m.unit.rfind("dB", 0) == 0 ? 0.05 : 0.01 * std::abs(m.value)) * z(random);
        m.verdict = failing && first ? record::Verdict::fail : record::Verdict::pass;
        first = false;
      }
      step.verdict =
          failing && &step == &run.steps.front() ? record::Verdict::fail : record::Verdict::pass;
    }
    run.verdict = failing ? record::Verdict::fail : record::Verdict::pass;
    return run;
  }
};

void write_station(store::ResultStore& out, record::RunRecord run) {
  std::vector<record::StepRecord> steps = std::move(run.steps);
  run.steps.clear();
  const record::Verdict verdict = run.verdict;
  const std::string finished_at = run.finished_at;
  run.verdict = record::Verdict::running;
  run.finished_at.clear();
  out.begin_run(run);
  for (auto& step : steps) {
    record::StepRecord begun = step;
    begun.measurements.clear();
    begun.curves.clear();
    out.begin_step(run.id, begun);
    step.id = begun.id;
    out.finish_step(step);
  }
  run.verdict = verdict;
  run.finished_at = finished_at;
  out.finish_run(run);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: line_synth TEMPLATE_DB OUT_DB|postgresql://… RUNS [STATIONS]\n");
    return 2;
  }
  const long runs = std::stol(argv[3]);
  Synthesiser synth;
  synth.stations = argc > 4 ? std::stoi(argv[4]) : 10;
  const auto source = store::ResultStore::open(argv[1], store::ResultStore::Mode::read_only);
  store::RunFilter latest;
  latest.limit = 1;
  const auto headers = source->list_runs(latest);
  if (headers.empty()) {
    std::fprintf(stderr, "line_synth: %s holds no run\n", argv[1]);
    return 1;
  }
  synth.model = source->load_run(headers[0].uuid);
  const std::string target = argv[2];
  std::unique_ptr<store::PostgresStore> central;
  std::unique_ptr<store::ResultStore> station;
  if (is_postgres_uri(target))
    central = store::PostgresStore::open(target, store::PostgresStore::Mode::read_write);
  else
    station = store::ResultStore::open(target);
  for (long i = 0; i < runs; ++i) {
    if (central)
      central->insert_run(synth.run(i));
    else
      write_station(*station, synth.run(i));
    if ((i + 1) % 10000 == 0) std::fprintf(stderr, "line_synth: %ld runs\n", i + 1);
  }
  return 0;
}
