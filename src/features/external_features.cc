#include "features/external_features.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <tuple>
#include <type_traits>

#include "fx/instrument.h"

namespace arus::features {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kNanosPerMinuteD = static_cast<double>(kNanosPerMinute);

std::string ImpactWord(ingest::EventImpact i) {
  switch (i) {
    case ingest::EventImpact::kHigh:
      return "high";
    case ingest::EventImpact::kMedium:
      return "medium";
    case ingest::EventImpact::kLow:
      return "any";
  }
  return "high";
}

// "24h", "90m", "30s": the shortest exact unit, for column names.
std::string DurationLabel(Duration d) {
  const int64_t ns = d.count();
  if (ns % kNanosPerDay == 0 && ns / kNanosPerDay > 1)
    return std::to_string(ns / kNanosPerDay) + "d";
  if (ns % kNanosPerHour == 0) return std::to_string(ns / kNanosPerHour) + "h";
  if (ns % kNanosPerMinute == 0) return std::to_string(ns / kNanosPerMinute) + "m";
  if (ns % kNanosPerSecond == 0) return std::to_string(ns / kNanosPerSecond) + "s";
  return std::to_string(ns) + "ns";
}

// Sorted (key -> (revision, value)) with the highest revision kept; returns whether it changed.
template <typename V>
bool Upsert(std::vector<std::pair<int64_t, std::pair<int32_t, V>>>* v, int64_t key, int32_t rev,
            V value) {
  auto it = std::lower_bound(v->begin(), v->end(), key,
                             [](const auto& e, int64_t k) { return e.first < k; });
  if (it != v->end() && it->first == key) {
    if (rev <= it->second.first) return false;
    it->second = {rev, value};
    return true;
  }
  v->insert(it, {key, {rev, value}});
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A TOML value as the feature-set parser prints it: 'text' or "text" -> text.
std::string Unquote(std::string_view s) {
  s = TrimSpaces(s);
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front()) {
    s = s.substr(1, s.size() - 2);
  }
  return std::string(s);
}

class ByteSink {
 public:
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const size_t n = buf_.size();
    buf_.resize(n + sizeof(T));
    std::memcpy(buf_.data() + n, &v, sizeof(T));
  }
  void PutStr(const std::string& s) {
    Put(static_cast<uint64_t>(s.size()));
    buf_.append(s);
  }
  void PutOpt(const std::optional<double>& v) {
    Put(static_cast<uint8_t>(v.has_value()));
    Put(v.value_or(0.0));
  }
  uint64_t Hash() const { return XXH64(buf_.data(), buf_.size(), 0); }

 private:
  std::string buf_;
};

}  // namespace

