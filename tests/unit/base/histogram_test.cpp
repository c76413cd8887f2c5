#include "base/histogram.h"

#include <gtest/gtest.h>

namespace herald::base {

TEST(Histogram, SmallValuesAreExact) {
  for (uint64_t v = 0; v < Histogram::kSubBuckets; ++v) {
    EXPECT_EQ(Histogram::bucket_low(Histogram::bucket_of(v)), v);
    EXPECT_EQ(Histogram::bucket_high(Histogram::bucket_of(v)), v);
  }
}

TEST(Histogram, BucketsCoverTheirValuesWithBoundedError) {
  for (uint64_t v : std::initializer_list<uint64_t>{64, 65, 127, 128, 1000, 123456789,
                                                    (1ull << 40) + 7, UINT64_MAX}) {
    size_t b = Histogram::bucket_of(v);
    EXPECT_LE(Histogram::bucket_low(b), v);
    EXPECT_GE(Histogram::bucket_high(b), v);
    double width = double(Histogram::bucket_high(b) - Histogram::bucket_low(b) + 1);
    EXPECT_LE(width / double(Histogram::bucket_low(b)), 1.0 / 64 + 1e-12) << v;
  }
}

TEST(Histogram, BucketsAreContiguous) {
  for (size_t i = 1; i < 2000; ++i)
    EXPECT_EQ(Histogram::bucket_high(i - 1) + 1, Histogram::bucket_low(i));
}

TEST(Histogram, Percentiles) {
  Histogram h;
  for (uint64_t v = 1; v <= 1000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_NEAR(double(h.percentile(0.5)), 500.0, 500 * 0.02);
  EXPECT_NEAR(double(h.percentile(0.99)), 990.0, 990 * 0.02);
  EXPECT_EQ(h.percentile(1.0), 1000u);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
}

TEST(Histogram, MergeAddsCounts) {
  Histogram a, b;
  a.record(10, 3);
  b.record(5000);
  a.merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.min(), 10u);
  EXPECT_EQ(a.max(), 5000u);
  EXPECT_EQ(a.percentile(0.75), 10u);
}

}  // namespace herald::base
