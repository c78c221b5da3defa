#include "dsp/fft.hpp"

#include <fftw3.h>

#include <map>
#include <mutex>
#include <new>

namespace ampbench::dsp {
namespace {

std::mutex& planner_mutex() {
  static std::mutex mutex;
  return mutex;
}

// FFTW_MEASURE runs 65536-point transforms about 20 % faster but spends ~2 s planning in
// every process, which a CLI run and a production unit pay each time; ESTIMATE plans in
// microseconds and already analyses a 65536-sample block well inside 0.5 ms.
constexpr unsigned kPlannerFlags = FFTW_ESTIMATE;

}  // namespace

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
  const int n = static_cast<int>(size);
  auto* c = reinterpret_cast<fftw_complex*>(complex.data());
  forward_plan_ = fftw_plan_dft_r2c_1d(n, real.data(), c, kPlannerFlags);
  inverse_plan_ = fftw_plan_dft_c2r_1d(n, c, real.data(), kPlannerFlags);
  if (forward_plan_ == nullptr || inverse_plan_ == nullptr) throw std::bad_alloc();
}

RealFft::~RealFft() {
  std::lock_guard lock(planner_mutex());
  fftw_destroy_plan(static_cast<fftw_plan>(forward_plan_));
  fftw_destroy_plan(static_cast<fftw_plan>(inverse_plan_));
}

std::shared_ptr<const RealFft> RealFft::for_size(std::size_t size) {
  // The mutex must outlive the cache, whose plans lock it when destroyed at exit.
  std::mutex& mutex = planner_mutex();
  static std::map<std::size_t, std::shared_ptr<const RealFft>> cache;
  std::lock_guard lock(mutex);
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
