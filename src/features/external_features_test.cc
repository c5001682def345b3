// Point-in-time external features: hand-worked values for each family, streaming = batch, values
// independent of the decision times asked before, the future-perturbation test (change or add
// anything not yet available at t: nothing at or before t moves), and revisions.
#include "features/external_features.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace arus::features {
namespace {

namespace fs = std::filesystem;
using ingest::EventImpact;
constexpr auto kWeek = std::chrono::hours(24 * 7);

UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }

CalendarRecord Ev(const std::string& ccy, const std::string& name, UnixNanos at, EventImpact imp,
                  std::optional<double> actual = std::nullopt,
                  std::optional<double> forecast = std::nullopt) {
  CalendarRecord r;
  r.ts_event = at;
  r.ts_avail = at;
  r.ts_schedule = at - kWeek;
  r.currency = ccy;
  r.event = name;
  r.impact = imp;
  r.actual = actual;
  r.forecast = forecast;
  return r;
}

ExternalFeatureOptions Pair(const char* symbol = "EURUSD") {
  ExternalFeatureOptions o;
  o.symbol = symbol;
  return o;
}

// Named values; asking for a column that does not exist fails the test.
struct Row {
  std::map<std::string, double> m;
  double operator[](const std::string& name) const {
    auto it = m.find(name);
    if (it == m.end()) {
      ADD_FAILURE() << "no column " << name;
      return -12345;
    }
    return it->second;
  }
};

// The row at t from a fresh kernel (no earlier decision times).
Row At(const ExternalRecords& recs, const ExternalFeatureOptions& o, UnixNanos t) {
  Result<ExternalFeatureKernel> k = ExternalFeatureKernel::Create(recs, o);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  std::vector<double> row(k->size());
  EXPECT_TRUE(k->Values(t, row).ok());
  Row out;
  for (size_t i = 0; i < row.size(); ++i) out.m[k->names()[i]] = row[i];
  return out;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// ------------------------------------------------------------------------------------------------
// Calendar.

TEST(ExternalFeatures, ColumnNames) {
  ExternalFeatureOptions o = Pair();
  o.index_series = {"dxy"};
  o.sentiment_window = std::chrono::minutes(90);
  Result<ExternalFeatureKernel> k = ExternalFeatureKernel::Create(ExternalRecords(), o);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->names(),
            (std::vector<std::string>{"evt_mins_to_next_high", "evt_mins_since_last_high",
                                      "evt_last_surprise_z", "evt_last_surprise_z_EUR",
                                      "evt_last_surprise_z_USD", "cot_net_z_EUR", "cot_net_z_USD",
                                      "sentiment_ewm", "sentiment_ewm_weight",
                                      "sentiment_count_90m", "idx_DXY_close", "idx_DXY_logret"}));
  o.calendar = o.cot = o.sentiment = false;
  o.index_series.clear();
  k = ExternalFeatureKernel::Create(ExternalRecords(), o);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->size(), 0u);
}

TEST(ExternalFeatures, TimeToAndSinceHighImpactEvents) {
  ExternalRecords recs;
  recs.calendar = {
      Ev("USD", "NFP", T("2024-01-05T13:30:00Z"), EventImpact::kHigh, 216, 170),
      Ev("EUR", "CPI", T("2024-01-05T10:00:00Z"), EventImpact::kHigh),
      Ev("GBP", "BoE", T("2024-01-04T12:00:00Z"), EventImpact::kHigh),  // not the pair's
      Ev("USD", "ISM", T("2024-01-09T10:00:00Z"), EventImpact::kMedium),
      Ev("EUR", "ECB", T("2024-01-25T13:15:00Z"), EventImpact::kHigh),
  };
  const ExternalFeatureOptions o = Pair();
  auto v = At(recs, o, T("2024-01-05T09:00:00Z"));
  EXPECT_EQ(v["evt_mins_to_next_high"], 60);
  EXPECT_TRUE(std::isnan(v["evt_mins_since_last_high"]));  // the BoE is GBP
  v = At(recs, o, T("2024-01-05T10:00:00Z"));              // released at t: last, not next
  EXPECT_EQ(v["evt_mins_to_next_high"], 210);
  EXPECT_EQ(v["evt_mins_since_last_high"], 0);
  v = At(recs, o, T("2024-01-10T00:00:00Z"));
  EXPECT_TRUE(std::isnan(v["evt_mins_to_next_high"]));  // the ECB is not on the calendar yet
  EXPECT_EQ(v["evt_mins_since_last_high"], (4 * 24 + 10.5) * 60);
  v = At(recs, o, T("2024-01-18T13:14:59Z"));
  EXPECT_TRUE(std::isnan(v["evt_mins_to_next_high"]));
  v = At(recs, o, T("2024-01-18T13:15:00Z"));  // published a week ahead
  EXPECT_EQ(v["evt_mins_to_next_high"], 7 * 24 * 60);

  ExternalFeatureOptions medium = o;
  medium.min_impact = EventImpact::kMedium;
  v = At(recs, medium, T("2024-01-06T00:00:00Z"));
  EXPECT_EQ(v["evt_mins_to_next_medium"], (3 * 24 + 10) * 60);
  EXPECT_EQ(v["evt_mins_since_last_medium"], 10.5 * 60);
}

// Independent reference: (a - f) / sqrt(mean of squared previous surprises), clamped.
double RefZ(const std::vector<std::pair<double, double>>& prev, std::pair<double, double> cur,
            double cap = 10) {
  double ss = 0;
  for (const auto& [a, f] : prev) ss += (a - f) * (a - f);
  const double rms = std::sqrt(ss / prev.size());
  return std::max(-cap, std::min(cap, (cur.first - cur.second) / rms));
}

