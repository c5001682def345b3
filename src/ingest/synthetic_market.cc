#include "ingest/synthetic_market.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "ingest/det_random.h"
#include "ingest/synthetic_news.h"

namespace arus::ingest {

namespace {

// ---- Model constants (docs/synthetic-market.md explains each) ----------------------------------

enum Region : int { kNoRegion = -1, kEurope = 0, kOceania = 1 };
constexpr int kRegionCount = 2;
enum SeasonGroup : int { kAsiaGroup = 0, kEuropeGroup = 1, kAmericasGroup = 2 };

struct CurrencyModel {
  const char* code;
  double usd_value;   // reference level: one unit in USD
  double annual_vol;  // of the currency's factor, per trading year
  double beta_risk;   // loading on the global risk factor
  int region;         // regional factor it loads on, or kNoRegion
  double beta_region;
  int season;  // which sessions it is most active in
};

constexpr int kCurrencyCount = 9;
const CurrencyModel kModels[kCurrencyCount] = {
    {"EUR", 1.09, 0.055, 0.0, kEurope, 0.75, kEuropeGroup},
    {"GBP", 1.27, 0.065, 0.1, kEurope, 0.6, kEuropeGroup},
    {"AUD", 0.66, 0.085, 0.5, kOceania, 0.6, kAsiaGroup},
    {"NZD", 0.61, 0.09, 0.45, kOceania, 0.6, kAsiaGroup},
    {"USD", 1.0, 0.05, -0.2, kNoRegion, 0.0, kAmericasGroup},
    {"CAD", 1.0 / 1.35, 0.055, 0.3, kNoRegion, 0.0, kAmericasGroup},
    {"CHF", 1.0 / 0.88, 0.06, -0.3, kEurope, 0.6, kEuropeGroup},
    {"JPY", 1.0 / 148.0, 0.07, -0.4, kNoRegion, 0.0, kAsiaGroup},
    {"XAU", 2030.0, 0.13, -0.2, kNoRegion, 0.0, kAmericasGroup},
};

// Session activity weights per group: Sydney, Tokyo, London, New York.
constexpr double kSessionWeights[3][4] = {
    {0.35, 0.70, 0.90, 0.60},  // Asia-Pacific currencies
    {0.15, 0.35, 1.20, 0.70},  // European
    {0.15, 0.40, 1.00, 0.90},  // Americas (and gold)
};
constexpr double kBaseActivity = 0.25;
constexpr double kLondonNewYorkBonus = 0.40;

struct PairProfile {
  const char* symbol;
  double spread_pips;  // typical spread in liquid hours
  double rate_mult;    // tick rate relative to a major
};
// clang-format off
const PairProfile kProfiles[] = {
    {"EURUSD", 0.6, 1.0}, {"USDJPY", 0.7, 1.0}, {"GBPUSD", 0.9, 1.0}, {"AUDUSD", 0.8, 1.0},
    {"USDCAD", 1.1, 1.0}, {"USDCHF", 1.0, 1.0}, {"NZDUSD", 1.2, 1.0}, {"XAUUSD", 25.0, 1.2},
    {"EURGBP", 1.0, 0.7}, {"EURJPY", 1.2, 0.7}, {"GBPJPY", 1.8, 0.7}, {"EURCHF", 1.3, 0.7},
    {"AUDJPY", 1.3, 0.7}, {"CADJPY", 1.6, 0.7}, {"CHFJPY", 1.8, 0.7}, {"GBPCHF", 2.0, 0.7},
    {"EURAUD", 1.6, 0.7}, {"EURCAD", 1.7, 0.7}, {"GBPAUD", 2.2, 0.5}, {"GBPCAD", 2.4, 0.5},
    {"AUDCAD", 1.6, 0.5}, {"AUDCHF", 1.7, 0.5}, {"AUDNZD", 2.0, 0.5}, {"NZDJPY", 1.8, 0.5},
    {"EURNZD", 2.6, 0.5}, {"GBPNZD", 3.2, 0.5}, {"NZDCAD", 2.2, 0.5}, {"NZDCHF", 2.2, 0.5},
    {"CADCHF", 1.8, 0.5},
};
// clang-format on
constexpr double kDefaultSpreadPips = 3.0;
constexpr double kDefaultRateMult = 0.4;

constexpr double kMajorTickRate = 1.7;  // ticks/s of a major per unit of activity
constexpr double kMaxTickRate = 50.0;
constexpr double kTradingSecondsPerYear = 260.0 * 86400.0;
constexpr double kCalendarSecondsPerYear = 365.0 * 86400.0;
constexpr double kVolNorm = 0.75;       // keeps the seasonal average near the annual vol
constexpr double kLogVolTauMin = 2160;  // 1.5 days
constexpr double kLogVolSd = 0.25;
constexpr double kInitialOffsetVols = 0.3;         // start levels vary by seed: 0.3 annual sd
constexpr double kJumpMeanSeconds = 10 * 86400.0;  // one jump per currency per ~2 weeks
constexpr double kJumpHourlyVols = 2.5;
constexpr double kGapVolFraction = 0.25;  // weekend gap: a quarter of the closed time's vol
constexpr double kMeanReversionHalfLifeS = 2 * kTradingSecondsPerYear;  // normal mode only
constexpr double kNewsDriftFraction = 0.3;  // normal mode: post-news drift, of the jump
constexpr double kNewsDriftTauS = 180;
constexpr int64_t kSignalWindowS = 300;
constexpr int kSignalLookback = 3;  // windows: 15 minutes

// News effect sizes by impact (low, medium, high).
constexpr double kNewsVol[3] = {0.3, 1.0, 3.0};
constexpr double kNewsSpread[3] = {0.5, 1.0, 3.0};
constexpr double kNewsRate[3] = {0.2, 0.6, 1.5};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

double Pow075(double a) { return DetExp(0.75 * DetLog(a)); }

int CurrencyIndex(std::string_view code) {
  for (int i = 0; i < kCurrencyCount; ++i) {
    if (code == kModels[i].code) return i;
  }
  return -1;
}

double ActivityOf(int group, uint8_t mask) {
  double a = kBaseActivity;
  for (int s = 0; s < 4; ++s) {
    if (mask & (1u << s)) a += kSessionWeights[group][s];
  }
  const uint8_t ln = fx::SessionBit(fx::Session::kLondon) | fx::SessionBit(fx::Session::kNewYork);
  if ((mask & ln) == ln) a += kLondonNewYorkBonus;
  return a;
}

struct CurrencyState {
  const CurrencyModel* model = nullptr;
  Rng rng;
  double f = 0;           // log-value at the start of the current second
  double fn = 0;          // at its end
  double h = 0;           // log-vol deviation
  double unit_sigma = 0;  // per-second sigma at activity 1, before stochastic vol
  double sigma = 0;       // per-second sigma this minute
  double vol_by_mask[16];
  double load_risk = 0, load_region = 0, load_idio = 0;
  int64_t jump_countdown = 0;  // open seconds until the next jump
  double jump_sd = 0;
  double news_drift = 0;  // normal mode: per-second post-news drift, decaying
  double signal_drift = 0;
  double snaps[kSignalLookback + 1] = {};
  int snap_count = 0;
  // News multipliers this minute.
  double news_vol = 1, news_spread = 1, news_rate = 1;
};

struct PairState {
  fx::Instrument inst;
  int b = 0, q = 0;
  double log_ref = 0;  // log(reference mid)
  double inv_point = 0;
  int64_t raw_per_point = 0;  // Price raw units per point
  double base_spread_points = 0;
  double rate_mult = 1;
  double activity_by_mask[16];
  double spread_by_mask[16];
  Rng rng;
  double exp_neg_lambda = 1;  // this minute
  double spread_points = 1;   // this minute, before per-tick noise
};

}  // namespace

std::string_view SyntheticModeName(SyntheticOptions::Mode mode) {
  switch (mode) {
    case SyntheticOptions::Mode::kNormal:
      return "normal";
    case SyntheticOptions::Mode::kRandomWalk:
      return "random_walk";
    case SyntheticOptions::Mode::kPlantSignal:
      return "plant_signal";
  }
  return "?";
}

struct SyntheticMarket::Impl {
  SyntheticOptions opt;
  const fx::FxCalendar* cal = nullptr;
  std::unique_ptr<fx::SessionClock> sessions;
  std::vector<PairState> pairs;
  std::vector<fx::Instrument> instruments;
  CurrencyState cur[kCurrencyCount];
  Rng common_rng;
  std::vector<NewsRelease> releases;
  std::vector<EconomicEvent> events;
  size_t next_release = 0;  // first release not yet applied
  size_t news_lo = 0;       // first release that may still affect multipliers

