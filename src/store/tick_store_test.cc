#include "store/tick_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/file.h"
#include "store/store_test_util.h"

namespace arus::store {
namespace {

namespace fs = std::filesystem;
using testing::BitIdentical;
using testing::P;

// Monday 2024-03-04 00:00 UTC. New York is on EST until 2024-03-10, so trading date 2024-03-04
// runs Sunday 22:00Z -> Monday 22:00Z.
const UnixNanos kMonday = UnixNanos::FromSeconds(1709510400);

std::unique_ptr<TickStore> OpenRw(const std::string& dir, StoreOptions o = {}) {
  auto s = TickStore::Open(dir, OpenMode::kReadWrite, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

std::unique_ptr<TickStore> OpenRo(const std::string& dir) {
  auto s = TickStore::Open(dir, OpenMode::kReadOnly);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

std::vector<QuoteTick> All(const TickStore& s, std::string_view sym) {
  auto r = s.ReadAll(sym, UnixNanos::Min(), UnixNanos::Max());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : std::vector<QuoteTick>{};
}

std::vector<QuoteTick> Filter(const std::vector<QuoteTick>& v, UnixNanos from, UnixNanos to) {
  std::vector<QuoteTick> out;
  for (const auto& t : v) {
    if (t.ts_event >= from && t.ts_event < to) out.push_back(t);
  }
  return out;
}

// Scans through Next(), checking each run is non-empty, ordered and inside the range.
std::vector<QuoteTick> ScanRuns(const TickStore& s, std::string_view sym, UnixNanos from,
                                UnixNanos to) {
  auto sc = s.Scan(sym, from, to);
  EXPECT_TRUE(sc.ok()) << sc.status().ToString();
  std::vector<QuoteTick> out;
  if (!sc.ok()) return out;
  while (true) {
    auto run = (*sc)->Next();
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    if (!run.ok() || run->empty()) break;
    EXPECT_GE(run->front().ts_event, from);
    EXPECT_LT(run->back().ts_event, to);
    out.insert(out.end(), run->begin(), run->end());
  }
  auto again = (*sc)->Next();  // stays at the end
  EXPECT_TRUE(again.ok() && again->empty());
  return out;
}

size_t CountFiles(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

// ---- round trips --------------------------------------------------------------------------------

TEST(TickStoreTest, RandomSequencesRoundTripAndScanEqualsFilter) {
  const std::string dir = testing::TestDir("roundtrip");
  StoreOptions opt;
  opt.block_ticks = 257;  // many blocks per partition
  std::mt19937_64 rng(11);
  struct Case {
    std::string symbol;
    int decimals;
    bool extreme;
    size_t n;
  };
  const std::vector<Case> cases = {{"EURUSD", 5, false, 20000},
                                   {"USDJPY", 3, false, 15000},
                                   {"XAUUSD", 2, true, 8000},
                                   {"WILD9", 9, true, 12000},
                                   {"WILD0", 0, true, 5000}};
  std::map<std::string, std::vector<QuoteTick>> expected;
  {
    auto store = OpenRw(dir, opt);
    for (const Case& c : cases) {
      const auto ticks = testing::WildTicks(rng(), kMonday, c.n, c.decimals, c.extreme);
      // Split into a few random-sized appends, some crossing trading days (each append is a
      // durable commit with fsyncs, so keep their number small).
      size_t i = 0;
      while (i < ticks.size()) {
        const size_t len = std::min<size_t>(ticks.size() - i, 1 + rng() % (c.n / 3));
        // Never split a run of equal timestamps: a tick with the stored last timestamp is
        // not "after" the stored data.
        size_t j = i + len;
        while (j < ticks.size() && ticks[j].ts_event == ticks[j - 1].ts_event) ++j;
        auto st = store->Append(c.symbol, std::span(ticks).subspan(i, j - i), c.decimals);
        ASSERT_TRUE(st.ok()) << c.symbol << ": " << st.status().ToString();
        EXPECT_EQ(st->ticks_added, static_cast<int64_t>(j - i));
        i = j;
      }
      expected[c.symbol] = ticks;
      EXPECT_TRUE(BitIdentical(All(*store, c.symbol), ticks)) << c.symbol;
    }
  }
  auto store = OpenRo(dir);
  EXPECT_EQ(store->Symbols(),
            (std::vector<std::string>{"EURUSD", "USDJPY", "WILD0", "WILD9", "XAUUSD"}));
  for (const auto& [sym, ticks] : expected) {
    EXPECT_TRUE(BitIdentical(All(*store, sym), ticks)) << sym;
    auto info = store->Info(sym);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->tick_count, static_cast<int64_t>(ticks.size()));
    EXPECT_EQ(info->first_ts, ticks.front().ts_event);
    EXPECT_EQ(info->last_ts, ticks.back().ts_event);
    for (int k = 0; k < 60; ++k) {
      const int64_t lo = ticks.front().ts_event.ns() - kNanosPerHour;
      const int64_t span = ticks.back().ts_event.ns() - lo + 2 * kNanosPerHour;
      UnixNanos a(lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(span)));
      UnixNanos b(lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(span)));
      if (k % 5 == 0) b = a;                                     // empty range
      if (k % 7 == 0) a = ticks[rng() % ticks.size()].ts_event;  // exact tick boundary
      if (k % 11 == 0) b = ticks[rng() % ticks.size()].ts_event;
      if (a > b) std::swap(a, b);
      EXPECT_TRUE(BitIdentical(ScanRuns(*store, sym, a, b), Filter(ticks, a, b)))
          << sym << " [" << a.ToIso() << ", " << b.ToIso() << ")";
    }
  }
  auto report = store->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0].ToString());
  EXPECT_EQ(report->symbols, 5);
  EXPECT_EQ(report->ticks, 60000);
  EXPECT_EQ(report->orphan_files, 0);
  fs::remove_all(dir);
}

TEST(TickStoreTest, PartitionsFollowTheNewYorkTradingDay) {
  const std::string dir = testing::TestDir("partitions");
  auto store = OpenRw(dir);
  // Winter: 17:00 New York = 22:00Z. Summer (after 2024-03-10): 21:00Z.
  const auto at = [](const char* iso) { return *ParseIsoUtc(iso); };
  std::vector<QuoteTick> ticks = {
      {at("2024-03-05T21:59:59.999Z"), P(108000, 5), P(108002, 5), 1, 1},  // Tue
      {at("2024-03-05T22:00:00Z"), P(108001, 5), P(108003, 5), 1, 1},      // Wed's session
      {at("2024-03-08T21:59:00Z"), P(108002, 5), P(108004, 5), 1, 1},      // Fri close
      {at("2024-03-10T21:00:00Z"), P(108003, 5), P(108005, 5), 1, 1},      // Sun 17:00 EDT: Mon
      {at("2024-03-11T20:59:59Z"), P(108004, 5), P(108006, 5), 1, 1},      // Mon
      {at("2024-03-11T21:00:00Z"), P(108005, 5), P(108007, 5), 1, 1},      // Tue
  };
  auto st = store->Append("EURUSD", ticks, 5);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->partitions_written, 5);
  auto parts = store->Partitions("EURUSD");
  ASSERT_TRUE(parts.ok());
  std::vector<std::string> dates;
  std::vector<int64_t> counts;
  for (const auto& p : *parts) {
    dates.push_back(p.trading_date.ToString());
    counts.push_back(p.tick_count);
    EXPECT_TRUE(fs::exists(p.path)) << p.path;
    EXPECT_EQ(p.bytes, fs::file_size(p.path));
    EXPECT_EQ(p.price_decimals, 5);
  }
  EXPECT_EQ(dates, (std::vector<std::string>{"2024-03-05", "2024-03-06", "2024-03-08", "2024-03-11",
                                             "2024-03-12"}));
  EXPECT_EQ(counts, (std::vector<int64_t>{1, 1, 1, 2, 1}));
  fs::remove_all(dir);
}