TEST(ExternalFeatures, LastSurpriseIsScaledByTheEventsOwnHistory) {
  ExternalRecords recs;
  const UnixNanos r1 = T("2023-10-06T12:30:00Z"), r2 = T("2023-11-03T12:30:00Z"),
                  r3 = T("2023-12-08T13:30:00Z"), r4 = T("2024-01-05T13:30:00Z");
  recs.calendar = {Ev("USD", "NFP", r1, EventImpact::kHigh, 10, 9),
                   Ev("USD", "NFP", r2, EventImpact::kHigh, 8, 10),
                   Ev("USD", "NFP", r3, EventImpact::kHigh, 12, 10),
                   Ev("USD", "NFP", r4, EventImpact::kHigh, 13, 10)};
  const ExternalFeatureOptions o = Pair();
  auto v = At(recs, o, r4 - std::chrono::seconds(1));
  EXPECT_TRUE(std::isnan(v["evt_last_surprise_z"]));  // R3 has only two earlier surprises
  v = At(recs, o, r4);
  const double z4 = RefZ({{10, 9}, {8, 10}, {12, 10}}, {13, 10});
  EXPECT_NEAR(z4, std::sqrt(3.0), 1e-15);
  EXPECT_NEAR(v["evt_last_surprise_z"], z4, 1e-12);
  EXPECT_NEAR(v["evt_last_surprise_z_USD"], z4, 1e-12);
  EXPECT_TRUE(std::isnan(v["evt_last_surprise_z_EUR"]));

  // A EUR release afterwards becomes the pair's last surprise; USD keeps its own.
  const UnixNanos e[] = {T("2023-10-31T10:00:00Z"), T("2023-11-30T10:00:00Z"),
                         T("2023-12-19T10:00:00Z"), T("2024-01-08T10:00:00Z")};
  const std::pair<double, double> ev[] = {{2.0, 1.9}, {2.0, 2.1}, {2.2, 2.0}, {2.5, 2.2}};
  for (int i = 0; i < 4; ++i) {
    recs.calendar.push_back(Ev("EUR", "CPI", e[i], EventImpact::kHigh, ev[i].first, ev[i].second));
  }
  v = At(recs, o, T("2024-01-09T00:00:00Z"));
  const double ze = RefZ({ev[0], ev[1], ev[2]}, ev[3]);
  EXPECT_NEAR(v["evt_last_surprise_z"], ze, 1e-12);
  EXPECT_NEAR(v["evt_last_surprise_z_EUR"], ze, 1e-12);
  EXPECT_NEAR(v["evt_last_surprise_z_USD"], z4, 1e-12);

  // History length N: with N = 2 only the two previous releases scale the surprise.
  ExternalFeatureOptions short_history = o;
  short_history.surprise_history = 2;
  short_history.surprise_min_history = 2;
  v = At(recs, short_history, r4);
  EXPECT_NEAR(v["evt_last_surprise_z_USD"], RefZ({{8, 10}, {12, 10}}, {13, 10}), 1e-12);
}

TEST(ExternalFeatures, SimultaneousReleasesAndTheCap) {
  ExternalRecords recs;
  const UnixNanos at[] = {T("2023-10-06T12:30:00Z"), T("2023-11-03T12:30:00Z"),
                          T("2023-12-08T13:30:00Z"), T("2024-01-05T13:30:00Z")};
  const double nfp[][2] = {{10, 9}, {8, 10}, {12, 10}, {13, 10}};
  const double unemp[][2] = {{3.9, 3.8}, {3.8, 3.7}, {3.7, 3.6}, {3.5, 3.7}};
  const double rate[][2] = {{5.5, 5.5}, {5.5, 5.5}, {5.5, 5.5}, {5.75, 5.5}};
  for (int i = 0; i < 4; ++i) {
    recs.calendar.push_back(Ev("USD", "NFP", at[i], EventImpact::kHigh, nfp[i][0], nfp[i][1]));
    recs.calendar.push_back(
        Ev("USD", "Unemployment", at[i], EventImpact::kHigh, unemp[i][0], unemp[i][1]));
  }
  // NFP z = sqrt(3) ~ 1.73; unemployment z = -0.2 / 0.1 ~ -2: the larger |z| is reported.
  const double zu = RefZ({{3.9, 3.8}, {3.8, 3.7}, {3.7, 3.6}}, {3.5, 3.7});
  EXPECT_NEAR(zu, -2, 1e-9);
  auto v = At(recs, Pair(), at[3]);
  EXPECT_NEAR(v["evt_last_surprise_z"], zu, 1e-12);

  // A central bank that never surprised, then does: the capped z with the surprise's sign.
  ExternalRecords cb;
  for (int i = 0; i < 4; ++i) {
    cb.calendar.push_back(Ev("EUR", "ECB", at[i], EventImpact::kHigh, rate[i][0], rate[i][1]));
  }
  ExternalFeatureOptions o = Pair();
  o.surprise_z_cap = 4;
  ExternalFeatureOptions two = o;
  two.surprise_min_history = 2;
  EXPECT_EQ(At(cb, two, at[2])["evt_last_surprise_z"], 0);  // no surprise after none
  EXPECT_EQ(At(cb, o, at[3])["evt_last_surprise_z"], 4);
  // An outlier after small surprises is clamped.
  EXPECT_NEAR(At(recs, o, at[3])["evt_last_surprise_z_USD"], zu, 1e-12);  // inside the cap
  ExternalRecords big = recs;
  big.calendar.back().actual = 100;  // the last unemployment release, s = 96.3
  EXPECT_EQ(At(big, o, at[3])["evt_last_surprise_z"], 4);
}

