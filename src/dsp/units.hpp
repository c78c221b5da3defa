// Named conversions between linear quantities and decibels (KFR style free functions).
#pragma once

#include <algorithm>
#include <cmath>

namespace ampbench::dsp {

// Floors keep dB figures finite (JSON and SQLite cannot hold -inf); -300 dB is far below
// anything a float64 analysis can resolve.
inline constexpr double kPowerRatioFloor = 1e-30;

inline double amplitude_ratio_to_db(double ratio) {
  return 20.0 * std::log10(std::max(std::abs(ratio), 1e-15));
}
inline double power_ratio_to_db(double ratio) {
  return 10.0 * std::log10(std::max(ratio, kPowerRatioFloor));
}
inline double db_to_amplitude_ratio(double db) {
  return std::pow(10.0, db / 20.0);
}
inline double db_to_power_ratio(double db) {
  return std::pow(10.0, db / 10.0);
}

// AES17: a sine whose peak reaches full scale reads 0 dBFS, i.e. dBFS = 20·lg(rms·√2).
inline double mean_square_to_dbfs(double mean_square_fs) {
  return power_ratio_to_db(2.0 * mean_square_fs);
}
inline double dbfs_to_peak_fs(double level_dbfs) {
  return db_to_amplitude_ratio(level_dbfs);
}

inline constexpr double kDbuReferenceVrms = 0.7745966692414834;  // sqrt(0.6)

inline double vrms_to_dbv(double vrms) {
  return amplitude_ratio_to_db(vrms);
}
inline double dbv_to_vrms(double dbv) {
  return db_to_amplitude_ratio(dbv);
}
inline double vrms_to_dbu(double vrms) {
  return amplitude_ratio_to_db(vrms / kDbuReferenceVrms);
}
inline double dbu_to_vrms(double dbu) {
  return kDbuReferenceVrms * db_to_amplitude_ratio(dbu);
}

}  // namespace ampbench::dsp
