#include "dsp/fft.hpp"

#include <fftw3.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>

namespace ampbench::dsp {
namespace {

std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

// FFTW_MEASURE plans run 65536-point transforms about 35 % faster but take about a second
// each to find, too long for every process: they come from wisdom saved by `ampbench
// tune-fft` when there is some for the size, else FFTW_ESTIMATE (planned in microseconds).
fftw_plan make_plan(std::size_t size, double* real, fftw_complex* complex, bool forward) {
  const int n = static_cast<int>(size);
  fftw_plan plan = forward
                       ? fftw_plan_dft_r2c_1d(n, real, complex, FFTW_MEASURE | FFTW_WISDOM_ONLY)
                       : fftw_plan_dft_c2r_1d(n, complex, real, FFTW_MEASURE | FFTW_WISDOM_ONLY);
  if (plan) return plan;
  return forward ? fftw_plan_dft_r2c_1d(n, real, complex, FFTW_ESTIMATE)
                 : fftw_plan_dft_c2r_1d(n, complex, real, FFTW_ESTIMATE);
}

}  // namespace

std::map<std::size_t, std::shared_ptr<const RealFft>>& plan_cache();

template <typename T>
AlignedBuffer<T>::AlignedBuffer(std::size_t size) {
  ensure_size(size);
}

template <typename T>
AlignedBuffer<T>& AlignedBuffer<T>::operator=(AlignedBuffer&& other) noexcept {
  if (this != &other) {
    fftw_free(data_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

template <typename T>
AlignedBuffer<T>::~AlignedBuffer() {
  fftw_free(data_);
}

template <typename T>
void AlignedBuffer<T>::ensure_size(std::size_t size) {
  if (size <= size_) return;
  fftw_free(data_);
  data_ = static_cast<T*>(fftw_malloc(sizeof(T) * size));
  if (data_ == nullptr) throw std::bad_alloc();
  size_ = size;
}

template class AlignedBuffer<double>;
template class AlignedBuffer<std::complex<double>>;

RealFft::RealFft(std::size_t size) : size_(size) {
  AlignedBuffer<double> real(size);
  AlignedBuffer<std::complex<double>> complex(size / 2 + 1);
  auto* c = reinterpret_cast<fftw_complex*>(complex.data());
  forward_plan_ = make_plan(size, real.data(), c, true);
  inverse_plan_ = make_plan(size, real.data(), c, false);
  if (forward_plan_ == nullptr || inverse_plan_ == nullptr) throw std::bad_alloc();
}

bool import_fft_wisdom(const std::string& text) {
  std::lock_guard lock(planner_mutex());
  return fftw_import_wisdom_from_string(text.c_str()) != 0;
}

std::string export_fft_wisdom() {
  std::lock_guard lock(planner_mutex());
  char* text = fftw_export_wisdom_to_string();
  std::string out = text ? text : "";
  std::free(text);
  return out;
}

void tune_fft(std::size_t size) {
  auto& cache = plan_cache();
  std::shared_ptr<const RealFft> replaced;  // destroyed after the lock is released
  std::lock_guard lock(planner_mutex());
  if (auto it = cache.find(size); it != cache.end()) {
    replaced = std::move(it->second);
    cache.erase(it);  // the next for_size() plans again, from the new wisdom
  }
  AlignedBuffer<double> real(size);
  AlignedBuffer<std::complex<double>> complex(size / 2 + 1);
  auto* c = reinterpret_cast<fftw_complex*>(complex.data());
  const int n = static_cast<int>(size);
  fftw_destroy_plan(fftw_plan_dft_r2c_1d(n, real.data(), c, FFTW_MEASURE));
  fftw_destroy_plan(fftw_plan_dft_c2r_1d(n, c, real.data(), FFTW_MEASURE));
}

RealFft::~RealFft() {
  std::lock_guard lock(planner_mutex());
  fftw_destroy_plan(static_cast<fftw_plan>(forward_plan_));
  fftw_destroy_plan(static_cast<fftw_plan>(inverse_plan_));
}

std::map<std::size_t, std::shared_ptr<const RealFft>>& plan_cache() {
  // The mutex must outlive the cache, whose plans lock it when destroyed at exit.
  planner_mutex();
  static std::map<std::size_t, std::shared_ptr<const RealFft>> cache;
  return cache;
}

std::size_t fast_fft_size(std::size_t n) {
  std::size_t best = 2;
  while (best < n) best *= 2;
  for (std::size_t p5 = 1; p5 < best; p5 *= 5)
    for (std::size_t p35 = p5; p35 < best; p35 *= 3) {
      std::size_t size = p35 * 2;
      while (size < n) size *= 2;
      best = std::min(best, size);
    }
  return best;
}

std::shared_ptr<const RealFft> RealFft::for_size(std::size_t size) {
  auto& cache = plan_cache();
  std::lock_guard lock(planner_mutex());
  auto& slot = cache[size];
  if (!slot) slot = std::shared_ptr<const RealFft>(new RealFft(size));
  return slot;
}

void RealFft::forward(const double* in, std::complex<double>* out) const {
  fftw_execute_dft_r2c(static_cast<fftw_plan>(forward_plan_), const_cast<double*>(in),
                       reinterpret_cast<fftw_complex*>(out));
}

void RealFft::inverse(std::complex<double>* in, double* out) const {
  fftw_execute_dft_c2r(static_cast<fftw_plan>(inverse_plan_), reinterpret_cast<fftw_complex*>(in),
                       out);
}

}  // namespace ampbench::dsp