TEST(ExternalFeatures, ActualIsUnusableBeforeItsRelease) {
  // The schedule is known a week ahead, the value only at the release: nothing about the
  // actual may leak into the time-to-event features or the surprise before then.
  ExternalRecords a, b;
  const UnixNanos r[] = {T("2023-10-06T12:30:00Z"), T("2023-11-03T12:30:00Z"),
                         T("2023-12-08T13:30:00Z"), T("2024-01-05T13:30:00Z")};
  for (int i = 0; i < 4; ++i) {
    a.calendar.push_back(Ev("USD", "NFP", r[i], EventImpact::kHigh, 100 + i, 100));
    b.calendar.push_back(Ev("USD", "NFP", r[i], EventImpact::kHigh, i == 3 ? 900 : 100 + i, 100));
  }
  for (UnixNanos t : {r[3] - kWeek, r[3] - std::chrono::nanoseconds(1)}) {
    auto va = At(a, Pair(), t), vb = At(b, Pair(), t);
    for (const auto& [name, x] : va.m) EXPECT_TRUE(SameBits(x, vb[name])) << name;
  }
  EXPECT_NE(At(a, Pair(), r[3])["evt_last_surprise_z"], At(b, Pair(), r[3])["evt_last_surprise_z"]);
}

// ------------------------------------------------------------------------------------------------
// COT.

CotRecord Cot(const std::string& ccy, const char* as_of, int64_t long_, int64_t short_) {
  CotRecord r;
  r.currency = ccy;
  r.market = ccy + " FUTURE";
  r.as_of = *fx::Date::Parse(as_of);
  const auto& ny = fx::FxCalendar::Default().zone();
  r.ts_event = ny.At(r.as_of, 17, 0);
  r.ts_avail = ny.At(r.as_of + 3, 15, 30);
  r.noncomm_long = long_;
  r.noncomm_short = short_;
  return r;
}

double RefZScore(const std::vector<double>& w) {
  double mean = 0;
  for (double x : w) mean += x / w.size();
  double var = 0;
  for (double x : w) var += (x - mean) * (x - mean) / w.size();
  return (w.back() - mean) / std::sqrt(var);
}

TEST(ExternalFeatures, CotNetPositioningZScore) {
  ExternalRecords recs;
  const char* weeks[] = {"2024-01-02", "2024-01-09", "2024-01-16", "2024-01-23", "2024-01-30"};
  const int64_t nets[] = {10, 20, 30, 40, 100};
  for (int i = 0; i < 5; ++i) recs.cot.push_back(Cot("EUR", weeks[i], 1000 + nets[i], 1000));
  recs.cot.push_back(Cot("GBP", weeks[0], 5, 0));
  ExternalFeatureOptions o = Pair();
  o.cot_window = 4;
  o.cot_min_reports = 3;
  auto v = At(recs, o, T("2024-01-19T20:29:59Z"));  // W3 is as of Tuesday but not yet published
  EXPECT_TRUE(std::isnan(v["cot_net_z_EUR"]));
  EXPECT_TRUE(std::isnan(v["cot_net_z_USD"]));
  v = At(recs, o, T("2024-01-19T20:30:00Z"));  // Friday 15:30 New York
  EXPECT_NEAR(v["cot_net_z_EUR"], RefZScore({10, 20, 30}), 1e-12);
  EXPECT_NEAR(v["cot_net_z_EUR"], std::sqrt(1.5), 1e-12);
  v = At(recs, o, T("2024-02-02T20:29:00Z"));
  EXPECT_NEAR(v["cot_net_z_EUR"], RefZScore({10, 20, 30, 40}), 1e-12);
  v = At(recs, o, T("2024-02-02T20:30:00Z"));
  EXPECT_NEAR(v["cot_net_z_EUR"], RefZScore({20, 30, 40, 100}), 1e-12);
  // The pair's quote: USD.
  ExternalFeatureOptions jpy = o;
  jpy.symbol = "USDJPY";
  for (auto& r : recs.cot) {
    if (r.currency == "EUR") r.currency = "USD";
  }
  v = At(recs, jpy, T("2024-02-02T20:30:00Z"));
  EXPECT_NEAR(v["cot_net_z_USD"], RefZScore({20, 30, 40, 100}), 1e-12);
  EXPECT_TRUE(std::isnan(v["cot_net_z_JPY"]));
}

// ------------------------------------------------------------------------------------------------
// Sentiment.

SentimentRecord Item(const char* at, const std::string& target, double score, double w) {
  SentimentRecord r;
  r.ts_event = r.ts_avail = T(at);
  r.source = "wire";
  r.target = target;
  r.score = score;
  r.weight = w;
  return r;
}

