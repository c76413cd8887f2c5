#include "base/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace herald::base {
namespace {
// Buckets 0..kSubBuckets-1 hold values 0..63 exactly. Above that, each power of two
// [2^k, 2^(k+1)) is split into kSubBuckets linear steps: a uniform relative error of 1/64.
constexpr int kMaxPower = 64;
constexpr size_t kBucketCount =
    Histogram::kSubBuckets * (kMaxPower - Histogram::kSubBucketBits + 1);
}  // namespace

Histogram::Histogram() : counts_(kBucketCount, 0) {}

size_t Histogram::bucket_of(uint64_t v) {
  if (v < kSubBuckets) return static_cast<size_t>(v);
  int power = 63 - std::countl_zero(v);  // v in [2^power, 2^(power+1))
  int shift = power - kSubBucketBits;
  uint64_t sub = (v >> shift) - kSubBuckets;  // 0..kSubBuckets-1
  return static_cast<size_t>((shift + 1) * kSubBuckets + sub);
}

uint64_t Histogram::bucket_low(size_t i) {
  if (i < kSubBuckets) return i;
  size_t shift = i / kSubBuckets - 1;
  uint64_t sub = i % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

uint64_t Histogram::bucket_high(size_t i) {
  if (i < kSubBuckets) return i;
  size_t shift = i / kSubBuckets - 1;
  uint64_t low = bucket_low(i);
  uint64_t width = uint64_t(1) << shift;
  return low + (width - 1);
}

void Histogram::record(uint64_t v, uint64_t n) {
  if (n == 0) return;
  counts_[bucket_of(v)] += n;
  count_ += n;
  sum_ += v * n;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void Histogram::merge(const Histogram& o) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  if (o.count_) {
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  if (q <= 0) return min_;
  if (q >= 1) return max_;
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * double(count_)));
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(std::max(bucket_high(i), min_), max_);
  }
  return max_;
}

std::vector<std::pair<uint64_t, uint64_t>> Histogram::buckets() const {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i]) out.emplace_back(std::min(bucket_high(i), max_), counts_[i]);
  return out;
}

}  // namespace herald::base