// ---- append semantics ---------------------------------------------------------------------------

class AppendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TestDir("append");
    StoreOptions o;
    o.block_ticks = 100;
    store_ = OpenRw(dir_, o);
    // Two trading days of ticks, 1000 per day.
    base_ = testing::RealisticTicks(5, kMonday, 1000);
    auto day2 = testing::RealisticTicks(6, kMonday + Duration(kNanosPerDay), 1000);
    base_.insert(base_.end(), day2.begin(), day2.end());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  std::span<const QuoteTick> Range(size_t a, size_t b) {
    return std::span<const QuoteTick>(base_).subspan(a, b - a);
  }
  uint64_t Generation() {
    auto m = ReadFile(dir_ + "/ticks/EURUSD/MANIFEST.json");
    EXPECT_TRUE(m.ok());
    const size_t p = m->find("\"generation\": ");
    return std::stoull(m->substr(p + 14));
  }

  std::string dir_;
  std::unique_ptr<TickStore> store_;
  std::vector<QuoteTick> base_;
};

TEST_F(AppendTest, ReimportIsANoOp) {
  ASSERT_TRUE(store_->Append("EURUSD", base_, 5).ok());
  const uint64_t gen = Generation();
  auto st = store_->Append("EURUSD", base_, 5);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->ticks_in, 2000);
  EXPECT_EQ(st->ticks_duplicate, 2000);
  EXPECT_EQ(st->ticks_added, 0);
  EXPECT_EQ(st->partitions_written, 0);
  EXPECT_EQ(Generation(), gen);  // nothing committed
  // A sub-range of stored data is also a duplicate.
  st = store_->Append("EURUSD", Range(300, 1700), 5);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->ticks_duplicate, 1400);
  EXPECT_TRUE(BitIdentical(All(*store_, "EURUSD"), base_));
}