TEST(ExternalFeatures, DecayedSentiment) {
  ExternalRecords recs;
  recs.sentiment = {Item("2024-01-05T10:00:00Z", "EUR", 0.5, 1),
                    Item("2024-01-05T11:00:00Z", "USD", 0.5, 2),  // bullish USD: bearish EURUSD
                    Item("2024-01-05T11:30:00Z", "EURUSD", -1, 1),
                    Item("2024-01-05T11:30:00Z", "GBP", 1, 1)};  // not about the pair
  ExternalFeatureOptions o = Pair();
  o.sentiment_half_life = std::chrono::hours(1);
  o.sentiment_window = std::chrono::hours(2);
  auto v = At(recs, o, T("2024-01-05T09:00:00Z"));
  EXPECT_TRUE(std::isnan(v["sentiment_ewm"]));
  EXPECT_EQ(v["sentiment_ewm_weight"], 0);
  EXPECT_EQ(v["sentiment_count_2h"], 0);
  v = At(recs, o, T("2024-01-05T10:30:00Z"));
  EXPECT_EQ(v["sentiment_ewm"], 0.5);
  EXPECT_NEAR(v["sentiment_ewm_weight"], std::pow(2.0, -0.5), 1e-15);
  v = At(recs, o, T("2024-01-05T11:00:00Z"));
  EXPECT_NEAR(v["sentiment_ewm"], (0.5 * 0.5 - 0.5 * 2) / (0.5 + 2), 1e-15);
  EXPECT_NEAR(v["sentiment_ewm_weight"], 2.5, 1e-15);
  EXPECT_EQ(v["sentiment_count_2h"], 2);
  // Direct sums at t = 12:30 (ages 2.5 h, 1.5 h, 1 h).
  const double w1 = std::pow(2.0, -2.5), w2 = 2 * std::pow(2.0, -1.5), w3 = std::pow(2.0, -1.0);
  v = At(recs, o, T("2024-01-05T12:30:00Z"));
  EXPECT_NEAR(v["sentiment_ewm"], (0.5 * w1 - 0.5 * w2 - 1 * w3) / (w1 + w2 + w3), 1e-14);
  EXPECT_NEAR(v["sentiment_ewm_weight"], w1 + w2 + w3, 1e-14);
  EXPECT_EQ(v["sentiment_count_2h"], 2);  // (10:30, 12:30]
  v = At(recs, o, T("2024-01-05T13:30:00Z"));
  EXPECT_EQ(v["sentiment_count_2h"], 0);  // (11:30, 13:30]: the 11:30 items fell out
  // Latency: an item received later counts from its ts_avail.
  recs.sentiment[0].ts_avail = T("2024-01-05T10:45:00Z");
  v = At(recs, o, T("2024-01-05T10:30:00Z"));
  EXPECT_TRUE(std::isnan(v["sentiment_ewm"]));
}

// ------------------------------------------------------------------------------------------------
// Indices.

IndexRecord Bar(const char* date, double close, int32_t revision = 0, const char* avail = nullptr) {
  IndexRecord r;
  r.series = "DXY";
  r.date = *fx::Date::Parse(date);
  r.ts_event = fx::FxCalendar::Default().zone().At(r.date, 17, 0);
  r.ts_avail = avail != nullptr ? T(avail) : r.ts_event;
  r.revision = revision;
  r.open = r.high = r.low = r.close = close;
  return r;
}

TEST(ExternalFeatures, IndexCloseAndReturnAsOf) {
  ExternalRecords recs;
  recs.index = {Bar("2024-01-02", 102.20), Bar("2024-01-03", 102.47), Bar("2024-01-04", 102.42),
                Bar("2024-01-03", 102.60, 1, "2024-01-10T00:00:00Z")};  // revised later
  ExternalFeatureOptions o = Pair();
  o.index_series = {"DXY"};
  auto v = At(recs, o, T("2024-01-03T21:59:59Z"));  // before the 17:00 New York close
  EXPECT_EQ(v["idx_DXY_close"], 102.20);
  EXPECT_TRUE(std::isnan(v["idx_DXY_logret"]));
  v = At(recs, o, T("2024-01-03T22:00:00Z"));
  EXPECT_EQ(v["idx_DXY_close"], 102.47);
  EXPECT_NEAR(v["idx_DXY_logret"], std::log(102.47 / 102.20), 1e-15);
  v = At(recs, o, T("2024-01-05T00:00:00Z"));
  EXPECT_NEAR(v["idx_DXY_logret"], std::log(102.42 / 102.47), 1e-15);
  v = At(recs, o, T("2024-01-10T00:00:00Z"));  // the revision of the 3rd is known now
  EXPECT_NEAR(v["idx_DXY_logret"], std::log(102.42 / 102.60), 1e-15);
}

// ------------------------------------------------------------------------------------------------
// Properties over random data.

struct Rng {
  std::mt19937_64 g;
  explicit Rng(uint64_t seed) : g(seed) {}
  double U() { return static_cast<double>(g() >> 11) * 0x1.0p-53; }
  int64_t I(int64_t n) { return static_cast<int64_t>(g() % static_cast<uint64_t>(n)); }
};

const UnixNanos kStart = T("2024-01-01T00:00:00Z");
constexpr int64_t kSpanDays = 70;

