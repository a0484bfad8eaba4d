// LatencyHistogram: log-linear buckets (HdrHistogram-style, about 1% precision) for latencies
// in nanoseconds up to about 2^40 ns. Not thread-safe: keep one per thread and merge.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>

namespace jindou::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;  // 128 sub-buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMagnitudes = 40;

  void record(uint64_t ns) {
    ++counts_[index_of(ns)];
    ++total_;
    if (ns > max_) max_ = ns;
    sum_ += ns;
  }
  void merge(const LatencyHistogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    sum_ += o.sum_;
    if (o.max_ > max_) max_ = o.max_;
  }
  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }
  double mean() const { return total_ ? static_cast<double>(sum_) / total_ : 0; }
  // The smallest recorded value v such that at least q of all values are <= v (approximately).
  uint64_t percentile(double q) const {
    if (total_ == 0) return 0;
    const auto want = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.5);
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= want && counts_[i] > 0) return upper_of(i);
    }
    return max_;
  }

 private:
  static size_t index_of(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    const int magnitude = 63 - __builtin_clzll(v) - kSubBits + 1;  // >= 1
    if (magnitude >= kMagnitudes) return kSub * kMagnitudes - 1;
    const uint64_t sub = v >> magnitude;  // in [kSub/2, kSub)
    return static_cast<size_t>(magnitude) * kSub + static_cast<size_t>(sub);
  }
  static uint64_t upper_of(size_t i) {
    const size_t magnitude = i / kSub;
    const uint64_t sub = i % kSub;
    if (magnitude == 0) return sub;
    return ((sub + 1) << magnitude) - 1;
  }

  std::array<uint64_t, kSub * kMagnitudes> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace jindou::bench