Result<ExternalFeatureOptions> ParseExternalFeatureSpec(
    const std::map<std::string, std::string>& table, std::string_view symbol) {
  ExternalFeatureOptions o;
  o.symbol = std::string(symbol);
  auto bad = [](const std::string& key, const std::string& value, std::string_view want) {
    return InvalidArgument("[external] " + key + " = " + value + ": expected " + std::string(want));
  };
  auto as_bool = [&](const std::string& k, const std::string& v, bool* out) -> Status {
    const std::string u = Unquote(v);
    if (u == "true")
      *out = true;
    else if (u == "false")
      *out = false;
    else
      return bad(k, v, "true or false");
    return Status::Ok();
  };
  auto as_int = [&](const std::string& k, const std::string& v, int lo, int hi,
                    int* out) -> Status {
    const std::string u = Unquote(v);
    int x = 0;
    auto [p, ec] = std::from_chars(u.data(), u.data() + u.size(), x);
    if (ec != std::errc() || p != u.data() + u.size() || x < lo || x > hi) {
      return bad(k, v, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    *out = x;
    return Status::Ok();
  };
  auto as_duration = [&](const std::string& k, const std::string& v, Duration* out) -> Status {
    Result<Duration> d = ParseDuration(Unquote(v));
    if (!d.ok() || d->count() <= 0) return bad(k, v, "a positive duration such as \"6h\"");
    *out = *d;
    return Status::Ok();
  };
  for (const auto& [k, v] : table) {
    if (k == "calendar") {
      ARUS_RETURN_IF_ERROR(as_bool(k, v, &o.calendar));
    } else if (k == "min_impact") {
      Result<ingest::EventImpact> imp = ingest::ParseEventImpact(Unquote(v));
      if (!imp.ok()) return bad(k, v, "\"low\", \"medium\" or \"high\"");
      o.min_impact = *imp;
    } else if (k == "surprise_history") {
      ARUS_RETURN_IF_ERROR(as_int(k, v, 1, 1000, &o.surprise_history));
    } else if (k == "surprise_min_history") {
      ARUS_RETURN_IF_ERROR(as_int(k, v, 1, 1000, &o.surprise_min_history));
    } else if (k == "surprise_z_cap") {
      const std::string u = Unquote(v);
      double x = 0;
      auto [p, ec] = std::from_chars(u.data(), u.data() + u.size(), x);
      if (ec != std::errc() || p != u.data() + u.size() || !(x > 0 && x <= 1e6)) {
        return bad(k, v, "a number in (0, 1e6]");
      }
      o.surprise_z_cap = x;
    } else if (k == "cot") {
      ARUS_RETURN_IF_ERROR(as_bool(k, v, &o.cot));
    } else if (k == "cot_window") {
      ARUS_RETURN_IF_ERROR(as_int(k, v, 2, 10000, &o.cot_window));
    } else if (k == "cot_min_reports") {
      ARUS_RETURN_IF_ERROR(as_int(k, v, 2, 10000, &o.cot_min_reports));
    } else if (k == "sentiment") {
      ARUS_RETURN_IF_ERROR(as_bool(k, v, &o.sentiment));
    } else if (k == "sentiment_half_life") {
      ARUS_RETURN_IF_ERROR(as_duration(k, v, &o.sentiment_half_life));
    } else if (k == "sentiment_window") {
      ARUS_RETURN_IF_ERROR(as_duration(k, v, &o.sentiment_window));
    } else if (k == "indices") {
      std::string_view list = TrimSpaces(v);
      if (list.size() < 2 || list.front() != '[' || list.back() != ']') {
        return bad(k, v, "an array of series names such as [\"DXY\", \"VIX\"]");
      }
      list = list.substr(1, list.size() - 2);
      while (!TrimSpaces(list).empty()) {
        const size_t comma = list.find(',');
        const std::string item = Unquote(list.substr(0, comma));
        if (!item.empty()) {
          Result<std::string> name = NormalizeExternalName(item);
          if (!name.ok()) return bad(k, v, "series names of letters, digits, '_' or '-'");
          o.index_series.push_back(*name);
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else {
      return InvalidArgument(
          "[external] unknown key '" + k +
          "' (known: calendar, min_impact, surprise_history, surprise_min_history, "
          "surprise_z_cap, cot, cot_window, cot_min_reports, sentiment, sentiment_half_life, "
          "sentiment_window, indices)");
    }
  }
  if (o.surprise_min_history > o.surprise_history) {
    return InvalidArgument("[external] surprise_min_history must be <= surprise_history");
  }
  if (o.cot_min_reports > o.cot_window) {
    return InvalidArgument("[external] cot_min_reports must be <= cot_window");
  }
  return o;
}

Result<ExternalRecords> LoadExternalForFeatures(const ExternalStore& store,
                                                const ExternalFeatureOptions& options) {
  // Resolve the pair the same way Create does.
  std::string base = options.base, quote = options.quote, symbol = options.symbol;
  if (base.empty() || quote.empty()) {
    ARUS_ASSIGN_OR_RETURN(const fx::Instrument* inst, fx::InstrumentTable::Builtin().Find(symbol));
    base = inst->base;
    quote = inst->quote;
    symbol = inst->symbol;
  }
  if (symbol.empty()) symbol = base + quote;
  ExternalRecords out;
  const std::vector<std::string> ccys = {base, quote};
  if (options.calendar) {
    ARUS_ASSIGN_OR_RETURN(ExternalRecords r, store.LoadIfPresent(ExternalKind::kCalendar, ccys));
    out.calendar = std::move(r.calendar);
  }
  if (options.cot) {
    ARUS_ASSIGN_OR_RETURN(ExternalRecords r, store.LoadIfPresent(ExternalKind::kCot, ccys));
    out.cot = std::move(r.cot);
  }
  if (options.sentiment) {
    ARUS_ASSIGN_OR_RETURN(std::string sym, NormalizeExternalName(symbol));
    const std::vector<std::string> targets = {sym, base, quote};
    ARUS_ASSIGN_OR_RETURN(ExternalRecords r,
                          store.LoadIfPresent(ExternalKind::kSentiment, targets));
    out.sentiment = std::move(r.sentiment);
  }
  if (!options.index_series.empty()) {
    ARUS_ASSIGN_OR_RETURN(ExternalRecords r,
                          store.Load(ExternalKind::kIndex, options.index_series));
    out.index = std::move(r.index);
  }
  return out;
}

Result<ExternalFeatureKernel> ExternalFeatureKernel::Create(const ExternalRecords& records,
                                                            const ExternalFeatureOptions& options) {
  ExternalFeatureKernel k;
  k.opt_ = options;
  k.base_ = options.base;
  k.quote_ = options.quote;
  k.symbol_ = options.symbol;
  if (k.base_.empty() || k.quote_.empty()) {
    if (options.symbol.empty()) return InvalidArgument("external features need a symbol or a pair");
    ARUS_ASSIGN_OR_RETURN(const fx::Instrument* inst,
                          fx::InstrumentTable::Builtin().Find(options.symbol));
    k.base_ = inst->base;
    k.quote_ = inst->quote;
    k.symbol_ = inst->symbol;
  }
  if (k.symbol_.empty()) k.symbol_ = k.base_ + k.quote_;
  {
    Result<std::string> s = NormalizeExternalName(k.symbol_);
    if (!s.ok()) return s.status();
    k.symbol_ = *s;
  }
  if (k.base_ == k.quote_) return InvalidArgument("base and quote currency are the same");
  if (options.surprise_history < 1 || options.surprise_min_history < 1 ||
      options.surprise_min_history > options.surprise_history || !(options.surprise_z_cap > 0)) {
    return InvalidArgument(
        "surprise history must be >= 1, min history in [1, history], and the z cap > 0");
  }
  if (options.cot_window < 2 || options.cot_min_reports < 2 ||
      options.cot_min_reports > options.cot_window) {
    return InvalidArgument("COT window must be >= 2 and min reports in [2, window]");
  }
  if (options.sentiment_half_life.count() <= 0 || options.sentiment_window.count() <= 0) {
    return InvalidArgument("sentiment half-life and window must be > 0");
  }
  const std::string imp = ImpactWord(options.min_impact);
  const std::string side_ccy[2] = {k.base_, k.quote_};

  if (options.calendar) {
    k.names_.push_back("evt_mins_to_next_" + imp);
    k.names_.push_back("evt_mins_since_last_" + imp);
    k.names_.push_back("evt_last_surprise_z");
    k.names_.push_back("evt_last_surprise_z_" + k.base_);
    k.names_.push_back("evt_last_surprise_z_" + k.quote_);
    for (const CalendarRecord& r : records.calendar) {
      if (r.currency == k.base_ || r.currency == k.quote_) k.cal_.push_back(r);
    }
    // Identities and series, in a deterministic order independent of the input order.
    std::map<std::tuple<std::string, std::string, int64_t>, int> ids;
    std::map<std::pair<std::string, std::string>, int> series;
    for (const CalendarRecord& r : k.cal_) {
      ids.emplace(std::make_tuple(r.currency, r.event, r.ts_event.ns()), 0);
      series.emplace(std::make_pair(r.currency, r.event), 0);
    }
    int n = 0;
    for (auto& [key, id] : series) id = n++;
    k.series_ids_.resize(series.size());
    n = 0;
    for (auto& [key, id] : ids) {  // ordered by (currency, event, ts_event)
      id = n++;
      const auto& [ccy, ev, ts] = key;
      k.id_event_.push_back(ts);
      k.id_side_.push_back(ccy == k.base_ ? 0 : 1);
      const int s = series.at({ccy, ev});
      k.id_series_.push_back(s);
      k.id_series_pos_.push_back(static_cast<int>(k.series_ids_[s].size()));
      k.series_ids_[s].push_back(id);
    }
    for (const CalendarRecord& r : k.cal_) {
      k.cal_id_.push_back(ids.at(std::make_tuple(r.currency, r.event, r.ts_event.ns())));
    }
    k.sched_order_.resize(k.cal_.size());
    std::iota(k.sched_order_.begin(), k.sched_order_.end(), size_t{0});
    k.value_order_ = k.sched_order_;
    auto by = [&k](auto member) {
      return [&k, member](size_t a, size_t b) {
        const CalendarRecord& x = k.cal_[a];
        const CalendarRecord& y = k.cal_[b];
        // Total on content (identical duplicates aside), so the input order never matters.
        return std::make_tuple(x.*member, k.cal_id_[a], x.revision, x.impact, x.actual,
                               x.forecast) <
               std::make_tuple(y.*member, k.cal_id_[b], y.revision, y.impact, y.actual, y.forecast);
      };
    };
    std::sort(k.sched_order_.begin(), k.sched_order_.end(), by(&CalendarRecord::ts_schedule));
    std::sort(k.value_order_.begin(), k.value_order_.end(), by(&CalendarRecord::ts_avail));
    const size_t nid = k.id_event_.size();
    k.sched_rev_.assign(nid, -1);
    k.value_rev_.assign(nid, -1);
    k.sched_high_.assign(nid, 0);
    k.released_.assign(nid, 0);
    k.actual_.assign(nid, kNaN);
    k.forecast_.assign(nid, kNaN);
  }
  if (options.cot) {
    for (int s = 0; s < 2; ++s) {
      k.names_.push_back("cot_net_z_" + side_ccy[s]);
      for (const CotRecord& r : records.cot) {
        if (r.currency == side_ccy[s]) k.cot_[s].recs.push_back(r);
      }
      std::sort(k.cot_[s].recs.begin(), k.cot_[s].recs.end(),
                [](const CotRecord& a, const CotRecord& b) {
                  return std::make_tuple(a.ts_avail, a.as_of, a.revision, a.net()) <
                         std::make_tuple(b.ts_avail, b.as_of, b.revision, b.net());
                });
      k.cot_[s].z = kNaN;
    }
  }
  if (options.sentiment) {
    k.names_.push_back("sentiment_ewm");
    k.names_.push_back("sentiment_ewm_weight");
    k.names_.push_back("sentiment_count_" + DurationLabel(options.sentiment_window));
    std::vector<const SentimentRecord*> sel;
    for (const SentimentRecord& r : records.sentiment) {
      if (r.target == k.symbol_ || r.target == k.base_ || r.target == k.quote_) sel.push_back(&r);
    }
    // A total order on content, so the sums do not depend on the order records were loaded in.
    std::sort(sel.begin(), sel.end(), [](const SentimentRecord* a, const SentimentRecord* b) {
      return std::tie(a->ts_avail, a->ts_event, a->target, a->source, a->score, a->weight) <
             std::tie(b->ts_avail, b->ts_event, b->target, b->source, b->score, b->weight);
    });
    for (const SentimentRecord* r : sel) {
      const double sign = r->target == k.quote_ ? -1.0 : 1.0;
      k.items_.push_back(Item{r->ts_avail.ns(), sign * r->score, r->weight});
    }
  }
  for (const std::string& raw : options.index_series) {
    ARUS_ASSIGN_OR_RETURN(std::string name, NormalizeExternalName(raw));
    k.names_.push_back("idx_" + name + "_close");
    k.names_.push_back("idx_" + name + "_logret");
    Series s;
    for (const IndexRecord& r : records.index) {
      if (r.series == name) s.recs.push_back(r);
    }
    std::sort(s.recs.begin(), s.recs.end(), [](const IndexRecord& a, const IndexRecord& b) {
      return std::tie(a.ts_avail, a.date, a.revision, a.close) <
             std::tie(b.ts_avail, b.date, b.revision, b.close);
    });
    s.close = kNaN;
    s.logret = kNaN;
    k.index_.push_back(std::move(s));
  }
  return k;
}

void ExternalFeatureKernel::AdvanceCalendar(UnixNanos t) {
  // Schedules known by t: the event's time and impact (latest revision wins).
  while (sched_pos_ < sched_order_.size() && cal_[sched_order_[sched_pos_]].ts_schedule <= t) {
    const size_t i = sched_order_[sched_pos_++];
    const CalendarRecord& r = cal_[i];
    const int id = cal_id_[i];
    if (r.revision <= sched_rev_[id]) continue;
    sched_rev_[id] = r.revision;
    const bool high = r.impact >= opt_.min_impact;
    if (high && !sched_high_[id]) high_set_.insert({id_event_[id], id});
    if (!high && sched_high_[id]) high_set_.erase({id_event_[id], id});
    sched_high_[id] = high;
  }
  // Values known by t: actual and forecast from the release (or a later revision).
  while (value_pos_ < value_order_.size() && cal_[value_order_[value_pos_]].ts_avail <= t) {
    const size_t i = value_order_[value_pos_++];
    const CalendarRecord& r = cal_[i];
    const int id = cal_id_[i];
    if (r.revision <= value_rev_[id]) continue;
    value_rev_[id] = r.revision;
    actual_[id] = r.actual.value_or(kNaN);
    forecast_[id] = r.forecast.value_or(kNaN);
    const bool rel = r.impact >= opt_.min_impact && r.actual && r.forecast;
    if (rel && !released_[id]) released_set_.insert({id_event_[id], id});
    if (!rel && released_[id]) released_set_.erase({id_event_[id], id});
    released_[id] = rel;
    surprise_dirty_ = true;
  }
}

double ExternalFeatureKernel::SurpriseZ(int id) const {
  const double s = actual_[id] - forecast_[id];
  const std::vector<int>& ids = series_ids_[id_series_[id]];
  double sum_sq = 0;
  int n = 0;
  for (int p = id_series_pos_[id] - 1; p >= 0 && n < opt_.surprise_history; --p) {
    const int j = ids[p];
    if (value_rev_[j] < 0 || std::isnan(actual_[j]) || std::isnan(forecast_[j])) continue;
    const double sj = actual_[j] - forecast_[j];
    sum_sq += sj * sj;
    ++n;
  }
  if (n < opt_.surprise_min_history) return kNaN;
  const double rms = std::sqrt(sum_sq / n);
  const double cap = opt_.surprise_z_cap;
  if (!(rms > 0)) return s == 0 ? 0.0 : (s > 0 ? cap : -cap);
  return std::clamp(s / rms, -cap, cap);
}

double ExternalFeatureKernel::LastSurprise(int ccy) const {
  // The latest release time with a qualifying event of the currency; among events released
  // together (NFP and unemployment), the largest |z| (NaN only if all are NaN).
  int64_t at = 0;
  bool found = false;
  double best = kNaN;
  for (auto it = released_set_.rbegin(); it != released_set_.rend(); ++it) {
    const auto [ts, id] = *it;
    if (found && ts != at) break;
    if (ccy >= 0 && id_side_[id] != ccy) continue;
    found = true;
    at = ts;
    const double z = SurpriseZ(id);
    if (!std::isnan(z) && (std::isnan(best) || std::fabs(z) > std::fabs(best))) best = z;
  }
  return best;
}

void ExternalFeatureKernel::AdvanceCot(UnixNanos t) {
  for (CotSide& side : cot_) {
    bool changed = false;
    while (side.pos < side.recs.size() && side.recs[side.pos].ts_avail <= t) {
      const CotRecord& r = side.recs[side.pos++];
      changed |= Upsert(&side.by_date, r.as_of.days, r.revision, r.net());
    }
    if (!changed) continue;
    const size_t n = std::min(side.by_date.size(), static_cast<size_t>(opt_.cot_window));
    if (static_cast<int>(n) < opt_.cot_min_reports) {
      side.z = kNaN;
      continue;
    }
    const size_t first = side.by_date.size() - n;  // the window, oldest first
    double sum = 0;
    for (size_t i = first; i < side.by_date.size(); ++i) {
      sum += static_cast<double>(side.by_date[i].second.second);
    }
    const double mean = sum / static_cast<double>(n);
    double ss = 0;
    for (size_t i = first; i < side.by_date.size(); ++i) {
      const double d = static_cast<double>(side.by_date[i].second.second) - mean;
      ss += d * d;
    }
    const double sd = std::sqrt(ss / static_cast<double>(n));
    const double last = static_cast<double>(side.by_date.back().second.second);
    side.z = sd > 0 ? (last - mean) / sd : 0.0;
  }
}

void ExternalFeatureKernel::AdvanceSentiment(UnixNanos t) {
  const double half_s = std::chrono::duration<double>(opt_.sentiment_half_life).count();
  while (item_pos_ < items_.size() && items_[item_pos_].avail <= t.ns()) {
    const Item& it = items_[item_pos_++];
    if (have_items_) {
      const double f = std::exp2(-static_cast<double>(it.avail - ref_ns_) / 1e9 / half_s);
      num_ *= f;
      den_ *= f;
    }
    num_ += it.weight * it.value;
    den_ += it.weight;
    ref_ns_ = it.avail;
    have_items_ = true;
  }
  const int64_t lo = t.ns() - opt_.sentiment_window.count();  // window is (lo, t]
  while (window_pos_ < item_pos_ && items_[window_pos_].avail <= lo) ++window_pos_;
}

void ExternalFeatureKernel::AdvanceIndex(UnixNanos t) {
  for (Series& s : index_) {
    bool changed = false;
    while (s.pos < s.recs.size() && s.recs[s.pos].ts_avail <= t) {
      const IndexRecord& r = s.recs[s.pos++];
      changed |= Upsert(&s.by_date, r.date.days, r.revision, r.close);
    }
    if (!changed) continue;
    s.close = s.by_date.back().second.second;
    s.logret = kNaN;
    if (s.by_date.size() >= 2) {
      const double prev = s.by_date[s.by_date.size() - 2].second.second;
      if (prev > 0 && s.close > 0) s.logret = std::log(s.close / prev);
    }
  }
}

Status ExternalFeatureKernel::Values(UnixNanos t, std::span<double> out) {
  if (out.size() != names_.size()) {
    return InvalidArgument("external features: output has " + std::to_string(out.size()) +
                           " slots, want " + std::to_string(names_.size()));
  }
  if (started_ && t < last_t_) {
    return InvalidArgument("external features: decision time " + t.ToIso() +
                           " is before the previous one " + last_t_.ToIso());
  }
  started_ = true;
  last_t_ = t;
  size_t c = 0;
  if (opt_.calendar) {
    AdvanceCalendar(t);
    auto next = high_set_.upper_bound({t.ns(), INT_MAX});  // first with ts_event > t
    out[c++] = next == high_set_.end()
                   ? kNaN
                   : static_cast<double>(next->first - t.ns()) / kNanosPerMinuteD;
    out[c++] = next == high_set_.begin()
                   ? kNaN
                   : static_cast<double>(t.ns() - std::prev(next)->first) / kNanosPerMinuteD;
    if (surprise_dirty_) {
      for (int s = -1; s < 2; ++s) surprise_[s + 1] = LastSurprise(s);
      surprise_dirty_ = false;
    }
    out[c++] = surprise_[0];
    out[c++] = surprise_[1];
    out[c++] = surprise_[2];
  }
  if (opt_.cot) {
    AdvanceCot(t);
    out[c++] = cot_[0].z;
    out[c++] = cot_[1].z;
  }
  if (opt_.sentiment) {
    AdvanceSentiment(t);
    const double half_s = std::chrono::duration<double>(opt_.sentiment_half_life).count();
    out[c++] = have_items_ && den_ > 0 ? num_ / den_ : kNaN;
    out[c++] =
        have_items_ ? den_ * std::exp2(-static_cast<double>(t.ns() - ref_ns_) / 1e9 / half_s) : 0.0;
    out[c++] = static_cast<double>(item_pos_ - window_pos_);
  }
  if (!index_.empty()) {
    AdvanceIndex(t);
    for (const Series& s : index_) {
      out[c++] = s.close;
      out[c++] = s.logret;
    }
  }
  return Status::Ok();
}

uint64_t ExternalFeatureKernel::KnownFingerprint(UnixNanos t) const {
  ByteSink b;
  for (size_t i : sched_order_) {
    const CalendarRecord& r = cal_[i];
    if (r.ts_schedule > t) break;
    const bool values = r.ts_avail <= t;  // values not yet known are left out
    b.Put(r.ts_event.ns());
    b.Put(r.ts_schedule.ns());
    b.Put(r.revision);
    b.PutStr(r.currency);
    b.PutStr(r.event);
    b.Put(static_cast<uint8_t>(r.impact));
    b.Put(static_cast<uint8_t>(values));
    if (values) {
      b.Put(r.ts_avail.ns());
      b.PutOpt(r.actual);
      b.PutOpt(r.forecast);
    }
  }
  for (const CotSide& side : cot_) {
    for (const CotRecord& r : side.recs) {
      if (r.ts_avail > t) break;
      b.Put(r.ts_avail.ns());
      b.Put(r.as_of.days);
      b.Put(r.revision);
      b.Put(r.net());
    }
  }
  for (const Item& it : items_) {
    if (it.avail > t.ns()) break;
    b.Put(it.avail);
    b.Put(it.value);
    b.Put(it.weight);
  }
  for (const Series& s : index_) {
    for (const IndexRecord& r : s.recs) {
      if (r.ts_avail > t) break;
      b.Put(r.ts_avail.ns());
      b.Put(r.date.days);
      b.Put(r.revision);
      b.Put(r.close);
    }
  }
  return b.Hash();
}

Result<std::unique_ptr<ExternalFeatureSource>> ExternalFeatureSource::Create(
    ExternalRecords records, ExternalFeatureOptions options) {
  ARUS_ASSIGN_OR_RETURN(ExternalFeatureKernel k, ExternalFeatureKernel::Create(records, options));
  return std::unique_ptr<ExternalFeatureSource>(
      new ExternalFeatureSource(std::move(records), std::move(options), std::move(k)));
}

Result<std::unique_ptr<ExternalFeatureSource>> ExternalFeatureSource::Open(
    const std::string& store_dir, std::string_view symbol,
    const std::map<std::string, std::string>& table) {
  ARUS_ASSIGN_OR_RETURN(ExternalFeatureOptions o, ParseExternalFeatureSpec(table, symbol));
  ARUS_ASSIGN_OR_RETURN(ExternalRecords recs, LoadExternalForFeatures(ExternalStore(store_dir), o));
  return Create(std::move(recs), std::move(o));
}

void ExternalFeatureSource::ValuesAt(UnixNanos t, double* out) {
  std::span<double> row(out, kernel_.size());
  if (!kernel_.Values(t, row).ok()) std::fill(row.begin(), row.end(), kNaN);
}

namespace {
constexpr uint32_t kStateMagic = 0x31545845;  // "EXT1"
}  // namespace

std::vector<uint8_t> ExternalFeatureSource::SaveState() const {
  const int64_t started = kernel_.started() ? 1 : 0;
  const int64_t t = kernel_.last_time().ns();
  const uint64_t fp = kernel_.started() ? kernel_.KnownFingerprint(kernel_.last_time()) : 0;
  std::vector<uint8_t> out(4 + 8 + 8 + 8);
  std::memcpy(out.data(), &kStateMagic, 4);
  std::memcpy(out.data() + 4, &started, 8);
  std::memcpy(out.data() + 12, &t, 8);
  std::memcpy(out.data() + 20, &fp, 8);
  return out;
}

Status ExternalFeatureSource::LoadState(std::span<const uint8_t> bytes) {
  uint32_t magic = 0;
  int64_t started = 0, t = 0;
  uint64_t fp = 0;
  if (bytes.size() != 28) return Corruption("external feature state: bad size");
  std::memcpy(&magic, bytes.data(), 4);
  std::memcpy(&started, bytes.data() + 4, 8);
  std::memcpy(&t, bytes.data() + 12, 8);
  std::memcpy(&fp, bytes.data() + 20, 8);
  if (magic != kStateMagic || (started != 0 && started != 1)) {
    return Corruption("external feature state: bad header");
  }
  ARUS_ASSIGN_OR_RETURN(ExternalFeatureKernel k, ExternalFeatureKernel::Create(records_, options_));
  if (started == 1) {
    if (k.KnownFingerprint(UnixNanos(t)) != fp) {
      return FailedPrecondition("external data available before " + UnixNanos(t).ToIso() +
                                " changed since the checkpoint; rebuild instead of extending");
    }
    std::vector<double> scratch(k.size());
    ARUS_RETURN_IF_ERROR(k.Values(UnixNanos(t), scratch));
  }
  kernel_ = std::move(k);
  return Status::Ok();
}

Result<ExternalFeatureColumns> ComputeExternalFeatures(const ExternalRecords& records,
                                                       const ExternalFeatureOptions& options,
                                                       std::span<const UnixNanos> times) {
  ARUS_ASSIGN_OR_RETURN(ExternalFeatureKernel k, ExternalFeatureKernel::Create(records, options));
  ExternalFeatureColumns out;
  out.names = k.names();
  out.times.assign(times.begin(), times.end());
  out.columns.assign(k.size(), std::vector<double>(times.size()));
  std::vector<double> row(k.size());
  for (size_t i = 0; i < times.size(); ++i) {
    ARUS_RETURN_IF_ERROR(k.Values(times[i], row));
    for (size_t c = 0; c < row.size(); ++c) out.columns[c][i] = row[c];
  }
  return out;
}

}  // namespace arus::features