ExternalRecords RandomData(uint64_t seed) {
  Rng r(seed);
  ExternalRecords d;
  const char* ccys[] = {"EUR", "USD", "GBP"};
  const char* names[] = {"CPI", "NFP", "PMI"};
  for (int i = 0; i < 90; ++i) {
    const UnixNanos at =
        kStart + std::chrono::minutes(r.I(kSpanDays * 24 * 60) / 15 * 15);  // on a 15-min grid
    CalendarRecord e = Ev(ccys[r.I(3)], names[r.I(3)], at, static_cast<EventImpact>(r.I(3)),
                          std::round(r.U() * 100) / 10, std::round(r.U() * 100) / 10);
    if (r.I(8) == 0) e.actual.reset();
    d.calendar.push_back(e);
  }
  for (const char* ccy : {"EUR", "USD"}) {
    fx::Date tue = fx::Date::FromYmd(2023, 10, 3);
    for (int w = 0; w < 27; ++w, tue = tue + 7) {
      d.cot.push_back(Cot(ccy, tue.ToString().c_str(), 100000 + r.I(50000), 80000 + r.I(50000)));
    }
  }
  for (int i = 0; i < 300; ++i) {
    SentimentRecord s;
    s.ts_event = kStart + std::chrono::seconds(r.I(kSpanDays * 86400));
    s.ts_avail = s.ts_event + std::chrono::seconds(r.I(600));
    s.source = r.I(2) ? "wire" : "social";
    const char* targets[] = {"EUR", "USD", "EURUSD", "JPY"};
    s.target = targets[r.I(4)];
    s.score = std::round((r.U() * 2 - 1) * 100) / 100;
    s.weight = 1 + r.I(3);
    d.sentiment.push_back(s);
  }
  fx::Date day = fx::Date::FromYmd(2023, 12, 20);
  for (int i = 0; i < 80; ++i, day = day + 1) {
    d.index.push_back(Bar(day.ToString().c_str(), 100 + r.U() * 5));
  }
  return d;
}

ExternalFeatureOptions PropertyOptions() {
  ExternalFeatureOptions o = Pair();
  o.min_impact = EventImpact::kMedium;
  o.surprise_min_history = 2;
  o.cot_window = 6;
  o.cot_min_reports = 3;
  o.index_series = {"DXY"};
  return o;
}

// Decision times: every 97 minutes over the span, plus every instant a record changes state.
std::vector<UnixNanos> DecisionTimes(const ExternalRecords& d) {
  std::vector<UnixNanos> t;
  for (UnixNanos x = kStart - std::chrono::hours(24 * 10);
       x < kStart + std::chrono::hours(24 * kSpanDays); x += std::chrono::minutes(97)) {
    t.push_back(x);
  }
  for (const auto& r : d.calendar) {
    t.push_back(r.ts_event);
    t.push_back(r.ts_schedule);
    t.push_back(r.ts_event - std::chrono::nanoseconds(1));
  }
  for (const auto& r : d.cot) t.push_back(r.ts_avail);
  for (const auto& r : d.sentiment) t.push_back(r.ts_avail);
  std::sort(t.begin(), t.end());
  return t;
}

void ExpectRowsEqual(const ExternalFeatureColumns& a, const ExternalFeatureColumns& b,
                     UnixNanos upto, const char* what) {
  ASSERT_EQ(a.names, b.names);
  ASSERT_EQ(a.times, b.times);
  int64_t compared = 0;
  for (size_t i = 0; i < a.times.size() && a.times[i] <= upto; ++i) {
    for (size_t c = 0; c < a.columns.size(); ++c) {
      ASSERT_TRUE(SameBits(a.columns[c][i], b.columns[c][i]))
          << what << ": " << a.names[c] << " at " << a.times[i].ToIso() << ": " << a.columns[c][i]
          << " vs " << b.columns[c][i];
      ++compared;
    }
  }
  EXPECT_GT(compared, 0) << what;
}

TEST(ExternalFeaturesProperty, StreamingEqualsBatchWhateverTheDecisionTimes) {
  const ExternalRecords d = RandomData(7);
  const ExternalFeatureOptions o = PropertyOptions();
  const std::vector<UnixNanos> times = DecisionTimes(d);
  Result<ExternalFeatureColumns> batch = ComputeExternalFeatures(d, o, times);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  // Enough happens for the test to mean something.
  for (size_t c = 0; c < batch->names.size(); ++c) {
    int finite = 0;
    for (double x : batch->columns[c]) finite += std::isfinite(x);
    EXPECT_GT(finite, 50) << batch->names[c];
  }
  // A kernel asked at other times in between, and fresh kernels asked only once.
  Result<ExternalFeatureKernel> k = ExternalFeatureKernel::Create(d, o);
  ASSERT_TRUE(k.ok());
  std::vector<double> row(k->size());
  Rng r(3);
  UnixNanos last = times[0];
  for (size_t i = 0; i < times.size(); ++i) {
    if (r.I(3) == 0 && times[i] > last) {  // an extra decision time in between
      ASSERT_TRUE(k->Values(last + (times[i] - last) / 2, row).ok());
    }
    last = times[i];
    ASSERT_TRUE(k->Values(times[i], row).ok());
    ASSERT_TRUE(k->Values(times[i], row).ok());  // the same time twice is fine
    for (size_t c = 0; c < row.size(); ++c) {
      ASSERT_TRUE(SameBits(row[c], batch->columns[c][i])) << batch->names[c] << " " << i;
    }
    if (i % 97 == 0) {
      Result<ExternalFeatureKernel> fresh = ExternalFeatureKernel::Create(d, o);
      std::vector<double> one(fresh->size());
      ASSERT_TRUE(fresh->Values(times[i], one).ok());
      for (size_t c = 0; c < row.size(); ++c) {
        ASSERT_TRUE(SameBits(one[c], row[c])) << batch->names[c] << " " << i;
      }
    }
  }
  // The order records come in does not matter either.
  ExternalRecords shuffled = d;
  std::shuffle(shuffled.calendar.begin(), shuffled.calendar.end(), std::mt19937_64(1));
  std::shuffle(shuffled.cot.begin(), shuffled.cot.end(), std::mt19937_64(2));
  std::shuffle(shuffled.sentiment.begin(), shuffled.sentiment.end(), std::mt19937_64(3));
  std::shuffle(shuffled.index.begin(), shuffled.index.end(), std::mt19937_64(4));
  Result<ExternalFeatureColumns> again = ComputeExternalFeatures(shuffled, o, times);
  ASSERT_TRUE(again.ok());
  ExpectRowsEqual(*batch, *again, UnixNanos::Max(), "shuffled input");
}

