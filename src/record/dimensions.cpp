#include "record/dimensions.hpp"

#include <algorithm>
#include <stdexcept>

namespace ampbench::record {
namespace {

using D = Dimension;
using V = DimensionValue;
using S = StimulusField;

constexpr DimensionSpec kDimensions[] = {
    {D::level, "stimulus.level", V::level, "", Spacing::linear, "Input level", 2},
    {D::output_level, "stimulus.output_level", V::level, "", Spacing::linear, "Output level", 2},
    {D::frequency, "stimulus.frequency_hz", V::number, "Hz", Spacing::log, "Frequency", 0},
    {D::load, "load_ohm", V::number, "Ω", Spacing::log, "Load", 1},
    {D::dut_gain, "dut.gain_db", V::number, "dB", Spacing::linear, "Gain setting", 3},
    {D::dut_bass, "dut.bass_db", V::number, "dB", Spacing::linear, "Bass setting", 3},
    {D::dut_treble, "dut.treble_db", V::number, "dB", Spacing::linear, "Treble setting", 3},
    {D::dut_input, "dut.input", V::name, "", Spacing::linear, "Input", 3},
};

constexpr StimulusFieldSpec kStimulusFields[] = {
    {S::source, "source", "stimulus.source", std::nullopt},
    {S::frequency_hz, "frequency_hz", "stimulus.frequency_hz", D::frequency},
    {S::level, "level", "stimulus.level", D::level},
    {S::output_level, "output_level", "stimulus.output_level", D::output_level},
    {S::from_hz, "from_hz", "stimulus.from_hz", std::nullopt},
    {S::to_hz, "to_hz", "stimulus.to_hz", std::nullopt},
    {S::points, "points", "stimulus.points", std::nullopt},
    {S::duration_s, "duration_s", "stimulus.duration_s", std::nullopt},
};

}  // namespace

std::span<const DimensionSpec> dimensions() {
  return kDimensions;
}

const DimensionSpec& spec_of(Dimension dimension) {
  for (const auto& d : kDimensions)
    if (d.dimension == dimension) return d;
  throw std::logic_error("a sweep dimension without a row in record/dimensions.cpp");
}

const DimensionSpec* find_dimension(std::string_view key) {
  for (const auto& d : kDimensions)
    if (d.key == key) return &d;
  return nullptr;
}

std::string dimension_keys_in_words() {
  std::string out;
  for (std::size_t i = 0; i < std::size(kDimensions); ++i)
    out += std::string(i == 0                            ? ""
                       : i + 1 == std::size(kDimensions) ? " or "
                                                         : ", ") +
           std::string(kDimensions[i].key);
  return out;
}

std::span<const StimulusFieldSpec> stimulus_fields() {
  return kStimulusFields;
}

const StimulusFieldSpec& spec_of(StimulusField field) {
  for (const auto& f : kStimulusFields)
    if (f.field == field) return f;
  throw std::logic_error("a stimulus field without a row in record/dimensions.cpp");
}

const StimulusFieldSpec* find_stimulus_field(std::string_view key) {
  for (const auto& f : kStimulusFields)
    if (f.key == key) return &f;
  return nullptr;
}

}  // namespace ampbench::record
