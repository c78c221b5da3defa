// A production line's worth of runs, written through the station store's own insert path
// (begin_run, begin_step, finish_step, finish_run), for timing `stats` and `limits derive`
// at scale (bench/line_scale.sh). Each run copies a template run's steps with every value
// moved by a seeded normal draw; 2 % of the units fail their first measurement.
// Usage: line_synth TEMPLATE_DB OUT_DB RUNS [STATIONS]
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

#include "record/record.hpp"
#include "store/result_store.hpp"

using namespace ampbench;

namespace {

std::string iso8601(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: line_synth TEMPLATE_DB OUT_DB RUNS [STATIONS]\n");
    return 2;
  }
  const long runs = std::stol(argv[3]);
  const int stations = argc > 4 ? std::stoi(argv[4]) : 10;
  const auto source = store::ResultStore::open(argv[1], store::ResultStore::Mode::read_only);
  store::RunFilter latest;
  latest.limit = 1;
  const auto headers = source->list_runs(latest);
  if (headers.empty()) {
    std::fprintf(stderr, "line_synth: %s holds no run\n", argv[1]);
    return 1;
  }
  const record::RunRecord model = source->load_run(headers[0].uuid);
  auto out = store::ResultStore::open(argv[2]);
  std::mt19937_64 random(1);
  std::normal_distribution<double> z;
  std::uniform_real_distribution<double> u;
  const std::time_t start = 1'767'225'600;  // 2026-01-01T00:00:00Z
  for (long i = 0; i < runs; ++i) {
    record::RunRecord run = model;
    run.id = 0;
    run.uuid.clear();
    run.steps.clear();
    run.serial = "SYN-" + std::to_string(i);
    run.station_name = "bench-" + std::to_string(i % stations);
    // Ten stations, a unit each every 30 s on each.
    run.started_at = iso8601(start + static_cast<std::time_t>(i / stations * 30));
    run.verdict = record::Verdict::running;
    out->begin_run(run);
    const bool failing = u(random) < 0.02;
    bool first = true;
    for (const auto& template_step : model.steps) {
      record::StepRecord step = template_step;
      step.id = 0;
      step.measurements.clear();
      out->begin_step(run.id, step);
      for (auto m : template_step.measurements) {
        if (std::isfinite(m.value))
          m.value += (m.unit.rfind("dB", 0) == 0 ? 0.05 : 0.01 * std::abs(m.value)) * z(random);
        m.verdict = failing && first ? record::Verdict::fail : record::Verdict::pass;
        first = false;
        step.measurements.push_back(std::move(m));
      }
      step.verdict = failing && step.ordinal == model.steps.front().ordinal ? record::Verdict::fail
                                                                              : record::Verdict::pass;
      out->finish_step(step);
    }
    run.verdict = failing ? record::Verdict::fail : record::Verdict::pass;
    run.finished_at = iso8601(start + static_cast<std::time_t>(i / stations * 30 + 2));
    out->finish_run(run);
    if ((i + 1) % 10000 == 0) std::fprintf(stderr, "line_synth: %ld runs\n", i + 1);
  }
  return 0;
}