  fx::Date day;       // next trading date to look at
  fx::Date last_day;  // last one generated
  UnixNanos day_open, day_close;
  int64_t last_second = 0;
  bool have_last_second = false;
  UnixNanos done_until;
  bool finished = false;

  double ou_a = 0, ou_b = 0;
  double kappa = 0;    // mean reversion per second
  double drift_q = 0;  // news drift decay per second

  void Init();
  void StartStretch(int64_t s_begin);
  void MinuteUpdate(int64_t s, bool step_ou);
  void SignalUpdate();
  void Simulate(int64_t s_begin, int64_t s_end, UnixNanos lo, UnixNanos hi,
                std::vector<std::vector<QuoteTick>>* out);
};

void SyntheticMarket::Impl::Init() {
  const bool normal = opt.mode == SyntheticOptions::Mode::kNormal;
  ou_a = DetExp(-1.0 / kLogVolTauMin);
  ou_b = kLogVolSd * std::sqrt(1 - ou_a * ou_a);
  kappa = normal ? 0.69314718055994530942 / kMeanReversionHalfLifeS : 0.0;
  drift_q = DetExp(-1.0 / kNewsDriftTauS);
  common_rng = Rng(StreamSeed(opt.seed, "common"));
  for (int i = 0; i < kCurrencyCount; ++i) {
    CurrencyState& c = cur[i];
    c.model = &kModels[i];
    c.rng = Rng(StreamSeed(opt.seed, std::string("currency:") + kModels[i].code));
    c.unit_sigma = kModels[i].annual_vol * kVolNorm / std::sqrt(kTradingSecondsPerYear);
    c.load_risk = kModels[i].beta_risk;
    c.load_region = kModels[i].region == kNoRegion ? 0.0 : kModels[i].beta_region;
    c.load_idio = std::sqrt(1 - c.load_risk * c.load_risk - c.load_region * c.load_region);
    for (int m = 0; m < 16; ++m) {
      c.vol_by_mask[m] = Pow075(ActivityOf(kModels[i].season, static_cast<uint8_t>(m)));
    }
    c.jump_sd =
        kModels[i].annual_vol * std::sqrt(3600.0 / kTradingSecondsPerYear) * kJumpHourlyVols;
    c.f = kInitialOffsetVols * kModels[i].annual_vol * c.rng.Normal();
    c.fn = c.f;
    c.h = kLogVolSd * c.rng.Normal();
    c.jump_countdown = 1 + static_cast<int64_t>(std::floor(c.rng.Exponential() * kJumpMeanSeconds));
  }
  for (PairState& p : pairs) {
    p.rng = Rng(StreamSeed(opt.seed, "pair:" + p.inst.symbol));
    const CurrencyModel& mb = kModels[p.b];
    const CurrencyModel& mq = kModels[p.q];
    p.log_ref = DetLog(mb.usd_value) - DetLog(mq.usd_value);
    double inv = 1;
    for (int k = 0; k < p.inst.price_precision; ++k) inv *= 10;
    p.inv_point = inv;
    p.raw_per_point = Pow10(kPriceDecimals - p.inst.price_precision);
    double spread_pips = kDefaultSpreadPips;
    p.rate_mult = kDefaultRateMult;
    for (const PairProfile& pr : kProfiles) {
      if (p.inst.symbol == pr.symbol) {
        spread_pips = pr.spread_pips;
        p.rate_mult = pr.rate_mult;
      }
    }
    p.base_spread_points = spread_pips * p.inst.pip_size * inv;
    for (int m = 0; m < 16; ++m) {
      const double a = 0.5 * (ActivityOf(mb.season, static_cast<uint8_t>(m)) +
                              ActivityOf(mq.season, static_cast<uint8_t>(m)));
      p.activity_by_mask[m] = a;
      p.spread_by_mask[m] = std::clamp(1.2 / std::sqrt(a), 0.85, 2.0);
    }
  }
}

// Called before simulating from second s_begin; applies the gap after a closure.
void SyntheticMarket::Impl::StartStretch(int64_t s_begin) {
  if (have_last_second && s_begin > last_second + 1) {
    const double closed = static_cast<double>(s_begin - last_second - 1);
    const double scale = kGapVolFraction * std::sqrt(closed / kCalendarSecondsPerYear);
    for (CurrencyState& c : cur) {
      c.f += c.model->annual_vol * scale * c.rng.Normal();
      c.news_drift = 0;
      c.signal_drift = 0;
      c.snap_count = 0;
    }
  }
  const int64_t begin_ns = s_begin * kNanosPerSecond;
  while (next_release < releases.size() && releases[next_release].event.time.ns() < begin_ns) {
    ++next_release;
  }
}

void SyntheticMarket::Impl::MinuteUpdate(int64_t s, bool step_ou) {
  const UnixNanos t(s * kNanosPerSecond);
  const uint8_t mask = sessions->ActiveMask(t) & 15;

  // Rollover at 17:00 New York: spreads several-fold for ~10 minutes, fewer ticks.
  double roll_spread = 1, roll_rate = 1;
  const int64_t since_open = (t - day_open).count();
  const int64_t to_close = (day_close - t).count();
  if (since_open < 15 * kNanosPerMinute) {
    roll_spread = 1 + 5 * DetExp(-static_cast<double>(since_open) / (240.0 * kNanosPerSecond));
  } else if (to_close <= 5 * kNanosPerMinute) {
    roll_spread = 1.8;
  }
  if (since_open < 5 * kNanosPerMinute) roll_rate = 0.4;

  for (CurrencyState& c : cur) c.news_vol = c.news_spread = c.news_rate = 1;
  const int64_t now = t.ns();
  while (news_lo < releases.size() &&
         releases[news_lo].event.time.ns() <= now - 60 * kNanosPerMinute) {
    ++news_lo;
  }
  for (size_t i = news_lo; i < releases.size(); ++i) {
    const NewsRelease& r = releases[i];
    const int64_t dt = now - r.event.time.ns();
    if (dt < -5 * kNanosPerMinute) break;
    CurrencyState& c = cur[CurrencyIndex(r.event.currency)];
    const int imp = static_cast<int>(r.event.impact);
    if (dt < 0) {
      c.news_vol += 0.3 * kNewsVol[imp];
      if (dt >= -2 * kNanosPerMinute) {
        c.news_spread += 0.5 * kNewsSpread[imp];
        c.news_rate += 0.3 * kNewsRate[imp];
      }
    } else {
      const double dts = static_cast<double>(dt) / kNanosPerSecond;
      c.news_vol += kNewsVol[imp] * DetExp(-dts / 600.0);
      if (dts < 900) c.news_spread += kNewsSpread[imp] * DetExp(-dts / 150.0);
      if (dts < 1800) c.news_rate += kNewsRate[imp] * DetExp(-dts / 300.0);
    }
  }

  for (CurrencyState& c : cur) {
    if (step_ou) c.h = ou_a * c.h + ou_b * c.rng.Normal();
    c.sigma = c.unit_sigma * c.vol_by_mask[mask] * DetExp(c.h) * c.news_vol;
  }
  for (PairState& p : pairs) {
    const CurrencyState& cb = cur[p.b];
    const CurrencyState& cq = cur[p.q];
    double lambda = kMajorTickRate * p.rate_mult * p.activity_by_mask[mask] *
                    std::max(cb.news_rate, cq.news_rate) * roll_rate * opt.tick_rate_scale;
    lambda = std::min(lambda, kMaxTickRate);
    p.exp_neg_lambda = DetExp(-lambda);
    p.spread_points = p.base_spread_points * p.spread_by_mask[mask] * roll_spread *
                      std::max(cb.news_spread, cq.news_spread);
  }
}

// At a 5-minute boundary T: the drift over [T, T+5m) is strength * (f(T) - f(T-15m)) / 300 s.
void SyntheticMarket::Impl::SignalUpdate() {
  const double k = opt.signal_strength / static_cast<double>(kSignalWindowS);
  for (CurrencyState& c : cur) {
    for (int i = kSignalLookback; i > 0; --i) c.snaps[i] = c.snaps[i - 1];
    c.snaps[0] = c.f;
    if (c.snap_count <= kSignalLookback) ++c.snap_count;
    c.signal_drift = c.snap_count > kSignalLookback ? k * (c.f - c.snaps[kSignalLookback]) : 0.0;
  }
}

void SyntheticMarket::Impl::Simulate(int64_t s_begin, int64_t s_end, UnixNanos lo, UnixNanos hi,
                                     std::vector<std::vector<QuoteTick>>* out) {
  const bool normal = opt.mode == SyntheticOptions::Mode::kNormal;
  const bool plant = opt.mode == SyntheticOptions::Mode::kPlantSignal;
  StartStretch(s_begin);
  int ms[64];
  for (int64_t s = s_begin; s < s_end; ++s) {
    const bool minute = FloorMod(s, 60) == 0;
    if (minute || s == s_begin) MinuteUpdate(s, minute);
    if (plant && FloorMod(s, kSignalWindowS) == 0) SignalUpdate();

    const double z_risk = common_rng.Normal();
    double z_region[kRegionCount];
    for (double& z : z_region) z = common_rng.Normal();
    for (CurrencyState& c : cur) {
      const double zr = c.model->region == kNoRegion ? 0.0 : z_region[c.model->region];
      double fn = c.f + c.sigma * (c.load_risk * z_risk + c.load_region * zr +
                                   c.load_idio * c.rng.Normal());
      if (normal) {
        fn += c.news_drift - kappa * c.f;
        c.news_drift *= drift_q;
        if (std::fabs(c.news_drift) < 1e-30) c.news_drift = 0;  // never slow subnormals
      }
      if (plant) fn += c.signal_drift;
      if (--c.jump_countdown <= 0) {
        fn += c.jump_sd * c.rng.Normal();
        c.jump_countdown =
            1 + static_cast<int64_t>(std::floor(c.rng.Exponential() * kJumpMeanSeconds));
      }
      c.fn = fn;
    }
    const int64_t s_ns = s * kNanosPerSecond;
    while (next_release < releases.size() &&
           releases[next_release].event.time.ns() < s_ns + kNanosPerSecond) {
      const NewsRelease& r = releases[next_release++];
      CurrencyState& c = cur[CurrencyIndex(r.event.currency)];
      c.fn += r.jump;
      if (normal) c.news_drift += kNewsDriftFraction * r.jump * (1 - drift_q);
    }

    for (size_t pi = 0; pi < pairs.size(); ++pi) {
      PairState& p = pairs[pi];
      int n = p.rng.PoissonFromExpNeg(p.exp_neg_lambda);
      if (n == 0) continue;
      n = std::min(n, 64);
      for (int k = 0; k < n; ++k) {
        const int v = static_cast<int>(p.rng.Below(1000));
        int j = k;
        while (j > 0 && ms[j - 1] > v) {
          ms[j] = ms[j - 1];
          --j;
        }
        ms[j] = v;
      }
      const CurrencyState& cb = cur[p.b];
      const CurrencyState& cq = cur[p.q];
      const double x0 = p.log_ref + (cb.f - cq.f);
      const double dx = (cb.fn - cq.fn) - (cb.f - cq.f);
      std::vector<QuoteTick>& dst = (*out)[pi];
      int prev_ms = -1;
      for (int k = 0; k < n; ++k) {
        int m = ms[k];
        if (m <= prev_ms) m = prev_ms + 1;  // strictly increasing millisecond stamps
        const double spread_noise = 0.8 + 0.4 * p.rng.Uniform();
        const double ub = p.rng.Uniform();
        const double ua = p.rng.Uniform();
        if (m >= 1000) break;
        prev_ms = m;
        const double mid_points = DetExp(x0 + (m * 0.001) * dx) * p.inv_point;
        // Round half up; the operands are positive, so truncation is floor.
        int64_t spread = static_cast<int64_t>(p.spread_points * spread_noise + 0.5);
        if (spread < 1) spread = 1;
        const double bid_points = mid_points - 0.5 * static_cast<double>(spread) + 0.5;
        int64_t bid = bid_points >= 1.0 ? static_cast<int64_t>(bid_points) : 1;
        const UnixNanos ts(s_ns + m * kNanosPerMilli);
        if (ts < lo || ts >= hi) continue;
        QuoteTick t;
        t.ts_event = ts;
        t.bid = Price::FromRaw(bid * p.raw_per_point);
        t.ask = Price::FromRaw((bid + spread) * p.raw_per_point);
        // Volumes in millions with two decimals, 0.75 to 5, mostly small (Dukascopy-like).
        t.bid_volume = static_cast<float>(
            static_cast<double>(static_cast<int64_t>((0.75 + 4.25 * ub * ub) * 100 + 0.5)) / 100);
        t.ask_volume = static_cast<float>(
            static_cast<double>(static_cast<int64_t>((0.75 + 4.25 * ua * ua) * 100 + 0.5)) / 100);
        dst.push_back(t);
      }
    }
    for (CurrencyState& c : cur) c.f = c.fn;
  }
  last_second = s_end - 1;
  have_last_second = true;
}

// ---- SyntheticMarket ----------------------------------------------------------------------------

SyntheticMarket::SyntheticMarket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SyntheticMarket::~SyntheticMarket() = default;

Result<std::unique_ptr<SyntheticMarket>> SyntheticMarket::Create(
    SyntheticOptions options, const fx::InstrumentTable& instruments) {
  if (options.symbols.empty()) return InvalidArgument("synthetic market: no symbols requested");
  if (!(options.from < options.to)) {
    return InvalidArgument("synthetic market: empty range [" + options.from.ToIso() + ", " +
                           options.to.ToIso() + ")");
  }
  if (options.mode == SyntheticOptions::Mode::kPlantSignal) {
    if (!(options.signal_strength >= 0 && options.signal_strength < 1.0 / 3.0)) {
      return InvalidArgument("synthetic market: signal strength must be in [0, 1/3), got " +
                             Num(options.signal_strength));
    }
  } else if (options.signal_strength != 0) {
    return InvalidArgument("synthetic market: a signal strength is only used in plant_signal mode");
  }
  if (!(options.tick_rate_scale > 0 && options.tick_rate_scale <= 100)) {
    return InvalidArgument("synthetic market: tick rate scale must be in (0, 100], got " +
                           Num(options.tick_rate_scale));
  }
  auto impl = std::make_unique<Impl>();
  impl->cal = options.calendar ? options.calendar : &fx::FxCalendar::Default();
  impl->sessions = std::make_unique<fx::SessionClock>(*impl->cal);
  for (const std::string& sym : options.symbols) {
    ARUS_ASSIGN_OR_RETURN(const fx::Instrument* in, instruments.Find(sym));
    for (const PairState& p : impl->pairs) {
      if (p.inst.symbol == in->symbol) {
        return InvalidArgument("synthetic market: symbol " + in->symbol + " requested twice");
      }
    }
    PairState p;
    p.inst = *in;
    p.b = CurrencyIndex(in->base);
    p.q = CurrencyIndex(in->quote);
    if (p.b < 0 || p.q < 0) {
      return InvalidArgument("synthetic market: no model for currency " +
                             (p.b < 0 ? in->base : in->quote) + " of " + in->symbol +
                             " (known: EUR GBP AUD NZD USD CAD CHF JPY XAU)");
    }
    if (p.b == p.q) {
      return InvalidArgument("synthetic market: " + in->symbol + " has the same base and quote");
    }
    impl->instruments.push_back(*in);
    impl->pairs.push_back(std::move(p));
  }
  if (options.news) {
    ARUS_ASSIGN_OR_RETURN(impl->releases,
                          BuildNewsSchedule(options.from - Duration(2 * kNanosPerHour), options.to,
                                            options.seed, *impl->cal));
  }
  impl->opt = std::move(options);
  impl->Init();
  // Events() reports the schedule inside [from, to); earlier ones only shape the first hours.
  impl->events.clear();
  for (const NewsRelease& r : impl->releases) {
    if (r.event.time >= impl->opt.from) impl->events.push_back(r.event);
  }
  impl->day = impl->cal->TradingDateOf(impl->opt.from);
  impl->last_day = impl->day;
  impl->done_until = impl->opt.from;
  return std::unique_ptr<SyntheticMarket>(new SyntheticMarket(std::move(impl)));
}

Result<bool> SyntheticMarket::NextDay(std::vector<std::vector<QuoteTick>>* ticks_per_symbol) {
  Impl& m = *impl_;
  ticks_per_symbol->resize(m.pairs.size());
  for (auto& v : *ticks_per_symbol) v.clear();
  while (!m.finished) {
    const fx::TradingDayBounds b = m.cal->Bounds(m.day);
    if (b.open >= m.opt.to) {
      m.finished = true;
      m.done_until = m.opt.to;
      break;
    }
    const fx::Date d = m.day;
    m.day = m.day + 1;
    const UnixNanos lo = std::max(b.open, m.opt.from);
    const UnixNanos hi = std::min(b.close, m.opt.to);
    if (!m.cal->IsTradingDay(d) || !(lo < hi)) continue;
    m.day_open = b.open;
    m.day_close = b.close;
    const int64_t s_begin = FloorDiv(lo.ns(), kNanosPerSecond);
    const int64_t s_end = FloorDiv(hi.ns() - 1, kNanosPerSecond) + 1;
    m.Simulate(s_begin, s_end, lo, hi, ticks_per_symbol);
    m.last_day = d;
    m.done_until = hi;
    return true;
  }
  return false;
}

const std::vector<fx::Instrument>& SyntheticMarket::Instruments() const {
  return impl_->instruments;
}
const std::vector<EconomicEvent>& SyntheticMarket::Events() const { return impl_->events; }
fx::Date SyntheticMarket::LastDay() const { return impl_->last_day; }
const SyntheticOptions& SyntheticMarket::options() const { return impl_->opt; }

double SyntheticMarket::Progress() const {
  const double total = static_cast<double>((impl_->opt.to - impl_->opt.from).count());
  const double done = static_cast<double>((impl_->done_until - impl_->opt.from).count());
  return std::clamp(done / total, 0.0, 1.0);
}

Result<std::vector<std::vector<QuoteTick>>> GenerateSyntheticTicks(
    const SyntheticOptions& options, const fx::InstrumentTable& instruments) {
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<SyntheticMarket> market,
                        SyntheticMarket::Create(options, instruments));
  std::vector<std::vector<QuoteTick>> all(options.symbols.size());
  std::vector<std::vector<QuoteTick>> day;
  const double days = static_cast<double>((options.to - options.from).count()) / kNanosPerDay;
  bool first = true;
  while (true) {
    ARUS_ASSIGN_OR_RETURN(bool more, market->NextDay(&day));
    if (!more) break;
    if (first) {  // size the output once from the first day's counts
      for (size_t i = 0; i < day.size(); ++i) {
        all[i].reserve(static_cast<size_t>(static_cast<double>(day[i].size()) * (days + 1) * 1.1));
      }
      first = false;
    }
    for (size_t i = 0; i < day.size(); ++i)
      all[i].insert(all[i].end(), day[i].begin(), day[i].end());
  }
  return all;
}

}  // namespace arus::ingest