TEST_F(AppendTest, TailAppendAndOverlappingReimport) {
  ASSERT_TRUE(store_->Append("EURUSD", Range(0, 500), 5).ok());
  auto st = store_->Append("EURUSD", Range(500, 700), 5);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->ticks_added, 200);
  EXPECT_EQ(st->partitions_written, 1);
  // Overlap with identical data, continuing past the stored end (and into the next day).
  st = store_->Append("EURUSD", Range(600, 1500), 5);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->ticks_duplicate, 100);
  EXPECT_EQ(st->ticks_added, 800);
  EXPECT_EQ(st->partitions_written, 2);
  st = store_->Append("EURUSD", Range(1500, 2000), 5);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(BitIdentical(All(*store_, "EURUSD"), base_));
  // Blocks stay full except the last one of each partition (full blocks are copied, not split).
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->blocks, 20);
  EXPECT_EQ(report->orphan_files, 0);
  EXPECT_EQ(CountFiles(dir_ + "/ticks/EURUSD"), 3u);  // two partitions + manifest
}

TEST_F(AppendTest, DifferingOverlapFailsWithoutReplace) {
  ASSERT_TRUE(store_->Append("EURUSD", Range(0, 1000), 5).ok());
  const uint64_t gen = Generation();
  std::vector<QuoteTick> changed(base_.begin() + 400, base_.begin() + 600);
  changed[50].bid = changed[50].bid + Price::FromScaled(1, 5);
  auto st = store_->Append("EURUSD", changed, 5);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.status().message().find("overlap"), std::string::npos);
  EXPECT_NE(st.status().message().find("--replace"), std::string::npos);
  EXPECT_NE(st.status().message().find("input tick #50"), std::string::npos)
      << st.status().message();
  EXPECT_EQ(Generation(), gen);
  EXPECT_TRUE(BitIdentical(All(*store_, "EURUSD"), Range(0, 1000)));
  EXPECT_EQ(CountFiles(dir_ + "/ticks/EURUSD"), 2u);  // no leftovers

  // A conflict on the second day leaves the first day's (valid) update uncommitted too.
  ASSERT_TRUE(store_->Append("GBPUSD", Range(0, 800), 5).ok());
  ASSERT_TRUE(store_->Append("GBPUSD", Range(1000, 1200), 5).ok());
  std::vector<QuoteTick> two_days(base_.begin() + 700, base_.end());
  two_days[400].ask = two_days[400].ask + Price::FromScaled(3, 5);  // index 1100 overall
  st = store_->Append("GBPUSD", two_days, 5);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("input tick #400"), std::string::npos)
      << st.status().message();
  std::vector<QuoteTick> want(base_.begin(), base_.begin() + 800);
  want.insert(want.end(), base_.begin() + 1000, base_.begin() + 1200);
  EXPECT_TRUE(BitIdentical(All(*store_, "GBPUSD"), want));
  EXPECT_EQ(CountFiles(dir_ + "/ticks/GBPUSD"), 3u);  // two partitions + manifest, no leftovers
}

