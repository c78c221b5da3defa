"""The same block analysis as ampbench's analyze_tone, in numpy/scipy: 7-term
Blackman-Harris window, real FFT, fundamental lobe, harmonics 2..10, THD+N 20 Hz-20 kHz.
Prints the median time per analysis in microseconds, the THD+N it found, and the median
time with its arrays kept between calls (windowed block, spectrum: numpy without its own
memory churn; the FFT's output is still allocated, as scipy.fft has no output argument)."""
import statistics
import sys
import time

import numpy as np
import scipy.fft
from scipy.io import wavfile
from scipy.signal import get_window

BH7 = [0.27105140069342, 0.43329793923448, 0.21812299954311, 0.06592544638803,
       0.01081174209837, 0.00077658482522, 0.00001388721735]


def analyze(x, fs, window):
    n = len(x)
    spectrum = np.abs(np.fft.rfft(x * window)) ** 2 * (2.0 / (n * np.sum(window ** 2)))
    return measure(spectrum, fs, n)


class Kept:
    """The arrays of one block size, made once."""

    def __init__(self, window):
        n = len(window)
        self.window = window
        self.scale = 2.0 / (n * np.sum(window ** 2))
        self.windowed = np.empty(n)
        self.spectrum = np.empty(n // 2 + 1)

    def analyze(self, x, fs):
        np.multiply(x, self.window, out=self.windowed)
        np.abs(scipy.fft.rfft(self.windowed, overwrite_x=True), out=self.spectrum)
        np.square(self.spectrum, out=self.spectrum)
        self.spectrum *= self.scale
        return measure(self.spectrum, fs, len(x))


def measure(spectrum, fs, n):
    spectrum[0] *= 0.5
    spectrum[-1] *= 0.5
    width = fs / n
    lo, hi = int(np.ceil(20 / width)), int(np.floor(20000 / width))
    k = lo + 9 + int(np.argmax(spectrum[lo + 9:hi + 1]))
    a, b, c = np.log(spectrum[k - 1:k + 2])
    peak = k + 0.5 * (a - c) / (a - 2 * b + c)
    half = 8
    f0 = int(round(peak))
    fundamental = spectrum[f0 - half:f0 + half + 1].sum()
    residual = spectrum[lo:f0 - half].sum() + spectrum[f0 + half + 1:hi + 1].sum()
    harmonics = []
    for order in range(2, 11):
        centre = int(round(peak * order))
        if centre * width > 20000:
            break
        harmonics.append(spectrum[centre - half:centre + half + 1].sum())
    thd = np.sqrt(sum(harmonics) / fundamental)
    thdn = np.sqrt(residual / (fundamental + residual))
    return thd, thdn


def main():
    fs, data = wavfile.read(sys.argv[1])
    x = (data[:, 0] if data.ndim > 1 else data).astype(np.float64)[:65536]
    window = get_window(("general_cosine", BH7), len(x), fftbins=True)
    times = []
    for _ in range(200):
        start = time.perf_counter()
        _, thdn = analyze(x, fs, window)
        times.append(time.perf_counter() - start)
    kept = Kept(window)
    kept_times = []
    for _ in range(200):
        start = time.perf_counter()
        _, kept_thdn = kept.analyze(x, fs)
        kept_times.append(time.perf_counter() - start)
    assert abs(kept_thdn - thdn) <= 1e-9 * thdn
    print(f"{statistics.median(times) * 1e6:.1f} {20 * np.log10(thdn):.3f} {statistics.median(kept_times) * 1e6:.1f}")


main()
