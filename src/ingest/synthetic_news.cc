#include "ingest/synthetic_news.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <memory>
#include <string>

#include "ingest/det_random.h"

namespace arus::ingest {

namespace {

constexpr int kAnyWeekday = -1;  // first Monday..Friday on/after first_day
constexpr uint16_t kAllMonths = 0x0FFF;

constexpr uint16_t Months(std::initializer_list<int> ms) {
  uint16_t m = 0;
  for (int x : ms) m = static_cast<uint16_t>(m | (1u << (x - 1)));
  return m;
}

enum class Kind : uint8_t { kIndicator, kRate };

// One release series. Monthly series fall on the first `weekday` on or after day `first_day` of
// each month in `months`; weekly series (first_day == 0) on every `weekday`.
struct SeriesSpec {
  const char* currency;
  const char* name;
  EventImpact impact;
  const char* zone;
  uint16_t months;
  int weekday;  // 0 = Sunday .. 6 = Saturday, or kAnyWeekday
  int first_day;
  int hour, minute;
  Kind kind;
  double mean;         // indicators: long-run level; rates: reference rate
  double level_sd;     // stationary sd of the level around the mean
  double persistence;  // AR(1) coefficient of the level from one release to the next
  double surprise_sd;  // sd of actual - forecast
  int decimals;
  int direction;
  double revision_sd;  // sd of the revision of the previous value (0: never revised)
};

constexpr const char* kNy = "America/New_York";

// clang-format off
const SeriesSpec kSeries[] = {
  // USD
  {"USD", "Non-Farm Payrolls", EventImpact::kHigh, kNy, kAllMonths, 5, 1, 8, 30,
   Kind::kIndicator, 180, 60, 0.5, 70, 0, +1, 25},
  {"USD", "Unemployment Rate", EventImpact::kHigh, kNy, kAllMonths, 5, 1, 8, 30,
   Kind::kIndicator, 3.9, 0.2, 0.9, 0.1, 1, -1, 0},
  {"USD", "CPI m/m", EventImpact::kHigh, kNy, kAllMonths, 3, 10, 8, 30,
   Kind::kIndicator, 0.3, 0.15, 0.3, 0.1, 1, +1, 0},
  {"USD", "Retail Sales m/m", EventImpact::kMedium, kNy, kAllMonths, kAnyWeekday, 15, 8, 30,
   Kind::kIndicator, 0.3, 0.5, 0.0, 0.4, 1, +1, 0.2},
  {"USD", "ISM Manufacturing PMI", EventImpact::kMedium, kNy, kAllMonths, kAnyWeekday, 1, 10, 0,
   Kind::kIndicator, 49, 2, 0.8, 1.2, 1, +1, 0},
  {"USD", "Initial Jobless Claims", EventImpact::kMedium, kNy, kAllMonths, 4, 0, 8, 30,
   Kind::kIndicator, 215, 12, 0.7, 10, 0, -1, 2},
  {"USD", "FOMC Rate Decision", EventImpact::kHigh, kNy, Months({1, 3, 5, 6, 7, 9, 11, 12}), 3,
   15, 14, 0, Kind::kRate, 5.50, 0, 0, 0.25, 2, +1, 0},
  // EUR
  {"EUR", "ECB Rate Decision", EventImpact::kHigh, "Europe/Berlin",
   Months({1, 3, 4, 6, 7, 9, 10, 12}), 4, 8, 14, 15, Kind::kRate, 4.50, 0, 0, 0.25, 2, +1, 0},
  {"EUR", "CPI Flash Estimate y/y", EventImpact::kHigh, "Europe/Berlin", kAllMonths,
   kAnyWeekday, 1, 11, 0, Kind::kIndicator, 2.6, 0.6, 0.9, 0.15, 1, +1, 0},
  {"EUR", "German ZEW Economic Sentiment", EventImpact::kMedium, "Europe/Berlin", kAllMonths, 2,
   15, 11, 0, Kind::kIndicator, 10, 12, 0.7, 6, 1, +1, 0},
  // GBP
  {"GBP", "BoE Rate Decision", EventImpact::kHigh, "Europe/London",
   Months({2, 3, 5, 6, 8, 9, 11, 12}), 4, 1, 12, 0, Kind::kRate, 5.25, 0, 0, 0.25, 2, +1, 0},
  {"GBP", "CPI y/y", EventImpact::kHigh, "Europe/London", kAllMonths, 3, 15, 7, 0,
   Kind::kIndicator, 4.0, 0.8, 0.9, 0.2, 1, +1, 0},
  {"GBP", "GDP m/m", EventImpact::kMedium, "Europe/London", kAllMonths, 5, 8, 7, 0,
   Kind::kIndicator, 0.1, 0.3, 0.0, 0.2, 1, +1, 0.1},
  // JPY
  {"JPY", "BoJ Policy Rate", EventImpact::kHigh, "Asia/Tokyo",
   Months({1, 3, 4, 6, 7, 9, 10, 12}), 3, 18, 12, 0, Kind::kRate, -0.10, 0, 0, 0.25, 2, +1, 0},
  {"JPY", "Tokyo Core CPI y/y", EventImpact::kMedium, "Asia/Tokyo", kAllMonths, 5, 22, 8, 30,
   Kind::kIndicator, 2.0, 0.5, 0.9, 0.15, 1, +1, 0},
  // AUD
  {"AUD", "RBA Rate Decision", EventImpact::kHigh, "Australia/Sydney",
   Months({2, 3, 5, 6, 8, 9, 11, 12}), 2, 1, 14, 30, Kind::kRate, 4.35, 0, 0, 0.25, 2, +1, 0},
  {"AUD", "Employment Change", EventImpact::kHigh, "Australia/Sydney", kAllMonths, 4, 15, 11, 30,
   Kind::kIndicator, 25, 20, 0.2, 25, 1, +1, 5},
  // NZD
  {"NZD", "RBNZ Rate Decision", EventImpact::kHigh, "Pacific/Auckland",
   Months({2, 4, 5, 7, 8, 10, 11}), 3, 8, 14, 0, Kind::kRate, 5.50, 0, 0, 0.25, 2, +1, 0},
  {"NZD", "CPI q/q", EventImpact::kMedium, "Pacific/Auckland", Months({1, 4, 7, 10}), 2, 15, 10,
   45, Kind::kIndicator, 0.8, 0.4, 0.5, 0.2, 1, +1, 0},
  // CAD
  {"CAD", "BoC Rate Decision", EventImpact::kHigh, "America/Toronto",
   Months({1, 3, 4, 6, 7, 9, 10, 12}), 3, 22, 10, 0, Kind::kRate, 5.00, 0, 0, 0.25, 2, +1, 0},
  {"CAD", "Employment Change", EventImpact::kHigh, "America/Toronto", kAllMonths, 5, 1, 8, 30,
   Kind::kIndicator, 20, 25, 0.2, 30, 1, +1, 0},
  // CHF
  {"CHF", "SNB Rate Decision", EventImpact::kHigh, "Europe/Zurich", Months({3, 6, 9, 12}), 4, 15,
   9, 30, Kind::kRate, 1.75, 0, 0, 0.25, 2, +1, 0},
  {"CHF", "CPI m/m", EventImpact::kMedium, "Europe/Zurich", kAllMonths, kAnyWeekday, 2, 8, 30,
   Kind::kIndicator, 0.1, 0.3, 0.2, 0.15, 1, +1, 0},
};
// clang-format on

// Log move of the currency factor per unit of surprise z.
double JumpPerZ(const SeriesSpec& s) {
  if (s.kind == Kind::kRate) return 0.0040;
  return s.impact == EventImpact::kHigh ? 0.0020 : 0.0008;
}

double RoundTo(double x, int decimals) {
  double scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  return std::round(x * scale) / scale + 0.0;  // + 0.0 turns -0 into 0
}

// Local dates on which series `s` releases within [first, last].
std::vector<fx::Date> ReleaseDates(const SeriesSpec& s, fx::Date first, fx::Date last) {
  std::vector<fx::Date> out;
  auto matches = [&](fx::Date d) {
    const int wd = static_cast<int>(d.weekday());
    return s.weekday == kAnyWeekday ? (wd >= 1 && wd <= 5) : wd == s.weekday;
  };
  if (s.first_day == 0) {
    for (fx::Date d = first; d <= last; d = d + 1) {
      if (matches(d)) out.push_back(d);
    }
    return out;
  }
  int64_t y = first.year();
  unsigned m = first.month();
  while (true) {
    const fx::Date month_start = fx::Date::FromYmd(y, m, 1);
    if (month_start > last) break;
    if (s.months & (1u << (m - 1))) {
      fx::Date d = fx::Date::FromYmd(y, m, static_cast<unsigned>(s.first_day));
      while (!matches(d)) d = d + 1;
      if (d >= first && d <= last) out.push_back(d);
    }
    if (++m > 12) {
      m = 1;
      ++y;
    }
  }
  return out;
}

// Sequential value model of one series; its draws come from its own stream.
class SeriesState {
 public:
  SeriesState(const SeriesSpec& s, uint64_t seed)
      : s_(s), rng_(StreamSeed(seed, std::string("news:") + s.currency + ":" + s.name)) {
    if (s_.kind == Kind::kRate) {
      rate_ = s_.mean;
    } else {
      level_ = s_.level_sd * rng_.Normal();
      last_actual_ = RoundTo(s_.mean + level_, s_.decimals);
    }
  }

