// record: the coordinates a result is placed at. One table (dimensions.cpp) holds every sweep
// dimension — its key as written in a sweep and stored in a result's point, the kind of its
// values, unit, default spacing and how people say it — and every field of a step's stimulus
// table. Parsing, point expansion, limits, families, words and reports all read this table:
// a new dimension is one row there.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ampbench::record {

enum class Dimension {
  frequency,     // of the stimulus, Hz
  level,         // at the DUT's input, a level string
  output_level,  // at the DUT's output, a level string (the kind finds the input level)
  load,          // Ω
  dut_input,     // the DUT's input selector, a name
  dut_gain,      // dB
  dut_bass,      // dB
  dut_treble,    // dB
};

// What a dimension's values are: numbers in its unit, level strings ("-20 dBV"), or names.
enum class DimensionValue { number, level, name };
enum class Spacing { linear, log };

struct DimensionSpec {
  Dimension dimension;
  std::string_view key;  // in a sweep's `parameter` and in stored points
  DimensionValue value;
  std::string_view unit;   // of a number ("" for levels and names)
  Spacing spacing;         // of from/to/points without `spacing` (levels: by their unit)
  std::string_view title;  // a report's column or axis: "Frequency"
  int words_rank;          // order in a point said in words: frequency, load, level, the rest
};

std::span<const DimensionSpec> dimensions();
const DimensionSpec& spec_of(Dimension dimension);
const DimensionSpec* find_dimension(std::string_view key);
inline std::string_view key_of(Dimension dimension) {
  return spec_of(dimension).key;
}
// Every key, for messages: stimulus.level, stimulus.output_level, … or dut.input.
std::string dimension_keys_in_words();

// The fields of a step's `stimulus` table. Each step kind declares the ones it reads.
enum class StimulusField {
  source,
  frequency_hz,
  level,
  output_level,
  from_hz,
  to_hz,
  points,
  duration_s
};

struct StimulusFieldSpec {
  StimulusField field;
  std::string_view key;                // in the stimulus table: "frequency_hz"
  std::string_view path;               // within a step, as errors name it: stimulus.frequency_hz
  std::optional<Dimension> dimension;  // the sweep dimension that sets it, if any
};

std::span<const StimulusFieldSpec> stimulus_fields();
const StimulusFieldSpec& spec_of(StimulusField field);
const StimulusFieldSpec* find_stimulus_field(std::string_view key);
inline std::string_view path_of(StimulusField field) {
  return spec_of(field).path;
}

}  // namespace ampbench::record
