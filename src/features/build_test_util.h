// Shared by the feature-build tests (engine_test.cc, tick_features_test.cc): a fixture with a
// temporary tick store, bit-exact comparison, and the extension property (building to t1 and
// extending to t2 equals building to t2 in one go), checked the same way for every feature set.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "features/build.h"
#include "fx/instrument.h"
#include "store/tick_store.h"

namespace arus::features::testing {

inline UnixNanos T(std::string_view iso) { return *ParseIsoUtc(iso); }

using Ticks = std::vector<std::vector<QuoteTick>>;

// Equal bits, or both NaN.
inline bool SameValue(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("arus_features_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A store under the test's directory holding ticks[i] of symbols[i].
  std::unique_ptr<store::TickStore> MakeStoreOf(const std::string& name, const Ticks& ticks,
                                                const std::vector<std::string>& symbols) {
    auto s = store::TickStore::Open((dir_ / name).string(), store::OpenMode::kReadWrite);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    for (size_t i = 0; i < ticks.size(); ++i) {
      const int decimals = (*fx::InstrumentTable::Builtin().Find(symbols[i]))->price_precision;
      auto r = (*s)->Append(symbols[i], ticks[i], decimals);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    return std::move(*s);
  }

  std::filesystem::path dir_;
};

// For each `from` (Min = no --from): build to t1, extend to t2 and compare with a build to t2 in
// one go (features, labels, label ends, checkpoint); then extend open-ended to the end of the
// data twice (the second adds nothing) and compare with an open-ended build.
inline void ExpectExtensionEqualsFullBuild(const store::TickStore& store,
                                           const FeatureSetSpec& spec,
                                           const std::vector<UnixNanos>& froms, UnixNanos t1,
                                           UnixNanos t2) {
  for (UnixNanos from : froms) {
    SCOPED_TRACE("from " + from.ToIso());
    BuildOptions first;
    first.from = from;
    first.to = t1;
    Result<Dataset> part = BuildDataset(store, spec, first);
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    BuildOptions more;
    more.to = t2;
    Result<Dataset> extended = ExtendDataset(store, spec, *part, more);
    ASSERT_TRUE(extended.ok()) << extended.status().ToString();
    BuildOptions all = more;
    all.from = from;
    Result<Dataset> full = BuildDataset(store, spec, all);
    ASSERT_TRUE(full.ok()) << full.status().ToString();
    EXPECT_GT(extended->rows(), part->rows());
    EXPECT_TRUE(*extended == *full);
    EXPECT_EQ(extended->checkpoint, full->checkpoint);
    Result<Dataset> to_end = ExtendDataset(store, spec, *extended, {});
    ASSERT_TRUE(to_end.ok()) << to_end.status().ToString();
    Result<Dataset> again = ExtendDataset(store, spec, *to_end, {});
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->rows(), to_end->rows());
    EXPECT_GT(to_end->rows(), extended->rows());
    BuildOptions open_ended;
    open_ended.from = from;
    Result<Dataset> whole = BuildDataset(store, spec, open_ended);
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    EXPECT_TRUE(*again == *whole);
  }
}

}  // namespace arus::features::testing