TEST_F(AppendTest, ReplaceSwapsTheCoveredSpan) {
  ASSERT_TRUE(store_->Append("EURUSD", base_, 5).ok());
  // New data for [ts(300), ts(500)] with fewer ticks and different prices.
  std::vector<QuoteTick> repl;
  for (size_t i = 300; i <= 500; i += 2) {
    QuoteTick t = base_[i];
    t.bid = P(120000 + static_cast<int64_t>(i), 5);
    t.ask = P(120010 + static_cast<int64_t>(i), 5);
    repl.push_back(t);
  }
  AppendOptions opt;
  opt.replace = true;
  auto st = store_->Append("EURUSD", repl, 5, opt);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->ticks_added, 101);
  EXPECT_EQ(st->ticks_replaced, 201);
  EXPECT_EQ(st->partitions_written, 1);
  std::vector<QuoteTick> want(base_.begin(), base_.begin() + 300);
  want.insert(want.end(), repl.begin(), repl.end());
  want.insert(want.end(), base_.begin() + 501, base_.end());
  EXPECT_TRUE(BitIdentical(All(*store_, "EURUSD"), want));
  // Replacing with identical data is a no-op.
  st = store_->Append("EURUSD", repl, 5, opt);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->ticks_duplicate, 101);
  EXPECT_EQ(st->partitions_written, 0);
}

TEST_F(AppendTest, InsertIntoEmptyStretches) {
  // Store the second half of each day first, then the first halves (e.g. hours imported out of
  // order): no stored tick lies inside the new spans, so nothing conflicts.
  ASSERT_TRUE(store_->Append("EURUSD", Range(500, 1000), 5).ok());
  ASSERT_TRUE(store_->Append("EURUSD", Range(1500, 2000), 5).ok());
  auto st = store_->Append("EURUSD", Range(0, 500), 5);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->ticks_added, 500);
  st = store_->Append("EURUSD", Range(1000, 1500), 5);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_TRUE(BitIdentical(All(*store_, "EURUSD"), base_));
  // A hole in the middle.
  std::vector<QuoteTick> holed(base_.begin(), base_.begin() + 1000);
  holed.erase(holed.begin() + 200, holed.begin() + 300);
  fs::remove_all(dir_);
  store_ = OpenRw(dir_);
  ASSERT_TRUE(store_->Append("EURUSD", holed, 5).ok());
  ASSERT_TRUE(store_->Append("EURUSD", Range(200, 300), 5).ok());
  EXPECT_TRUE(BitIdentical(All(*store_, "EURUSD"), Range(0, 1000)));
}

