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