  // Fills actual, forecast, previous and returns the surprise z.
  double Next(EconomicEvent* e) {
    double z = 0;
    if (s_.kind == Kind::kRate) {
      // Expected move: central banks drift back towards their reference rate.
      const double gap = s_.mean - rate_;
      const double p_hike = std::clamp(0.12 + 0.3 * gap, 0.02, 0.6);
      const double p_cut = std::clamp(0.12 - 0.3 * gap, 0.02, 0.6);
      const double u = rng_.Uniform();
      const double expected = u < p_hike ? 0.25 : (u < p_hike + p_cut ? -0.25 : 0.0);
      const double forecast = RoundTo(rate_ + expected, 2);
      double actual = forecast;
      if (rng_.Uniform() < 0.15)
        actual = RoundTo(forecast + (rng_.Uniform() < 0.5 ? 0.25 : -0.25), 2);
      if (actual < -0.75) actual = forecast;
      e->previous = rate_;
      e->forecast = forecast;
      e->actual = actual;
      z = (actual - forecast) / s_.surprise_sd;
      rate_ = actual;
    } else {
      const double a = s_.persistence;
      level_ = a * level_ + std::sqrt(1 - a * a) * s_.level_sd * rng_.Normal();
      const double expected = s_.mean + level_;
      const double tail = rng_.Uniform() < 0.1 ? 2.0 : 1.0;  // occasional big surprises
      const double forecast = RoundTo(expected, s_.decimals);
      const double actual = RoundTo(expected + tail * s_.surprise_sd * rng_.Normal(), s_.decimals);
      double previous = last_actual_;
      if (s_.revision_sd > 0) {
        previous = RoundTo(last_actual_ + s_.revision_sd * rng_.Normal(), s_.decimals);
      }
      e->previous = previous;
      e->forecast = forecast;
      e->actual = actual;
      z = (actual - forecast) / s_.surprise_sd;
      last_actual_ = actual;
    }
    return std::clamp(z, -4.0, 4.0);
  }