TEST_F(AppendTest, EqualTimestamps) {
  const UnixNanos t = kMonday + Duration(kNanosPerHour);
  std::vector<QuoteTick> a = {{t, P(1000, 3), P(1002, 3), 1, 1}, {t, P(1001, 3), P(1003, 3), 2, 2}};
  ASSERT_TRUE(store_->Append("USDJPY", a, 3).ok());
  // A third quote in the same nanosecond is not "after" the stored data: it conflicts...
  std::vector<QuoteTick> b = {{t, P(1002, 3), P(1004, 3), 3, 3}};
  auto st = store_->Append("USDJPY", b, 3);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kFailedPrecondition);
  // ...but re-sending all quotes of that nanosecond plus the new one is a clean extension only
  // with replace, since the span [t, t] differs.
  std::vector<QuoteTick> c = {a[0], a[1], b[0]};
  AppendOptions rep;
  rep.replace = true;
  st = store_->Append("USDJPY", c, 3, rep);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->ticks_replaced, 2);
  EXPECT_TRUE(BitIdentical(All(*store_, "USDJPY"), c));
  // Same-ns quotes followed by later ones: the identical prefix counts as duplicates.
  std::vector<QuoteTick> d = {a[0], a[1], b[0], {t + Duration(1), P(1003, 3), P(1005, 3), 1, 1}};
  st = store_->Append("USDJPY", d, 3);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->ticks_duplicate, 3);
  EXPECT_EQ(st->ticks_added, 1);
  EXPECT_TRUE(BitIdentical(All(*store_, "USDJPY"), d));
}

TEST_F(AppendTest, DecimalsFollowTheData) {
  std::vector<QuoteTick> t = testing::RealisticTicks(8, kMonday, 300, 3, 150000);
  ASSERT_TRUE(store_->Append("USDJPY", t, 3).ok());
  auto parts = store_->Partitions("USDJPY");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->front().price_decimals, 3);
  // A tick with a 5th decimal raises the partition to 5; the rest stays exact.
  std::vector<QuoteTick> more = testing::RealisticTicks(9, t.back().ts_event, 300, 3, 150000);
  more[10].ask = Price::FromScaled(15012345, 5);
  auto st = store_->Append("USDJPY", more, 3);
  ASSERT_TRUE(st.ok());
  parts = store_->Partitions("USDJPY");
  EXPECT_EQ(parts->front().price_decimals, 5);
  t.insert(t.end(), more.begin(), more.end());
  EXPECT_TRUE(BitIdentical(All(*store_, "USDJPY"), t));
  // Nano-unit prices need 9.
  std::vector<QuoteTick> nano = {{t.back().ts_event + Duration(1), Price::FromRaw(1234567891),
                                  Price::FromRaw(1234567899), 0, 0}};
  ASSERT_TRUE(store_->Append("USDJPY", nano, 3).ok());
  EXPECT_EQ(store_->Partitions("USDJPY")->front().price_decimals, 9);
  t.push_back(nano[0]);
  EXPECT_TRUE(BitIdentical(All(*store_, "USDJPY"), t));
  auto info = store_->Info("USDJPY");
  EXPECT_EQ(info->price_decimals, 9);
}

TEST_F(AppendTest, RejectsBadInput) {
  std::vector<QuoteTick> t(base_.begin(), base_.begin() + 10);
  std::swap(t[3], t[4]);
  auto st = store_->Append("EURUSD", t, 5);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.status().message().find("tick #4"), std::string::npos) << st.status().message();
  EXPECT_NE(st.status().message().find(t[4].ts_event.ToIso()), std::string::npos);
  for (const char* bad :
       {"", "../x", "a/b", ".hidden", "EUR USD", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"}) {
    EXPECT_EQ(store_->Append(bad, Range(0, 5), 5).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(store_->Append("EURUSD", Range(0, 5), 10).status().code(),
            StatusCode::kInvalidArgument);
  std::vector<QuoteTick> old(1);
  old[0].ts_event = UnixNanos(DaysFromCivil(1850, 1, 1) * kNanosPerDay);
  EXPECT_EQ(store_->Append("EURUSD", old, 5).status().code(), StatusCode::kInvalidArgument);
  std::vector<QuoteTick> far(1);
  far[0].ts_event = UnixNanos::Max();
  EXPECT_EQ(store_->Append("EURUSD", far, 5).status().code(), StatusCode::kInvalidArgument);
  auto empty = store_->Append("EURUSD", {}, 5);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->ticks_in, 0);
  EXPECT_TRUE(store_->Symbols().empty());
}

// ---- opening, locking, snapshots ----------------------------------------------------------------

TEST(TickStoreTest, OneWriterManyReaders) {
  const std::string dir = testing::TestDir("lock");
  auto w = OpenRw(dir);
  auto second = TickStore::Open(dir, OpenMode::kReadWrite);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("another process"), std::string::npos);
  auto r1 = OpenRo(dir);
  auto r2 = OpenRo(dir);
  EXPECT_EQ(r1->Append("EURUSD", testing::RealisticTicks(1, kMonday, 10), 5).status().code(),
            StatusCode::kFailedPrecondition);
  w.reset();
  EXPECT_TRUE(TickStore::Open(dir, OpenMode::kReadWrite).ok());
  fs::remove_all(dir);
}

