// sim: the impedances of the simulated bench's reactive parts, as functions of frequency —
// a loudspeaker (a load, or a DUT "input" measured with a series resistor), an input's
// resistance in parallel with its capacitance, an amplifier's output network.
#pragma once

#include <complex>
#include <optional>

namespace ampbench::sim {

// The Thiele-Small electrical model of a moving-coil loudspeaker: the voice coil's Re in
// series with its inductance Le, in series with the motional impedance — a parallel
// resonance at Fs made of R_es = Re·Qms/Qes, C_mes = Qes/(2π·Fs·Re), L_ces = 1/((2π·Fs)²·C_mes):
// Z = Re + jωLe + 1/(1/R_es + 1/(jωL_ces) + jωC_mes). |Z| peaks near Fs at about Re + R_es
// and rises with ωLe far above it.
struct LoudspeakerModel {
  double nominal_ohm = 8.0;  // the load value that selects it (loads.available_ohm)
  double re_ohm = 6.5;
  double le_mh = 0.5;
  double fs_hz = 45.0;
  double qes = 0.45;
  double qms = 4.0;
};
std::complex<double> loudspeaker_impedance(const LoudspeakerModel& speaker, double frequency_hz);

// R ∥ C (C in pF; 0 = none): an amplifier input with its cable and input capacitance.
std::complex<double> parallel_rc(double ohm, double capacitance_pf, double frequency_hz);

// A power amplifier's output: the source e behind R_out; a Zobel network (R_z + C_z) from
// there to ground; then the output inductor L (with a damping resistor R_d across it) to the
// terminals. Seen from the terminals (Thevenin): open-circuit voltage e·Z_z/(R_out + Z_z),
// impedance (R_out ∥ Z_z) + (jωL ∥ R_d). Zero values leave the part out.
struct OutputNetwork {
  double output_ohm = 0.05;
  double inductor_uh = 0.0;
  double damping_ohm = 0.0;  // across the inductor; 0 = none
  double zobel_ohm = 0.0;
  double zobel_nf = 0.0;
  bool reactive() const { return inductor_uh > 0.0 || (zobel_ohm > 0.0 && zobel_nf > 0.0); }
};
std::complex<double> output_impedance(const OutputNetwork& network, double frequency_hz);
// V_terminals / e into the load (nullopt: open).
std::complex<double> output_transfer(const OutputNetwork& network,
                                     std::optional<std::complex<double>> load_ohm,
                                     double frequency_hz);

}  // namespace ampbench::sim