 private:
  const SeriesSpec& s_;
  Rng rng_;
  double rate_ = 0;
  double level_ = 0;
  double last_actual_ = 0;
};

}  // namespace

Result<std::vector<NewsRelease>> BuildNewsSchedule(UnixNanos from, UnixNanos to, uint64_t seed,
                                                   const fx::FxCalendar& calendar) {
  std::vector<NewsRelease> out;
  if (!(from < to)) return out;
  const fx::Date first{from.FloorTo(Duration(kNanosPerDay)).ns() / kNanosPerDay - 400};
  const fx::Date last{to.FloorTo(Duration(kNanosPerDay)).ns() / kNanosPerDay + 1};
  for (const SeriesSpec& s : kSeries) {
    ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const fx::ZoneOffsets> zone,
                          fx::ZoneOffsets::Load(s.zone));
    SeriesState state(s, seed);
    for (fx::Date d : ReleaseDates(s, first, last)) {
      const UnixNanos t = zone->At(d, s.hour, s.minute);
      if (t >= to) break;
      if (!calendar.IsOpen(t)) continue;  // holiday: no release
      NewsRelease r;
      r.event.time = t;
      r.event.currency = s.currency;
      r.event.event = s.name;
      r.event.impact = s.impact;
      r.direction = s.direction;
      r.surprise_z = state.Next(&r.event);
      r.jump = s.direction * r.surprise_z * JumpPerZ(s);
      if (t >= from) out.push_back(std::move(r));
    }
  }
  std::sort(out.begin(), out.end(), [](const NewsRelease& a, const NewsRelease& b) {
    if (a.event.time != b.event.time) return a.event.time < b.event.time;
    if (a.event.currency != b.event.currency) return a.event.currency < b.event.currency;
    return a.event.event < b.event.event;
  });
  return out;
}

}  // namespace arus::ingest
