// FFTW plans, made once per size and shared. Planning takes FFTW's global planner lock;
// executing a plan is thread-safe and never allocates (callers pass FFTW-aligned buffers,
// e.g. from AlignedBuffer).
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <string>

namespace ampbench::dsp {

// An FFTW-aligned array of doubles or complex values (fftw_malloc), move-only.
template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t size);
  AlignedBuffer(AlignedBuffer&& other) noexcept : data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
  }
  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  // Grows (never shrinks) to at least `size` elements; contents are not kept.
  void ensure_size(std::size_t size);

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

// FFTW wisdom: plans measured once per machine (`ampbench tune-fft`), kept as text. With
// wisdom for a size, plans are the measured ones; without, FFTW_ESTIMATE.
bool import_fft_wisdom(const std::string& text);
std::string export_fft_wisdom();
// Measures the best plans for this size (about a second) and adds them to the wisdom.
void tune_fft(std::size_t size);

// The smallest even size of at least `n` whose only prime factors are 2, 3 and 5: FFTW is
// about as fast there as at a power of two, and a transform padded to one wastes at most
// a few per cent where the next power of two can waste half (a long sweep's cost then grows
// with its length, not in steps).
std::size_t fast_fft_size(std::size_t n);

// Real-to-complex and complex-to-real transforms of one size. Unnormalised like FFTW:
// inverse(forward(x)) = N·x.
class RealFft {
 public:
  static std::shared_ptr<const RealFft> for_size(std::size_t size);
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  std::size_t size() const { return size_; }
  std::size_t spectrum_size() const { return size_ / 2 + 1; }
  // in: size() reals; out: spectrum_size() complex values. Both FFTW-aligned.
  void forward(const double* in, std::complex<double>* out) const;
  // in: spectrum_size() complex values (destroyed); out: size() reals.
  void inverse(std::complex<double>* in, double* out) const;

 private:
  explicit RealFft(std::size_t size);
  std::size_t size_;
  void* forward_plan_;
  void* inverse_plan_;
};

}  // namespace ampbench::dsp