// Changes everything that is not available at t: values of records with ts_avail > t; the time
// and impact of events whose schedule is not known at t; new events, revisions, reports, items
// and bars that become available after t.
ExternalRecords PerturbAfter(ExternalRecords d, UnixNanos t, uint64_t seed) {
  Rng r(seed);
  const auto later = [&](UnixNanos from) {
    return std::max(from, t) + std::chrono::minutes(1 + r.I(20 * 24 * 60));
  };
  for (CalendarRecord& e : d.calendar) {
    if (e.ts_schedule > t) {
      const auto shift = std::chrono::minutes(r.I(3 * 24 * 60));
      e.ts_event += shift;
      e.ts_schedule += shift;
      e.impact = static_cast<EventImpact>(r.I(3));
    }
    if (e.ts_avail > t) {
      e.ts_avail = std::max(e.ts_avail, e.ts_event);
      e.actual = r.U() * 1000 - 500;
      if (r.I(4) == 0) e.forecast.reset();
      e.revised_previous = r.U();
    }
  }
  const size_t n = d.calendar.size();
  for (size_t i = 0; i < n; i += 3) {  // revisions of anything, known after t
    CalendarRecord rev = d.calendar[i];
    rev.revision += 1;
    rev.ts_avail = later(rev.ts_avail);
    rev.ts_schedule = std::max(rev.ts_schedule, rev.ts_avail - std::chrono::hours(1));
    rev.ts_schedule = std::max(rev.ts_schedule, t + std::chrono::nanoseconds(1));
    rev.actual = r.U() * 50;
    rev.impact = EventImpact::kHigh;
    d.calendar.push_back(rev);
  }
  for (int i = 0; i < 30; ++i) {  // new events scheduled after t
    const char* ccys[] = {"EUR", "USD"};
    CalendarRecord e =
        Ev(ccys[r.I(2)], i % 2 ? "NFP" : "CPI", later(t), EventImpact::kHigh, r.U(), r.U());
    e.ts_schedule = e.ts_event - std::chrono::minutes(r.I(2 * 24 * 60));
    e.ts_schedule = std::max(e.ts_schedule, t + std::chrono::nanoseconds(1));
    d.calendar.push_back(e);
  }
  const size_t ncot = d.cot.size();
  for (size_t i = 0; i < ncot; ++i) {
    if (d.cot[i].ts_avail > t) d.cot[i].noncomm_long += 1 + r.I(90000);
    if (i % 2 == 0) {  // a revision published after t, also of old weeks
      CotRecord rev = d.cot[i];
      rev.revision += 1;
      rev.ts_avail = later(rev.ts_avail);
      rev.noncomm_short += 777;
      d.cot.push_back(rev);
    }
  }
  d.cot.push_back(Cot("EUR", "2024-04-02", 1, 999999));
  for (SentimentRecord& s : d.sentiment) {
    if (s.ts_avail > t) {
      s.score = -s.score;
      s.weight += 5;
    }
  }
  for (int i = 0; i < 50; ++i) {  // items published before t but received after it, and later
    SentimentRecord s;
    s.ts_avail = later(t);
    s.ts_event = s.ts_avail - std::chrono::hours(r.I(48));
    s.source = "late";
    s.target = i % 2 ? "EURUSD" : "USD";
    s.score = 1;
    s.weight = 3;
    d.sentiment.push_back(s);
  }
  const size_t nidx = d.index.size();
  for (size_t i = 0; i < nidx; ++i) {
    if (d.index[i].ts_avail > t) d.index[i].close *= 1.5;
    if (i % 3 == 0) {
      IndexRecord rev = d.index[i];
      rev.revision += 1;
      rev.ts_avail = later(rev.ts_avail);
      rev.close = 1;
      d.index.push_back(rev);
    }
  }
  return d;
}

TEST(ExternalFeaturesProperty, FuturePerturbationDoesNotMovePastValues) {
  const ExternalRecords d = RandomData(11);
  const ExternalFeatureOptions o = PropertyOptions();
  const std::vector<UnixNanos> times = DecisionTimes(d);
  Result<ExternalFeatureColumns> base = ComputeExternalFeatures(d, o, times);
  ASSERT_TRUE(base.ok());
  int cuts = 0;
  for (int64_t day : {3, 17, 31, 46, 60}) {
    const UnixNanos from = kStart + std::chrono::hours(24 * day);
    UnixNanos release = UnixNanos::Max(), report = UnixNanos::Max();
    for (const auto& e : d.calendar) {
      if (e.ts_event >= from) release = std::min(release, e.ts_event);
    }
    for (const auto& c : d.cot) {
      if (c.ts_avail >= from) report = std::min(report, c.ts_avail);
    }
    ASSERT_NE(release, UnixNanos::Max());
    ASSERT_NE(report, UnixNanos::Max());
    // A plain time, exactly a release, exactly a COT publication.
    // Just before them too: what becomes known at the instant must not be seen a moment earlier.
    const auto ns = std::chrono::nanoseconds(1);
    for (UnixNanos t : {from, release - ns, release, report - ns, report}) {
      SCOPED_TRACE(t.ToIso());
      const ExternalRecords p = PerturbAfter(d, t, static_cast<uint64_t>(day));
      Result<ExternalFeatureColumns> moved = ComputeExternalFeatures(p, o, times);
      ASSERT_TRUE(moved.ok());
      ExpectRowsEqual(*base, *moved, t, "perturbed after t");
      // The perturbation is real: something after t changed.
      bool differs = false;
      for (size_t i = 0; i < times.size() && !differs; ++i) {
        if (times[i] <= t) continue;
        for (size_t c = 0; c < base->columns.size(); ++c) {
          differs = differs || !SameBits(base->columns[c][i], moved->columns[c][i]);
        }
      }
      EXPECT_TRUE(differs);
      ++cuts;
    }
  }
  EXPECT_EQ(cuts, 25);
}