TEST(TickStoreTest, OpenChecks) {
  const std::string dir = testing::TestDir("open");
  auto ro = TickStore::Open(dir + "/missing", OpenMode::kReadOnly);
  EXPECT_EQ(ro.status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(dir + "/notes.txt", "mine").ok());
  auto rw = TickStore::Open(dir, OpenMode::kReadWrite);
  ASSERT_FALSE(rw.ok());
  EXPECT_EQ(rw.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(rw.status().message().find("not an arus store"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir + "/notes.txt"));
  StoreOptions bad;
  bad.zstd_level = 0;
  EXPECT_EQ(TickStore::Open(dir + "/s", OpenMode::kReadWrite, bad).status().code(),
            StatusCode::kInvalidArgument);
  bad = {};
  bad.block_ticks = 0;
  EXPECT_EQ(TickStore::Open(dir + "/s", OpenMode::kReadWrite, bad).status().code(),
            StatusCode::kInvalidArgument);
  // What a writer killed while creating the store leaves behind is not "foreign data".
  const std::string half = dir + "/half";
  fs::create_directories(half + "/ticks");
  ASSERT_TRUE(WriteFileAtomic(half + "/LOCK", "").ok());
  ASSERT_TRUE(WriteFileAtomic(half + "/READERS", "").ok());
  ASSERT_TRUE(WriteFileAtomic(half + "/STORE.json.tmp.4242", "{").ok());
  EXPECT_EQ(TickStore::Open(half, OpenMode::kReadOnly).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(TickStore::Open(half, OpenMode::kReadWrite).ok());
  auto fresh = OpenRw(dir + "/s");
  EXPECT_TRUE(fresh->Symbols().empty());
  auto missing = fresh->Info("EURUSD");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fresh->Scan("EURUSD", UnixNanos::Min(), UnixNanos::Max()).status().code(),
            StatusCode::kNotFound);
  fs::remove_all(dir);
}

TEST(TickStoreTest, ReadersKeepTheirSnapshotAndRefreshSeesCommits) {
  const std::string dir = testing::TestDir("snapshot");
  const auto ticks = testing::RealisticTicks(4, kMonday, 3000);
  const std::span<const QuoteTick> all(ticks);
  auto w = OpenRw(dir);
  ASSERT_TRUE(w->Append("EURUSD", all.subspan(0, 1000), 5).ok());
  auto r = OpenRo(dir);
  const std::string old_file = r->Partitions("EURUSD")->front().path;
  // The writer's own scanner also keeps reading its snapshot across an append.
  auto wscan = w->Scan("EURUSD", UnixNanos::Min(), UnixNanos::Max());
  ASSERT_TRUE(wscan.ok());
  ASSERT_TRUE(w->Append("EURUSD", all.subspan(1000, 1000), 5).ok());
  // The superseded file survives while a reader (other "process") may still need it.
  EXPECT_TRUE(fs::exists(old_file));
  EXPECT_TRUE(BitIdentical(All(*r, "EURUSD"), all.subspan(0, 1000)));
  std::vector<QuoteTick> from_writer_scan;
  while (true) {
    auto run = (*wscan)->Next();
    ASSERT_TRUE(run.ok());
    if (run->empty()) break;
    from_writer_scan.insert(from_writer_scan.end(), run->begin(), run->end());
  }
  EXPECT_TRUE(BitIdentical(from_writer_scan, all.subspan(0, 1000)));
  wscan->reset();
  ASSERT_TRUE(r->Refresh().ok());
  EXPECT_TRUE(BitIdentical(All(*r, "EURUSD"), all.subspan(0, 2000)));
  r.reset();
  // With no reader left, the next commit deletes superseded files.
  ASSERT_TRUE(w->Append("EURUSD", all.subspan(2000, 1000), 5).ok());
  EXPECT_FALSE(fs::exists(old_file));
  EXPECT_EQ(CountFiles(dir + "/ticks/EURUSD"), 2u);
  fs::remove_all(dir);
}

TEST(TickStoreTest, WritableOpenRemovesOrphansOnly) {
  const std::string dir = testing::TestDir("orphans");
  const auto ticks = testing::RealisticTicks(4, kMonday, 500);
  {
    auto w = OpenRw(dir);
    ASSERT_TRUE(w->Append("EURUSD", ticks, 5).ok());
  }
  const std::string sym = dir + "/ticks/EURUSD/";
  ASSERT_TRUE(WriteFileAtomic(sym + "2024-03-04.9.atk", "half-written").ok());
  ASSERT_TRUE(WriteFileAtomic(sym + "2024-03-05.2.atk.tmp.1234", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(sym + "MANIFEST.json.tmp.77", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(sym + "README", "not ours").ok());
  ASSERT_TRUE(WriteFileAtomic(sym + "notes.tmp.txt", "not ours either").ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/ticks/GBPUSD/2024-03-04.1.atk", "never committed").ok());
  {
    auto r = OpenRo(dir);  // readers leave files alone
    auto report = r->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok());
    EXPECT_EQ(report->orphan_files, 3);
    EXPECT_EQ(r->Symbols(), std::vector<std::string>{"EURUSD"});
  }
  EXPECT_TRUE(fs::exists(sym + "2024-03-04.9.atk"));
  auto w = OpenRw(dir);
  EXPECT_FALSE(fs::exists(sym + "2024-03-04.9.atk"));
  EXPECT_FALSE(fs::exists(sym + "2024-03-05.2.atk.tmp.1234"));
  EXPECT_FALSE(fs::exists(sym + "MANIFEST.json.tmp.77"));
  EXPECT_TRUE(fs::exists(sym + "README"));
  EXPECT_TRUE(fs::exists(sym + "notes.tmp.txt"));
  EXPECT_FALSE(fs::exists(dir + "/ticks/GBPUSD"));
  EXPECT_TRUE(BitIdentical(All(*w, "EURUSD"), ticks));
  fs::remove_all(dir);
}

TEST(TickStoreTest, InfoReportsSizes) {
  const std::string dir = testing::TestDir("info");
  auto w = OpenRw(dir);
  const auto ticks = testing::RealisticTicks(4, kMonday, 300000);  // ~25 hours
  ASSERT_TRUE(w->Append("EURUSD", ticks, 5).ok());
  auto info = w->Info("EURUSD");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->symbol, "EURUSD");
  EXPECT_EQ(info->tick_count, 300000);
  EXPECT_EQ(info->raw_bytes, 9600000u);
  EXPECT_EQ(info->partitions, 2);
  EXPECT_EQ(info->first_date.ToString(), "2024-03-04");
  EXPECT_EQ(info->last_date.ToString(), "2024-03-05");
  uint64_t bytes = 0;
  const auto parts = w->Partitions("EURUSD");
  ASSERT_TRUE(parts.ok());
  for (const auto& p : *parts) bytes += fs::file_size(p.path);
  EXPECT_EQ(info->bytes_on_disk, bytes);
  EXPECT_LT(info->bytes_per_tick(), 4.0);
  EXPECT_GT(info->compression_ratio(), 8.0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace arus::store
