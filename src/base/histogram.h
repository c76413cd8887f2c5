#pragma once
// Log-linear histogram (HdrHistogram style): values are bucketed with a relative error of at
// most 1/kSubBuckets (~1.6%), from 0 to 2^63, in constant memory. Used for loop lag and by
// herald bench for publish->deliver latency. Not thread-safe: one per thread, merge() to
// combine.
#include <cstdint>
#include <string>
#include <vector>

namespace herald::base {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 6;  // 64 linear steps per power of two
  static constexpr uint64_t kSubBuckets = 1u << kSubBucketBits;

  Histogram();
  void record(uint64_t value, uint64_t count = 1);
  void merge(const Histogram& other);
  void reset();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? double(sum_) / double(count_) : 0.0; }
  /// Smallest recorded-bucket upper bound v such that at least q (0..1) of values are <= v.
  /// Exact for min (q=0) and max (q=1).
  uint64_t percentile(double q) const;

  /// Bucket index of a value and the value range of a bucket (for tests and exporters).
  static size_t bucket_of(uint64_t value);
  static uint64_t bucket_low(size_t index);
  static uint64_t bucket_high(size_t index);
  /// Non-empty buckets as (upper bound, count), ascending: for CDF plots and Prometheus.
  std::vector<std::pair<uint64_t, uint64_t>> buckets() const;

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace herald::base