// ------------------------------------------------------------------------------------------------
// Revisions through the store.

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    const char* base = std::getenv("ARUS_TEST_TMP");
    path_ = fs::path(base != nullptr ? base : fs::temp_directory_path().string()) /
            ("external_features_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(ExternalFeatures, RevisionPublishedLaterDoesNotChangeEarlierFeatures) {
  TempDir dir;
  const std::string header = "time,currency,event,impact,actual,forecast,previous\n";
  const std::string original = header +
                               "2023-10-06T12:30:00Z,USD,NFP,high,336K,170K,187K\n"
                               "2023-11-03T12:30:00Z,USD,NFP,high,150K,180K,297K\n"
                               "2023-12-08T13:30:00Z,USD,NFP,high,199K,180K,150K\n"
                               "2024-01-05T13:30:00Z,USD,NFP,high,216K,170K,199K\n"
                               "2024-02-02T13:30:00Z,USD,NFP,high,353K,185K,216K\n";
  ASSERT_TRUE(ImportExternalText(dir.str(), ExternalKind::kCalendar, "a.csv", original,
                                 ExternalImportOptions(), ExternalMergeOptions(), nullptr)
                  .ok());
  ExternalStore store(dir.str());
  const ExternalFeatureOptions o = Pair();
  Result<ExternalRecords> before = LoadExternalForFeatures(store, o);
  ASSERT_TRUE(before.ok());
  std::vector<UnixNanos> times;
  for (UnixNanos t = T("2023-12-01T00:00:00Z"); t < T("2024-03-01T00:00:00Z");
       t += std::chrono::hours(5)) {
    times.push_back(t);
  }
  Result<ExternalFeatureColumns> a = ComputeExternalFeatures(*before, o, times);
  ASSERT_TRUE(a.ok());

  // The January number is revised to 333K; the revision is published with February's release.
  const UnixNanos published = T("2024-02-02T13:30:00Z");
  ExternalMergeOptions m;
  m.revision_time = published;
  Result<ExternalImportSummary> s =
      ImportExternalText(dir.str(), ExternalKind::kCalendar, "b.csv",
                         header + "2024-01-05T13:30:00Z,USD,NFP,high,333K,170K,199K\n",
                         ExternalImportOptions(), m, nullptr);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->merge.revisions, 1);
  Result<ExternalRecords> after = LoadExternalForFeatures(store, o);
  ASSERT_EQ(after->calendar.size(), 6u);
  Result<ExternalFeatureColumns> b = ComputeExternalFeatures(*after, o, times);
  ASSERT_TRUE(b.ok());
  ExpectRowsEqual(*a, *b, published - std::chrono::nanoseconds(1), "before the revision");
  // From its publication the revised January surprise scales February's.
  const size_t col = 2;  // evt_last_surprise_z
  ASSERT_EQ(a->names[col], "evt_last_surprise_z");
  size_t i = 0;
  while (times[i] < published) ++i;
  const double s1 = 336 - 170, s2 = 150 - 180, s3 = 199 - 180;
  const double jan_old = 216 - 170, jan_new = 333 - 170, feb = 353 - 185;
  EXPECT_NEAR(
      a->columns[col][i],
      std::min(10.0, feb / std::sqrt((s1 * s1 + s2 * s2 + s3 * s3 + jan_old * jan_old) / 4)),
      1e-12);
  EXPECT_NEAR(
      b->columns[col][i],
      std::min(10.0, feb / std::sqrt((s1 * s1 + s2 * s2 + s3 * s3 + jan_new * jan_new) / 4)),
      1e-12);
}

// ------------------------------------------------------------------------------------------------
// The feature engine's provider interface and checkpoints.

TEST(ExternalFeatureSource, CheckpointContinuesExactlyAndDetectsChangedHistory) {
  const ExternalRecords d = RandomData(5);
  const ExternalFeatureOptions o = PropertyOptions();
  const std::vector<UnixNanos> times = DecisionTimes(d);
  Result<ExternalFeatureColumns> full = ComputeExternalFeatures(d, o, times);
  ASSERT_TRUE(full.ok());
  Result<std::unique_ptr<ExternalFeatureSource>> src = ExternalFeatureSource::Create(d, o);
  ASSERT_TRUE(src.ok());
  const size_t half = times.size() / 2;
  std::vector<double> row((*src)->names().size());
  for (size_t i = 0; i < half; ++i) (*src)->ValuesAt(times[i], row.data());
  const std::vector<uint8_t> state = (*src)->SaveState();

  // Restored from the checkpoint, with data only added after it: the rest is identical.
  const ExternalRecords more = PerturbAfter(d, times[half - 1], 99);
  Result<ExternalFeatureColumns> full_more = ComputeExternalFeatures(more, o, times);
  Result<std::unique_ptr<ExternalFeatureSource>> resumed = ExternalFeatureSource::Create(more, o);
  ASSERT_TRUE(resumed.ok());
  ASSERT_TRUE((*resumed)->LoadState(state).ok());
  for (size_t i = half; i < times.size(); ++i) {
    (*resumed)->ValuesAt(times[i], row.data());
    for (size_t c = 0; c < row.size(); ++c) {
      ASSERT_TRUE(SameBits(row[c], full_more->columns[c][i])) << full->names[c];
    }
  }
  // History before the checkpoint changed: refused.
  ExternalRecords changed = d;
  bool edited = false;
  for (SentimentRecord& it : changed.sentiment) {
    if (edited || it.target == "JPY" || it.ts_avail > times[half - 1]) continue;
    it.score = it.score == 0.5 ? 0.25 : 0.5;  // an item the kernel had read
    edited = true;
  }
  ASSERT_TRUE(edited);
  Result<std::unique_ptr<ExternalFeatureSource>> other = ExternalFeatureSource::Create(changed, o);
  Status st = (*other)->LoadState(state);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("rebuild"), std::string::npos);
  EXPECT_EQ((*other)->LoadState(std::vector<uint8_t>(5, 0)).code(), StatusCode::kCorruption);
  // Going back in time gives NaN rather than values from the future state.
  (*resumed)->ValuesAt(times[0], row.data());
  for (double x : row) EXPECT_TRUE(std::isnan(x));
}

