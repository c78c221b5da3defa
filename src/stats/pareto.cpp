#include "stats/pareto.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace ampbench::stats {
namespace {

bool failing(record::Verdict v) {
  return v == record::Verdict::fail || v == record::Verdict::error;
}

struct Tally {
  std::set<std::string> serials;
  std::set<std::string> runs;
  std::set<std::string> error_runs;
};

// The failing runs and their failing measurements, then the runs none of those explain.
class Builder {
 public:
  void add_run(const record::RunRecord& run) {
    if (!failing(run.verdict)) return;
    failing_runs_.emplace(run.uuid, run);
    failing_serials_.insert(run.serial);
  }
  void add_row(const store::MeasurementRow& row) {
    if (!failing(row.measurement.verdict) || !failing_runs_.count(row.run_uuid)) return;
    auto& t = tallies_[{row.step_id, row.measurement.name}];
    t.serials.insert(row.serial);
    t.runs.insert(row.run_uuid);
    if (row.measurement.verdict == record::Verdict::error) t.error_runs.insert(row.run_uuid);
    explained_.insert(row.run_uuid);
  }
  Pareto finish(int runs, const std::function<record::RunRecord(const std::string&)>& load_run);

 private:
  std::map<std::string, record::RunRecord> failing_runs_;  // headers, by uuid
  std::set<std::string> failing_serials_;
  std::map<std::pair<std::string, std::string>, Tally> tallies_;
  std::set<std::string> explained_;
};

Pareto Builder::finish(int runs,
                       const std::function<record::RunRecord(const std::string&)>& load_run) {
  Pareto out;
  out.runs = runs;
  out.failing_runs = static_cast<int>(failing_runs_.size());
  out.failing_units = static_cast<int>(failing_serials_.size());
  // A run that failed on a curve's mask or a step's error leaves no failing measurement:
  // it is still a failing run, counted under its steps that did not pass.
  for (const auto& [uuid, run] : failing_runs_) {
    if (explained_.count(uuid)) continue;
    bool placed = false;
    const auto whole = run.steps.empty() && load_run ? load_run(uuid) : run;
    for (const auto& step : whole.steps) {
      if (!failing(step.verdict)) continue;
      auto& t = tallies_[{step.step_id, ""}];
      t.serials.insert(run.serial);
      t.runs.insert(uuid);
      if (step.verdict == record::Verdict::error) t.error_runs.insert(uuid);
      placed = true;
    }
    if (!placed) {
      auto& t = tallies_[{"", ""}];
      t.serials.insert(run.serial);
      t.runs.insert(uuid);
    }
  }

  for (const auto& [key, t] : tallies_) {
    ParetoCause c;
    c.step_id = key.first;
    c.name = key.second;
    c.units = static_cast<int>(t.serials.size());
    c.runs = static_cast<int>(t.runs.size());
    c.errors = static_cast<int>(t.error_runs.size());
    c.share = out.failing_runs ? static_cast<double>(c.runs) / out.failing_runs : 0.0;
    out.causes.push_back(std::move(c));
  }
  std::sort(out.causes.begin(), out.causes.end(), [](const auto& a, const auto& b) {
    return std::tie(b.units, b.runs, a.step_id, a.name) <
           std::tie(a.units, a.runs, b.step_id, b.name);
  });
  // Cumulative share of the failing units explained down the list (a unit counted once,
  // at the first cause that holds it).
  std::set<std::string> covered;
  for (auto& c : out.causes) {
    const auto& serials = tallies_.at({c.step_id, c.name}).serials;
    covered.insert(serials.begin(), serials.end());
    c.cumulative =
        out.failing_units ? static_cast<double>(covered.size()) / out.failing_units : 0.0;
  }
  return out;
}

}  // namespace

Pareto pareto(const std::vector<record::RunRecord>& runs,
              const std::vector<store::MeasurementRow>& rows,
              const std::function<record::RunRecord(const std::string& uuid)>& load_run) {
  Builder builder;
  int finished = 0;
  for (const auto& run : runs) {
    if (run.verdict == record::Verdict::aborted || run.verdict == record::Verdict::running)
      continue;
    ++finished;
    builder.add_run(run);
  }
  for (const auto& row : rows) builder.add_row(row);
  return builder.finish(finished, load_run);
}

Pareto pareto(const store::ResultsReader& store, const store::RunFilter& filter) {
  store::RunFilter runs = filter;
  runs.limit = 0;
  const auto counted = [&](std::optional<record::Verdict> verdict) {
    store::RunFilter f = runs;
    f.verdict = verdict;
    std::int64_t n = 0;
    for (const auto& t : store.run_tallies(f, true)) n += t.runs;
    return n;
  };
  // Finished runs: all but those aborted (RUNNING ones are never counted).
  const std::int64_t finished =
      filter.verdict ? (*filter.verdict == record::Verdict::aborted ? 0 : counted(filter.verdict))
                     : counted(std::nullopt) - counted(record::Verdict::aborted);
  Builder builder;
  for (const auto verdict : {record::Verdict::fail, record::Verdict::error}) {
    if (filter.verdict && *filter.verdict != verdict) continue;
    store::RunFilter f = runs;
    f.verdict = verdict;
    for (const auto& run : store.list_runs(f)) builder.add_run(run);
    store.visit_newest_measurements(f, [&](const store::MeasurementRow& row) {
      builder.add_row(row);
      return true;
    });
  }
  return builder.finish(static_cast<int>(finished),
                        [&](const std::string& uuid) { return store.load_run(uuid); });
}

nlohmann::json to_json(const Pareto& p) {
  nlohmann::json causes = nlohmann::json::array();
  for (const auto& c : p.causes)
    causes.push_back(
        {{"step", c.step_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.step_id)},
         {"measurement", c.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.name)},
         {"units", c.units},
         {"runs", c.runs},
         {"errors", c.errors},
         {"share_of_failing_runs", c.share},
         {"cumulative_units", c.cumulative}});
  return {{"runs", p.runs},
          {"failing_runs", p.failing_runs},
          {"failing_units", p.failing_units},
          {"causes", causes}};
}

}  // namespace ampbench::stats
