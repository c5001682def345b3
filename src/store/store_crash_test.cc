// Crash safety: a child process appends in a loop and is killed with SIGKILL at random moments.
// After every kill the store must open, verify (every checksum) and hold exactly the ticks of the
// first m appends for some m: the last committed state, never a mixture or a torn write.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "store/store_test_util.h"
#include "store/tick_store.h"

namespace arus::store {
namespace {

namespace fs = std::filesystem;

// The append sequence: batches of consecutive ticks (a tick every 20-120 s, so batches span
// trading-day boundaries and one append often touches two partitions). Every 4th batch re-sends
// the tail of the previous one first (duplicates plus new ticks).
struct Plan {
  std::vector<QuoteTick> ticks;
  std::vector<size_t> cut;  // batch k adds ticks [cut[k], cut[k+1])
  size_t BatchBegin(size_t k) const {
    return k % 4 == 3 ? cut[k] - std::min<size_t>(cut[k], 50) : cut[k];
  }
};

Plan MakePlan() {
  Plan p;
  std::mt19937_64 rng(2024);
  int64_t t = UnixNanos::FromSeconds(1709510400).ns();  // 2024-03-04T00:00:00Z
  int64_t bid = 108000;
  for (int i = 0; i < 300000; ++i) {  // more than 20 kills can get through
    t += (20 + static_cast<int64_t>(rng() % 100)) * kNanosPerSecond;
    bid += static_cast<int64_t>(rng() % 5) - 2;
    p.ticks.push_back({UnixNanos(t), Price::FromScaled(bid, 5),
                       Price::FromScaled(bid + 1 + static_cast<int64_t>(rng() % 20), 5), 1.5f,
                       2.25f});
  }
  p.cut.push_back(0);
  while (p.cut.back() < p.ticks.size()) {
    p.cut.push_back(std::min(p.ticks.size(), p.cut.back() + 300 + rng() % 900));
  }
  return p;
}

// Child: resume after whatever is stored and append the remaining batches. Never returns.
[[noreturn]] void RunWriter(const std::string& dir, const Plan& plan) {
  StoreOptions opt;
  opt.block_ticks = 512;
  auto store = TickStore::Open(dir, OpenMode::kReadWrite, opt);
  if (!store.ok()) _exit(2);
  int64_t stored = 0;
  if (auto info = (*store)->Info("EURUSD"); info.ok()) stored = info->tick_count;
  size_t k = 0;
  while (k + 1 < plan.cut.size() && plan.cut[k] < static_cast<size_t>(stored)) ++k;
  if (plan.cut[k] != static_cast<size_t>(stored)) _exit(3);
  for (; k + 1 < plan.cut.size(); ++k) {
    const size_t b = plan.BatchBegin(k);
    auto st = (*store)->Append(
        "EURUSD", std::span<const QuoteTick>(plan.ticks).subspan(b, plan.cut[k + 1] - b), 5);
    if (!st.ok()) _exit(4);
  }
  _exit(0);
}

TEST(StoreCrashTest, SigkillAtRandomMomentsLeavesAPrefixOfTheAppends) {
  const std::string dir = testing::TestDir("crash");
  const Plan plan = MakePlan();
  std::mt19937_64 rng(static_cast<uint64_t>(::getpid()));
  size_t last_m = 0;
  int killed = 0, with_leftovers = 0;
  for (int iter = 0; iter < 20; ++iter) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) RunWriter(dir, plan);
    // Different moments: right away, mid-open, in the middle of appends.
    const auto delay = std::chrono::microseconds(iter < 2 ? iter * 300 : 500 + rng() % 120000);
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0) << "writer failed at iteration " << iter;
    } else {
      ASSERT_TRUE(WIFSIGNALED(status));
      ++killed;
    }

    auto store = TickStore::Open(dir, OpenMode::kReadOnly);
    if (!store.ok()) {
      // Killed before the store was ever created: nothing may be visible.
      ASSERT_EQ(last_m, 0u) << store.status().ToString();
      continue;
    }
    auto report = (*store)->Verify();
    ASSERT_TRUE(report.ok());
    ASSERT_TRUE(report->ok()) << "iteration " << iter << ": " << report->problems[0].ToString();
    with_leftovers += report->orphan_files > 0;
    std::vector<QuoteTick> content;
    if (!(*store)->Symbols().empty()) {
      auto all = (*store)->ReadAll("EURUSD", UnixNanos::Min(), UnixNanos::Max());
      ASSERT_TRUE(all.ok()) << all.status().ToString();
      content = std::move(all).value();
    }
    const auto m = std::find(plan.cut.begin(), plan.cut.end(), content.size());
    ASSERT_NE(m, plan.cut.end()) << "iteration " << iter << ": " << content.size()
                                 << " ticks is not the end of any append";
    ASSERT_TRUE(testing::BitIdentical(
        content, std::span<const QuoteTick>(plan.ticks).subspan(0, content.size())))
        << "iteration " << iter;
    const size_t mi = static_cast<size_t>(m - plan.cut.begin());
    ASSERT_GE(mi, last_m) << "committed appends were lost";
    last_m = mi;
  }
  EXPECT_GT(killed, 10);
  std::printf("[ info ] %d kills, %zu of %zu appends committed, %d states with leftovers\n", killed,
              last_m, plan.cut.size() - 1, with_leftovers);
  // The next writable open removes every leftover.
  {
    auto store = TickStore::Open(dir, OpenMode::kReadWrite);
    ASSERT_TRUE(store.ok());
    auto report = (*store)->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_EQ(report->orphan_files, 0);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace arus::store

namespace arus::store {
namespace {

// The same for bar appends carrying provenance: after every kill the series holds exactly the
// bars of a prefix of the appends, and its provenance records are exactly those of that prefix
// (recorded in the same commit as the data, never without it or ahead of it).
struct BarPlan {
  testing::BarRows rows;
  std::vector<size_t> cut;  // batch k adds bars [cut[k], cut[k+1])
  size_t BatchBegin(size_t k) const {
    return k % 3 == 2 ? cut[k] - std::min<size_t>(cut[k], 20) : cut[k];
  }
  Provenance ProvenanceOf(size_t k) const {
    Provenance p;
    p.source = "histdata";
    p.cleaning_policy = k / 3 % 2 == 0 ? "gap_fill=none\n" : "gap_fill=flat\n";
    p.note = "group " + std::to_string(k / 3);
    return p;
  }
};

const BarSeriesKey kCrashSeries{"EURUSD", "M1", "bid"};

BarPlan MakeBarPlan() {
  BarPlan p;
  p.rows = testing::RealisticBars(77, UnixNanos::FromSeconds(1709510400), 200000,
                                  Duration(kNanosPerMinute));
  std::mt19937_64 rng(31);
  p.cut.push_back(0);
  while (p.cut.back() < p.rows.size()) {
    p.cut.push_back(std::min(p.rows.size(), p.cut.back() + 500 + rng() % 2500));
  }
  return p;
}

[[noreturn]] void RunBarWriter(const std::string& dir, const BarPlan& plan) {
  StoreOptions opt;
  opt.block_bars = 1024;
  auto store = TickStore::Open(dir, OpenMode::kReadWrite, opt);
  if (!store.ok()) _exit(2);
  int64_t stored = 0;
  if (auto info = (*store)->BarInfo(kCrashSeries); info.ok()) stored = info->bar_count;
  size_t k = 0;
  while (k + 1 < plan.cut.size() && plan.cut[k] < static_cast<size_t>(stored)) ++k;
  if (plan.cut[k] != static_cast<size_t>(stored)) _exit(3);
  for (; k + 1 < plan.cut.size(); ++k) {
    const size_t b = plan.BatchBegin(k);
    const testing::BarRows batch = plan.rows.Slice(b, plan.cut[k + 1] - b);
    AppendOptions o;
    o.provenance = plan.ProvenanceOf(k);
    auto st = (*store)->AppendBars(kCrashSeries, batch.bars, batch.flags, 5, o);
    if (!st.ok()) _exit(4);
  }
  _exit(0);
}

TEST(StoreCrashTest, SigkillDuringBarAppendsKeepsDataAndProvenanceTogether) {
  const std::string dir = testing::TestDir("crash_bars");
  const BarPlan plan = MakeBarPlan();
  std::mt19937_64 rng(static_cast<uint64_t>(::getpid()) + 1);
  size_t last_m = 0;
  int killed = 0, last_records = 0;
  for (int iter = 0; iter < 12; ++iter) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) RunBarWriter(dir, plan);
    std::this_thread::sleep_for(
        std::chrono::microseconds(iter < 2 ? iter * 300 : 500 + rng() % 250000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0) << "writer failed at iteration " << iter;
    } else {
      ++killed;
    }
    auto store = TickStore::Open(dir, OpenMode::kReadOnly);
    if (!store.ok()) {
      ASSERT_EQ(last_m, 0u) << store.status().ToString();
      continue;
    }
    auto report = (*store)->Verify();
    ASSERT_TRUE(report.ok());
    ASSERT_TRUE(report->ok()) << "iteration " << iter << ": " << report->problems[0].ToString();
    testing::BarRows content;
    std::vector<ProvenanceRecord> records;
    if (!(*store)->BarSeries().empty()) {
      auto all = (*store)->ReadAllBars(kCrashSeries, UnixNanos::Min(), UnixNanos::Max());
      ASSERT_TRUE(all.ok()) << all.status().ToString();
      content.bars = std::move(all->bars);
      content.flags = std::move(all->flags);
      auto recs = (*store)->Provenance(kCrashSeries);
      ASSERT_TRUE(recs.ok());
      records = std::move(recs).value();
    }
    const auto m = std::find(plan.cut.begin(), plan.cut.end(), content.size());
    ASSERT_NE(m, plan.cut.end()) << "iteration " << iter << ": " << content.size()
                                 << " bars is not the end of any append";
    const size_t mi = static_cast<size_t>(m - plan.cut.begin());
    const testing::BarRows want = plan.rows.Slice(0, content.size());
    ASSERT_TRUE(testing::BitIdentical(content.bars, want.bars)) << "iteration " << iter;
    ASSERT_EQ(content.flags, want.flags) << "iteration " << iter;
    ASSERT_GE(mi, last_m) << "committed appends were lost";
    last_m = mi;
    // The records the first mi appends make (commit times aside).
    std::vector<ProvenanceRecord> expect;
    for (size_t k = 0; k < mi; ++k) {
      ProvenanceRecord r;
      r.provenance = plan.ProvenanceOf(k);
      r.first_ts = plan.rows.bars[plan.BatchBegin(k)].ts_open;
      r.last_ts = plan.rows.bars[plan.cut[k + 1] - 1].ts_open;
      r.generation = k + 1;
      AddProvenance(&expect, r);
    }
    ASSERT_EQ(records.size(), expect.size()) << "iteration " << iter;
    last_records = static_cast<int>(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      records[i].first_committed = records[i].last_committed = UnixNanos();
      ASSERT_EQ(records[i], expect[i]) << "iteration " << iter << ", record " << i;
    }
  }
  EXPECT_GT(killed, 5);
  std::printf("[ info ] %d kills, %zu of %zu bar appends committed, %d provenance records\n",
              killed, last_m, plan.cut.size() - 1, last_records);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace arus::store