TEST(ExternalFeatureSource, SpecFromFeatureSetTable) {
  Result<ExternalFeatureOptions> o = ParseExternalFeatureSpec({{"min_impact", "'medium'"},
                                                               {"cot", "false"},
                                                               {"cot_window", "26"},
                                                               {"sentiment_half_life", "'90m'"},
                                                               {"surprise_z_cap", "5.5"},
                                                               {"indices", "[ 'DXY', 'vix' ]"}},
                                                              "EURUSD");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->symbol, "EURUSD");
  EXPECT_EQ(o->min_impact, EventImpact::kMedium);
  EXPECT_FALSE(o->cot);
  EXPECT_EQ(o->cot_window, 26);
  EXPECT_EQ(o->sentiment_half_life, std::chrono::minutes(90));
  EXPECT_EQ(o->surprise_z_cap, 5.5);
  EXPECT_EQ(o->index_series, (std::vector<std::string>{"DXY", "VIX"}));
  for (const auto& [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"colour", "'red'"},
                                                        {"cot", "'maybe'"},
                                                        {"cot_window", "1"},
                                                        {"sentiment_window", "'-5m'"},
                                                        {"min_impact", "'huge'"},
                                                        {"indices", "'DXY'"},
                                                        {"indices", "['../x']"}}) {
    Result<ExternalFeatureOptions> bad = ParseExternalFeatureSpec({{k, v}}, "EURUSD");
    ASSERT_FALSE(bad.ok()) << k << "=" << v;
    EXPECT_NE(bad.status().message().find(k), std::string::npos) << bad.status().message();
  }
  EXPECT_FALSE(
      ParseExternalFeatureSpec({{"cot_window", "4"}, {"cot_min_reports", "5"}}, "EURUSD").ok());
}

TEST(ExternalFeatureSource, OpensWhatTheStoreHas) {
  TempDir dir;
  ExternalImportOptions io;
  io.index_name = "DXY";
  ASSERT_TRUE(ImportExternalText(dir.str(), ExternalKind::kIndex, "dxy.csv",
                                 "date,open,high,low,close\n2024-01-02,101,103,100,102\n", io,
                                 ExternalMergeOptions(), nullptr)
                  .ok());
  // No calendar, COT or sentiment data: those columns are NaN, not an error.
  Result<std::unique_ptr<ExternalFeatureSource>> src =
      ExternalFeatureSource::Open(dir.str(), "EURUSD", {{"indices", "['DXY']"}});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  std::vector<double> row((*src)->names().size());
  (*src)->ValuesAt(T("2024-01-03T00:00:00Z"), row.data());
  EXPECT_TRUE(std::isnan(row.back()));  // logret needs two closes
  EXPECT_EQ(row[row.size() - 2], 102);
  // A requested index series that is not in the store is an error naming it.
  src = ExternalFeatureSource::Open(dir.str(), "EURUSD", {{"indices", "['VIX']"}});
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kNotFound);
  EXPECT_NE(src.status().message().find("VIX"), std::string::npos);
}

TEST(ExternalFeatures, Errors) {
  Result<ExternalFeatureKernel> k = ExternalFeatureKernel::Create(ExternalRecords(), Pair());
  ASSERT_TRUE(k.ok());
  std::vector<double> row(k->size());
  ASSERT_TRUE(k->Values(T("2024-01-02T00:00:00Z"), row).ok());
  Status s = k->Values(T("2024-01-01T00:00:00Z"), row);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("before the previous"), std::string::npos);
  std::vector<double> small(2);
  EXPECT_EQ(k->Values(T("2024-01-03T00:00:00Z"), small).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ExternalFeatureKernel::Create(ExternalRecords(), Pair("NOPE")).status().code(),
            StatusCode::kNotFound);
  ExternalFeatureOptions o = Pair();
  o.cot_min_reports = 100;
  EXPECT_EQ(ExternalFeatureKernel::Create(ExternalRecords(), o).status().code(),
            StatusCode::kInvalidArgument);
  o = Pair();
  o.base = "EUR";
  o.quote = "EUR";
  EXPECT_EQ(ExternalFeatureKernel::Create(ExternalRecords(), o).status().code(),
            StatusCode::kInvalidArgument);
  // Any pair works given its currencies.
  o = Pair("");
  o.base = "USD";
  o.quote = "SEK";
  k = ExternalFeatureKernel::Create(ExternalRecords(), o);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->names()[6], "cot_net_z_SEK");
}

}  // namespace
}  // namespace arus::features
