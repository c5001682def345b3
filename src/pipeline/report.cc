// The self-contained HTML report (docs/report.md): charts are inline SVG drawn here.
#include "pipeline/report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <limits>
#include <map>

#include "core/file.h"
#include "fx/instrument.h"

namespace arus::pipeline {
namespace {

using backtest::PerformanceStats;
using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kMaxLinePoints = 2000;
const char* const kDash = "\xE2\x80\x93";  // en dash: "no value"
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// Colours: ink, muted, grid, accent, positive, negative, and a palette for several series.
constexpr const char* kInk = "#0f172a";
constexpr const char* kMuted = "#64748b";
constexpr const char* kGrid = "#e2e8f0";
constexpr const char* kAccent = "#1d4ed8";
constexpr const char* kPos = "#16a34a";
constexpr const char* kNeg = "#dc2626";
constexpr const char* kPalette[] = {"#1d4ed8", "#f59e0b", "#10b981", "#8b5cf6",
                                    "#ef4444", "#0ea5e9", "#64748b", "#db2777"};

std::string Sprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Sprintf(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return {};
  if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, n);
  std::string out(n + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(out.data(), out.size(), fmt, ap);
  va_end(ap);
  out.resize(n);
  return out;
}

std::string Esc(std::string_view s) { return HtmlEscape(s); }

// ---- Number and time text -------------------------------------------------------------------

// Fixed decimals with thousands separators; "–" for NaN.
std::string Group(double v, int decimals) {
  if (!std::isfinite(v)) return kDash;
  std::string s = Sprintf("%.*f", decimals, std::abs(v));
  size_t dot = s.find('.');
  if (dot == std::string::npos) dot = s.size();
  for (int i = static_cast<int>(dot) - 3; i > 0; i -= 3) s.insert(i, ",");
  bool zero = s.find_first_not_of("0.,") == std::string::npos;
  return (v < 0 && !zero ? "-" : "") + s;
}
std::string Signed(double v, int decimals) {
  std::string s = Group(v, decimals);
  return std::isfinite(v) && v > 0 && s.find_first_not_of("0.,") != std::string::npos ? "+" + s : s;
}
std::string Pct(double v, int decimals = 2) {
  return std::isfinite(v) ? Group(v * 100, decimals) + "%" : kDash;
}
std::string SignedPct(double v, int decimals = 2) {
  return std::isfinite(v) ? Signed(v * 100, decimals) + "%" : kDash;
}
std::string Ratio(double v, int decimals = 2) { return Group(v, decimals); }
const char* SignClass(double v) { return !std::isfinite(v) || v == 0 ? "" : v > 0 ? "pos" : "neg"; }

void Civil(UnixNanos t, int64_t* y, unsigned* mo, unsigned* d, int* h, int* mi) {
  int64_t ns = t.ns();
  int64_t days = ns / kNanosPerDay - (ns % kNanosPerDay < 0 ? 1 : 0);
  int64_t rem = ns - days * kNanosPerDay;
  CivilFromDays(days, y, mo, d);
  *h = static_cast<int>(rem / kNanosPerHour);
  *mi = static_cast<int>(rem % kNanosPerHour / kNanosPerMinute);
}
std::string DateText(UnixNanos t) {
  int64_t y;
  unsigned m, d;
  int h, mi;
  Civil(t, &y, &m, &d, &h, &mi);
  return Sprintf("%04lld-%02u-%02u", static_cast<long long>(y), m, d);
}
std::string DateTimeText(UnixNanos t) {
  int64_t y;
  unsigned m, d;
  int h, mi;
  Civil(t, &y, &m, &d, &h, &mi);
  return Sprintf("%04lld-%02u-%02u %02d:%02d", static_cast<long long>(y), m, d, h, mi);
}
std::string DurationText(Duration d) {
  double hours = static_cast<double>(d.count()) / kNanosPerHour;
  if (hours < 1) return Sprintf("%.0f min", hours * 60);
  if (hours < 48) return Sprintf("%.1f h", hours);
  return Sprintf("%.1f days", hours / 24);
}

// ---- Axes ------------------------------------------------------------------------------------

int DecimalsFor(double step) {
  if (!(step > 0)) return 0;
  int d = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  double scaled = step * std::pow(10.0, d);
  if (std::abs(scaled - std::round(scaled)) > 1e-6) ++d;  // 2.5-type steps
  return std::min(d, 8);
}

struct Scale {
  double lo = 0, hi = 1, step = 0.2;
  std::vector<double> ticks;
};

// "Nice" ticks (1, 2, 2.5, 5 x 10^k) covering [lo, hi], the domain widened to whole steps.
Scale NiceScale(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(hi))) {
    double pad = std::abs(hi) > 0 ? std::abs(hi) * 0.01 : 1;
    lo -= pad, hi += pad;
  }
  double raw = (hi - lo) / std::max(1, target);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double n = raw / mag;
  double step = (n < 1.5 ? 1 : n < 2.25 ? 2 : n < 3.5 ? 2.5 : n < 7.5 ? 5 : 10) * mag;
  Scale s;
  s.step = step;
  s.lo = std::floor(lo / step + 1e-9) * step;
  s.hi = std::ceil(hi / step - 1e-9) * step;
  for (double v = s.lo; v <= s.hi + step * 1e-6; v += step) {
    s.ticks.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
  }
  return s;
}

enum class YFormat { kMoney, kPercent, kPrice, kPlain };

std::string TickText(double v, const Scale& s, YFormat f, int price_decimals) {
  switch (f) {
    case YFormat::kPercent:
      return Group(v * 100, DecimalsFor(s.step * 100)) + "%";
    case YFormat::kPrice:
      return Group(v, std::min(price_decimals, std::max(DecimalsFor(s.step), 0)));
    case YFormat::kMoney: {
      double big = std::max(std::abs(s.lo), std::abs(s.hi));
      if (big >= 1e6) return Group(v / 1e6, DecimalsFor(s.step / 1e6)) + "M";
      if (big >= 1e4) return Group(v / 1e3, DecimalsFor(s.step / 1e3)) + "k";
      return Group(v, DecimalsFor(s.step));
    }
    case YFormat::kPlain:
      return Group(v, DecimalsFor(s.step));
  }
  return {};
}

struct TimeTick {
  double t;
  std::string label;
};

// Calendar-aligned time ticks (UTC): hours, days, weeks (Mondays), months or years, at most
// about `max_ticks` of them.
std::vector<TimeTick> TimeTicks(double t0, double t1, int max_ticks) {
  std::vector<TimeTick> out;
  if (!(t1 > t0)) return out;
  const double span = t1 - t0;
  const int64_t H = kNanosPerHour, D = kNanosPerDay;
  const int64_t fixed[] = {H, 2 * H, 3 * H, 6 * H, 12 * H, D, 2 * D, 7 * D, 14 * D};
  for (int64_t step : fixed) {
    if (span / step > max_ticks) continue;
    // Weeks start on Monday: 1970-01-05 was one.
    int64_t offset = step >= 7 * D ? 4 * D : 0;
    int64_t first =
        static_cast<int64_t>(std::ceil((t0 - offset) / static_cast<double>(step))) * step + offset;
    for (int64_t t = first; t <= t1; t += step) {
      int64_t y;
      unsigned m, d;
      int h, mi;
      Civil(UnixNanos(t), &y, &m, &d, &h, &mi);
      std::string label =
          step < D && h != 0 ? Sprintf("%02d:%02d", h, mi) : Sprintf("%u %s", d, kMonths[m - 1]);
      out.push_back({static_cast<double>(t), label});
    }
    return out;
  }
  // Months and years.
  int64_t y0;
  unsigned m0, d0;
  int h0, mi0;
  Civil(UnixNanos(static_cast<int64_t>(t0)), &y0, &m0, &d0, &h0, &mi0);
  const int months[] = {1, 2, 3, 6, 12, 24, 60, 120};
  for (int k : months) {
    if (span / (30.44 * D * k) > max_ticks && k != 120) continue;
    int64_t y = y0;
    int m = static_cast<int>(m0);
    while (true) {
      int64_t idx = y * 12 + (m - 1);
      double t = static_cast<double>(DaysFromCivil(y, m, 1)) * D;
      if (t > t1) break;
      if (t >= t0 && idx % k == 0) {
        std::string label = k >= 12 ? Sprintf("%lld", static_cast<long long>(y))
                                    : Sprintf("%s %lld", kMonths[m - 1], static_cast<long long>(y));
        out.push_back({t, label});
      }
      if (++m > 12) m = 1, ++y;
    }
    return out;
  }
  return out;
}

// ---- A plot: frame, scales, axes, and the SVG it grows ----------------------------------------

struct Tip {
  double x, y;
  std::string label;
};

struct LegendItem {
  std::string name;
  std::string colour;
  char shape = 'l';
};

class Plot {
 public:
  Plot(int width, int height, double left, double right, double top, double bottom)
      : w_(width), h_(height), x0_(left), x1_(width - right), y0_(top), y1_(height - bottom) {}

  void SetX(double lo, double hi) {
    xlo_ = lo;
    xhi_ = hi > lo ? hi : lo + 1;
  }
  void SetY(const Scale& s) { ys_ = s; }
  double X(double v) const { return x0_ + (v - xlo_) / (xhi_ - xlo_) * (x1_ - x0_); }
  double Y(double v) const { return y1_ - (v - ys_.lo) / (ys_.hi - ys_.lo) * (y1_ - y0_); }
  double left() const { return x0_; }
  double right() const { return x1_; }
  double top() const { return y0_; }
  double bottom() const { return y1_; }
  const Scale& yscale() const { return ys_; }

  void YAxis(YFormat f, int price_decimals, const std::string& title) {
    for (double v : ys_.ticks) {
      double y = Y(v);
      body_ += Sprintf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", x0_,
                       y, x1_, y, v == 0 ? "#94a3b8" : kGrid);
      body_ +=
          Sprintf("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\" fill=\"%s\">",
                  x0_ - 8, y + 3.5, kMuted);
      body_ += Esc(TickText(v, ys_, f, price_decimals)) + "</text>";
    }
    if (!title.empty()) {
      body_ += Sprintf(
          "<text transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\" "
          "font-size=\"11\" fill=\"%s\">",
          (y0_ + y1_) / 2, kMuted);
      body_ += Esc(title) + "</text>";
    }
  }

  void XTicks(const std::vector<TimeTick>& ticks, bool grid) {
    for (const TimeTick& t : ticks) {
      double x = X(t.t);
      if (x < x0_ - 0.5 || x > x1_ + 0.5) continue;
      if (grid) {
        body_ += Sprintf(
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-dasharray=\"2 3\"/>",
            x, y0_, x, y1_, kGrid);
      }
      body_ += Sprintf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#94a3b8\"/>",
                       x, y1_, x, y1_ + 4);
      body_ += Sprintf(
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" fill=\"%s\">", x,
          y1_ + 17, kMuted);
      body_ += Esc(t.label) + "</text>";
    }
    body_ += Sprintf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#94a3b8\"/>",
                     x0_, y1_, x1_, y1_);
  }

  // A polyline (and optionally the area between it and `base`) through the chosen points.
  void Line(const std::vector<double>& xs, const std::vector<double>& ys,
            const std::vector<size_t>& idx, const char* color, double width,
            const char* area_color = nullptr, double base = kNaN, const char* dash = nullptr) {
    if (idx.empty()) return;
    std::string pts;
    pts.reserve(idx.size() * 14);
    for (size_t i : idx) pts += Sprintf("%.1f,%.1f ", X(xs[i]), Y(ys[i]));
    if (area_color) {
      double by = Y(std::isfinite(base) ? base : ys_.lo);
      body_ += Sprintf("<polygon fill=\"%s\" stroke=\"none\" points=\"%.1f,%.1f %s%.1f,%.1f\"/>",
                       area_color, X(xs[idx.front()]), by, pts.c_str(), X(xs[idx.back()]), by);
    }
    body_ += Sprintf(
        "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
        "stroke-linejoin=\"round\"%s points=\"",
        color, width, dash ? Sprintf(" stroke-dasharray=\"%s\"", dash).c_str() : "");
    body_ += pts + "\"/>";
  }

  // Right-aligned legend above the plot; shape 'l' line, '^' / 'v' triangle, 'o' ring.
  void Legend(const std::vector<LegendItem>& items) {
    double x = x1_;
    std::string out;
    for (size_t k = items.size(); k-- > 0;) {
      std::string name =
          items[k].name.size() > 28 ? items[k].name.substr(0, 27) + "~" : items[k].name;
      x -= 7.0 * name.size() + 34;  // about 7 px a character at 11 px
      const char* c = items[k].colour.c_str();
      double cy = y0_ - 10.5;
      switch (items[k].shape) {
        case '^':
          out += Sprintf("<path d=\"M%.1f %.1fl5 8h-10z\" fill=\"%s\"/>", x + 6, cy - 4.5, c);
          break;
        case 'v':
          out += Sprintf("<path d=\"M%.1f %.1fl5 -8h-10z\" fill=\"%s\"/>", x + 6, cy + 4.5, c);
          break;
        case 'o':
          out += Sprintf(
              "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"#fff\" "
              "stroke=\"%s\" stroke-width=\"1.5\"/>",
              x + 6, cy, c);
          break;
        default:
          out += Sprintf(
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"3\" rx=\"1.5\" "
              "fill=\"%s\"/>",
              x, cy - 1.5, c);
      }
      out += Sprintf("<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%s\">", x + 18, cy + 4,
                     kInk);
      out += Esc(name) + "</text>";
    }
    body_ += out;
  }

  void Add(const std::string& s) { body_ += s; }
  void SetTips(std::vector<Tip> tips) { tips_ = std::move(tips); }

  std::string Svg(const std::string& label) const {
    std::string s = Sprintf("<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\"", w_, h_);
    s += " aria-label=\"" + Esc(label) + "\"";
    if (!tips_.empty()) {
      json t = json::array();
      for (const Tip& p : tips_) {
        t.push_back(json::array({std::round(p.x * 10) / 10, std::round(p.y * 10) / 10, p.label}));
      }
      s += " data-tips=\"" + Esc(t.dump(-1, ' ', false, json::error_handler_t::replace)) + "\"";
    }
    s += ">" + body_;
    if (!tips_.empty()) {
      s += Sprintf(
          "<g class=\"xh\" style=\"display:none\"><line y1=\"%.1f\" y2=\"%.1f\" "
          "stroke=\"#475569\" stroke-dasharray=\"3 3\"/><circle r=\"4\" fill=\"#fff\" "
          "stroke=\"%s\" stroke-width=\"2\"/></g>",
          y0_, y1_, kInk);
    }
    return s + "</svg>";
  }

 private:
  int w_, h_;
  double x0_, x1_, y0_, y1_;
  double xlo_ = 0, xhi_ = 1;
  Scale ys_;
  std::string body_;
  std::vector<Tip> tips_;
};

// Tooltip anchors for a line: at most ~400 so the page stays small.
std::vector<size_t> TipIndices(const std::vector<size_t>& idx) {
  if (idx.size() <= 400) return idx;
  std::vector<size_t> out;
  for (size_t k = 0; k < 400; ++k) out.push_back(idx[k * (idx.size() - 1) / 399]);
  return out;
}

// ---- Charts ----------------------------------------------------------------------------------

std::string EquityChart(const PerformanceStats& s) {
  const auto& c = s.curve;
  if (c.size() < 2) return "<p class=\"note\">Not enough equity marks to draw a curve.</p>";
  std::vector<double> xs(c.size()), eq(c.size());
  for (size_t i = 0; i < c.size(); ++i)
    xs[i] = static_cast<double>(c[i].time.ns()), eq[i] = c[i].equity;
  std::vector<size_t> idx = DownsampleMinMax(eq, kMaxLinePoints);
  double lo = *std::min_element(eq.begin(), eq.end()), hi = *std::max_element(eq.begin(), eq.end());
  lo = std::min(lo, s.initial_equity);
  hi = std::max(hi, s.initial_equity);
  Plot p(1040, 300, 70, 16, 24, 30);
  p.SetX(xs.front(), xs.back());
  p.SetY(NiceScale(lo, hi, 6));
  p.YAxis(YFormat::kMoney, 2, "Equity (" + s.account_currency + ")");
  p.XTicks(TimeTicks(xs.front(), xs.back(), 9), true);
  std::vector<double> init(c.size(), s.initial_equity);
  p.Line(xs, eq, idx, kAccent, 1.8, "rgba(29,78,216,0.08)", p.yscale().lo);
  std::vector<size_t> ends = {0, c.size() - 1};
  p.Line(xs, init, ends, "#94a3b8", 1, nullptr, kNaN, "4 4");
  p.Legend({{"Equity", kAccent, 'l'}, {"Initial balance", "#94a3b8", 'l'}});
  std::vector<Tip> tips;
  for (size_t i : TipIndices(idx)) {
    tips.push_back({p.X(xs[i]), p.Y(eq[i]),
                    DateTimeText(c[i].time) + " UTC\nEquity " + Group(c[i].equity, 2) + " " +
                        s.account_currency + "\nDrawdown " + Pct(-c[i].drawdown_pct)});
  }
  p.SetTips(std::move(tips));
  return p.Svg("Equity curve");
}

std::string DrawdownChart(const PerformanceStats& s) {
  const auto& c = s.curve;
  if (c.size() < 2) return "";
  std::vector<double> xs(c.size()), dd(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    xs[i] = static_cast<double>(c[i].time.ns());
    dd[i] = -c[i].drawdown_pct;
  }
  std::vector<size_t> idx = DownsampleMinMax(dd, kMaxLinePoints);
  double lo = *std::min_element(dd.begin(), dd.end());
  Plot p(1040, 200, 70, 16, 14, 30);
  p.SetX(xs.front(), xs.back());
  p.SetY(NiceScale(std::min(lo, -0.001), 0, 4));
  p.YAxis(YFormat::kPercent, 2, "Drawdown");
  p.XTicks(TimeTicks(xs.front(), xs.back(), 9), true);
  p.Line(xs, dd, idx, kNeg, 1.4, "rgba(220,38,38,0.18)", 0);
  std::vector<Tip> tips;
  for (size_t i : TipIndices(idx)) {
    tips.push_back({p.X(xs[i]), p.Y(dd[i]),
                    DateTimeText(c[i].time) + " UTC\nDrawdown " + Pct(dd[i]) + " (" +
                        Group(-c[i].drawdown, 2) + " " + s.account_currency + ")"});
  }
  p.SetTips(std::move(tips));
  return p.Svg("Drawdown curve");
}

// Neutral -> green (positive) or red (negative), by |v| / scale.
std::string HeatColour(double v, double scale) {
  double t = std::min(1.0, std::abs(v) / scale);
  t = std::pow(t, 0.75);
  const int n[3] = {248, 250, 252};
  const int pos[3] = {22, 163, 74}, neg[3] = {220, 38, 38};
  const int* e = v >= 0 ? pos : neg;
  int r = static_cast<int>(std::lround(n[0] + (e[0] - n[0]) * t));
  int g = static_cast<int>(std::lround(n[1] + (e[1] - n[1]) * t));
  int b = static_cast<int>(std::lround(n[2] + (e[2] - n[2]) * t));
  return Sprintf("#%02x%02x%02x", r, g, b);
}

std::string MonthlyHeatMap(const PerformanceStats& s) {
  if (s.monthly_returns.empty()) return "<p class=\"note\">No trading days in the run.</p>";
  double scale = 0.005;
  for (const auto& y : s.monthly_returns) {
    for (double v : y.months) {
      if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
    }
  }
  const double cw = 66, ch = 30, left = 64, top = 26;
  const double width = left + 13 * cw + 14;
  const double height = top + s.monthly_returns.size() * (ch + 4) + 44;
  std::string o = Sprintf(
      "<svg class=\"chart heat\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
      "aria-label=\"Monthly returns\" style=\"max-width:%.0fpx\">",
      width, height, width);
  for (int m = 0; m < 13; ++m) {
    o += Sprintf(
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
        "font-weight=\"600\" fill=\"%s\">%s</text>",
        left + m * cw + cw / 2 + (m == 12 ? 6 : 0), top - 9, kMuted, m < 12 ? kMonths[m] : "Year");
  }
  for (size_t r = 0; r < s.monthly_returns.size(); ++r) {
    const auto& yr = s.monthly_returns[r];
    double y = top + r * (ch + 4);
    o += Sprintf(
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\" "
        "font-weight=\"600\" fill=\"%s\">%lld</text>",
        left - 10, y + ch / 2 + 4, kInk, static_cast<long long>(yr.year));
    for (int m = 0; m < 13; ++m) {
      double v = m < 12 ? yr.months[m] : yr.total;
      double x = left + m * cw + (m == 12 ? 6 : 0);
      if (!std::isfinite(v)) {
        o += Sprintf(
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"4\" "
            "fill=\"#f1f5f9\"/>",
            x + 1, y, cw - 2, ch);
        continue;
      }
      double t = std::min(1.0, std::abs(v) / scale);
      o += Sprintf(
          "<g><title>%s %lld: %s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
          "height=\"%.1f\" rx=\"4\" fill=\"%s\"%s/>",
          m < 12 ? kMonths[m] : "Year", static_cast<long long>(yr.year), SignedPct(v).c_str(),
          x + 1, y, cw - 2, ch, HeatColour(v, scale).c_str(), m == 12 ? " stroke=\"#94a3b8\"" : "");
      o += Sprintf(
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11.5\" "
          "font-weight=\"%s\" fill=\"%s\">%s</text></g>",
          x + cw / 2, y + ch / 2 + 4, m == 12 ? "700" : "500", t > 0.55 ? "#ffffff" : kInk,
          SignedPct(v, 1).c_str());
    }
  }
  // Colour legend.
  double ly = top + s.monthly_returns.size() * (ch + 4) + 14;
  o += "<defs><linearGradient id=\"heatg\" x1=\"0\" x2=\"1\">";
  for (int k = 0; k <= 10; ++k) {
    double v = -scale + 2 * scale * k / 10;
    o += Sprintf("<stop offset=\"%.1f\" stop-color=\"%s\"/>", k / 10.0,
                 HeatColour(v, scale).c_str());
  }
  o += "</linearGradient></defs>";
  o += Sprintf(
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"240\" height=\"10\" rx=\"3\" "
      "fill=\"url(#heatg)\"/>",
      left, ly);
  o += Sprintf("<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" fill=\"%s\">%s</text>", left,
               ly + 24, kMuted, SignedPct(-scale, 1).c_str());
  o += Sprintf(
      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" text-anchor=\"middle\" "
      "fill=\"%s\">0%%</text>",
      left + 120, ly + 24, kMuted);
  o += Sprintf(
      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10.5\" text-anchor=\"end\" "
      "fill=\"%s\">%s</text>",
      left + 240, ly + 24, kMuted, SignedPct(scale, 1).c_str());
  return o + "</svg>";
}

struct Bar {
  std::string label;
  std::string sublabel;
  double value = 0;
  std::string tip;
  const char* colour = nullptr;  // default: sign colour
};

// Vertical bars around a zero line, value printed on each bar.
std::string BarChart(const std::vector<Bar>& bars, YFormat f, const std::string& y_title, int width,
                     int height, const std::string& aria) {
  if (bars.empty()) return "";
  double lo = 0, hi = 0;
  for (const Bar& b : bars) {
    if (std::isfinite(b.value)) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
  }
  if (lo == hi) hi = 1;
  Plot p(width, height, 66, 12, 22, bars.front().sublabel.empty() ? 28 : 42);
  Scale sc = NiceScale(lo, hi, 5);
  p.SetY(sc);
  p.SetX(0, static_cast<double>(bars.size()));
  p.YAxis(f, 2, y_title);
  double slot = (p.right() - p.left()) / bars.size();
  double bw = std::min(56.0, slot * 0.62);
  // Crowded charts: every k-th category label, value labels only where they fit.
  const size_t label_every = std::max<size_t>(1, static_cast<size_t>(std::ceil(58.0 / slot)));
  const bool values = slot >= 46;
  std::string o;
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double cx = p.left() + slot * (i + 0.5);
    double v = std::isfinite(b.value) ? b.value : 0;
    double y0 = p.Y(0), y1 = p.Y(v);
    const char* colour = b.colour ? b.colour : v >= 0 ? kPos : kNeg;
    o += "<g><title>" + Esc(b.tip.empty() ? b.label : b.tip) + "</title>";
    o += Sprintf(
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"3\" "
        "fill=\"%s\"/></g>",
        cx - bw / 2, std::min(y0, y1), bw, std::max(std::abs(y1 - y0), 0.8), colour);
    std::string vt =
        f == YFormat::kPercent ? SignedPct(v, 1) : Signed(v, std::abs(v) >= 1000 ? 0 : 2);
    // Negative values are labelled just above the zero line, clear of the category labels.
    double ty = v >= 0 ? y1 - 5 : y0 - 5;
    if (values) {
      o += Sprintf(
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
          "font-weight=\"600\" fill=\"%s\">",
          cx, ty, kInk);
      o += Esc(vt) + "</text>";
    }
    if (i % label_every != 0) continue;
    o += Sprintf(
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11.5\" "
        "fill=\"%s\">",
        cx, p.bottom() + 16, kInk);
    o += Esc(b.label) + "</text>";
    if (!b.sublabel.empty()) {
      o += Sprintf(
          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10.5\" "
          "fill=\"%s\">",
          cx, p.bottom() + 30, kMuted);
      o += Esc(b.sublabel) + "</text>";
    }
  }
  p.Add(o);
  p.Add(Sprintf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#475569\"/>",
                p.left(), p.Y(0), p.right(), p.Y(0)));
  return p.Svg(aria);
}

// Horizontal bars (labels on the left), for the cost split.
std::string HBarChart(const std::vector<Bar>& bars, const std::string& unit, int width,
                      const std::string& aria) {
  if (bars.empty()) return "";
  double lo = 0, hi = 0;
  for (const Bar& b : bars) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
  if (lo == hi) hi = 1;
  Scale sc = NiceScale(lo, hi, 5);
  const double left = 110, right = 200, top = 8, row = 34;
  const double height = top + bars.size() * row + 26;
  const double x0 = left, x1 = width - right;
  auto X = [&](double v) { return x0 + (v - sc.lo) / (sc.hi - sc.lo) * (x1 - x0); };
  std::string o = Sprintf(
      "<svg class=\"chart\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
      "aria-label=\"%s\">",
      width, height, Esc(aria).c_str());
  for (double v : sc.ticks) {
    o += Sprintf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", X(v), top,
                 X(v), top + bars.size() * row, v == 0 ? "#475569" : kGrid);
    o += Sprintf(
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
        "fill=\"%s\">%s</text>",
        X(v), top + bars.size() * row + 16, kMuted,
        Esc(TickText(v, sc, YFormat::kMoney, 2)).c_str());
  }
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double y = top + i * row + 6;
    o += Sprintf(
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\" "
        "fill=\"%s\">%s</text>",
        x0 - 10, y + 15, kInk, Esc(b.label).c_str());
    double a = X(std::min(0.0, b.value)), z = X(std::max(0.0, b.value));
    o += "<g><title>" + Esc(b.tip) + "</title>";
    o += Sprintf(
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" rx=\"3\" "
        "fill=\"%s\"/></g>",
        a, y, std::max(z - a, 0.8), b.colour ? b.colour : kAccent);
    o += Sprintf("<text x=\"%.1f\" y=\"%.1f\" font-size=\"11.5\" fill=\"%s\">%s</text>", x1 + 10,
                 y + 14, kInk, Esc(Group(b.value, 2) + " " + unit + "  " + b.sublabel).c_str());
  }
  return o + "</svg>";
}

// Lines over categories (folds, hours), one per named series, with dots.
struct CatSeries {
  std::string name;
  std::vector<double> values;  // NaN = gap
};
std::string CategoryLines(const std::vector<std::string>& cats, const std::vector<CatSeries>& ser,
                          YFormat f, const std::string& y_title, double ref, const char* ref_name,
                          int width, int height, const std::string& aria, size_t label_every = 1) {
  if (cats.empty() || ser.empty()) return "";
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const CatSeries& s : ser) {
    for (double v : s.values) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (std::isfinite(ref)) lo = std::min(lo, ref), hi = std::max(hi, ref);
  if (!std::isfinite(lo)) return "";
  Plot p(width, height, 66, 16, 28, 30);
  p.SetY(NiceScale(lo, hi, 5));
  p.SetX(-0.5, cats.size() - 0.5);
  p.YAxis(f, 2, y_title);
  std::string o;
  for (size_t i = 0; i < cats.size(); ++i) {
    if (i % label_every != 0) continue;
    o += Sprintf(
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
        "fill=\"%s\">%s</text>",
        p.X(static_cast<double>(i)), p.bottom() + 17, kMuted, Esc(cats[i]).c_str());
  }
  p.Add(o);
  std::vector<LegendItem> legend;
  if (std::isfinite(ref)) {
    p.Add(
        Sprintf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#94a3b8\" "
                "stroke-dasharray=\"5 4\"/>",
                p.left(), p.Y(ref), p.right(), p.Y(ref)));
    legend.push_back({ref_name, "#94a3b8", 'l'});
  }
  for (size_t k = 0; k < ser.size(); ++k) {
    const char* col = kPalette[k % std::size(kPalette)];
    std::vector<double> xs;
    std::vector<double> ys;
    std::vector<size_t> run;
    auto flush = [&] {
      if (run.size() >= 2) p.Line(xs, ys, run, col, 1.8);
      run.clear();
    };
    std::string dots;
    for (size_t i = 0; i < ser[k].values.size() && i < cats.size(); ++i) {
      xs.push_back(static_cast<double>(i));
      ys.push_back(ser[k].values[i]);
      if (!std::isfinite(ser[k].values[i])) {
        flush();
        continue;
      }
      run.push_back(i);
      dots += Sprintf(
          "<g><title>%s, %s: %s</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" "
          "fill=\"%s\" stroke=\"#fff\" stroke-width=\"1\"/></g>",
          Esc(ser[k].name).c_str(), Esc(cats[i]).c_str(),
          (f == YFormat::kPercent ? Pct(ser[k].values[i]) : Ratio(ser[k].values[i], 4)).c_str(),
          p.X(static_cast<double>(i)), p.Y(ser[k].values[i]), col);
    }
    flush();
    p.Add(dots);
    legend.push_back({ser[k].name, col, 'l'});
  }
  p.Legend(legend);
  return p.Svg(aria);
}

// The price line of one symbol with its trades: entries as triangles (up = buy, down = sell),
// exits as rings, joined by a dotted line coloured by the trade's result.
std::string PriceChart(const ReportPriceSeries& ps, const backtest::BacktestResult& r,
                       const std::string& ccy, size_t* shown, size_t* total) {
  size_t n = std::min(ps.time.size(), ps.price.size());
  if (n < 2) return "<p class=\"note\">No price data for " + Esc(ps.symbol) + ".</p>";
  std::vector<double> xs(n), ys(n);
  for (size_t i = 0; i < n; ++i) xs[i] = static_cast<double>(ps.time[i].ns()), ys[i] = ps.price[i];
  std::vector<size_t> idx = DownsampleMinMax(ys, kMaxLinePoints);
  double lo = *std::min_element(ys.begin(), ys.end()), hi = *std::max_element(ys.begin(), ys.end());
  std::vector<const backtest::Trade*> trades;
  for (const auto& t : r.trades) {
    if (t.symbol != ps.symbol) continue;
    if (static_cast<double>(t.entry_time.ns()) > xs.back() ||
        static_cast<double>(t.exit_time.ns()) < xs.front()) {
      continue;
    }
    trades.push_back(&t);
  }
  *total = trades.size();
  // At most 600 trades drawn, evenly chosen, so the chart stays legible and small.
  const size_t kMaxTrades = 600;
  std::vector<const backtest::Trade*> drawn;
  for (size_t k = 0; k < trades.size(); ++k) {
    if (trades.size() <= kMaxTrades ||
        k * kMaxTrades / trades.size() != (k + 1) * kMaxTrades / trades.size()) {
      drawn.push_back(trades[k]);
    }
  }
  *shown = drawn.size();
  for (const auto* t : drawn) {
    for (double v : {t->entry_price, t->exit_price}) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  Plot p(1040, 320, 76, 16, 24, 30);
  p.SetX(xs.front(), xs.back());
  p.SetY(NiceScale(lo, hi, 6));
  p.YAxis(YFormat::kPrice, ps.decimals, ps.symbol);
  p.XTicks(TimeTicks(xs.front(), xs.back(), 9), true);
  p.Line(xs, ys, idx, "#475569", 1.1);
  std::string o;
  const int dec = std::clamp(ps.decimals, 0, 10);
  for (const auto* t : drawn) {
    double ex =
        p.X(static_cast<double>(std::max(t->entry_time.ns(), static_cast<int64_t>(xs.front()))));
    double xx =
        p.X(static_cast<double>(std::min(t->exit_time.ns(), static_cast<int64_t>(xs.back()))));
    double ey = p.Y(t->entry_price), xy = p.Y(t->exit_price);
    double net = t->net_pnl.ToDouble();
    const char* res = net >= 0 ? kPos : kNeg;
    bool buy = t->side == backtest::Side::kBuy;
    std::string tip = std::string(buy ? "Buy " : "Sell ") + Group(t->quantity, 0) + " " +
                      t->symbol + "\n" + DateTimeText(t->entry_time) + " @ " +
                      Group(t->entry_price, dec) + "\n" + DateTimeText(t->exit_time) + " @ " +
                      Group(t->exit_price, dec) + " (" +
                      std::string(backtest::ExitReasonName(t->exit_reason)) + ")\n" +
                      Signed(t->pips, 1) + " pips, " + Signed(net, 2) + " " + ccy;
    o += "<g><title>" + Esc(tip) + "</title>";
    o += Sprintf(
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
        "stroke-width=\"1.2\" stroke-dasharray=\"2 2\"/>",
        ex, ey, xx, xy, res);
    if (buy) {
      o += Sprintf("<path d=\"M%.1f %.1fl5 8h-10z\" fill=\"%s\"/>", ex, ey - 1, kPos);
    } else {
      o += Sprintf("<path d=\"M%.1f %.1fl5 -8h-10z\" fill=\"%s\"/>", ex, ey + 1, kNeg);
    }
    o += Sprintf(
        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"#fff\" stroke=\"%s\" "
        "stroke-width=\"1.6\"/></g>",
        xx, xy, kInk);
  }
  p.Add(o);
  p.Legend({{ps.symbol, "#475569", 'l'},
            {"Buy entry", kPos, '^'},
            {"Sell entry", kNeg, 'v'},
            {"Exit", kInk, 'o'}});
  std::vector<Tip> tips;
  for (size_t i : TipIndices(idx)) {
    tips.push_back({p.X(xs[i]), p.Y(ys[i]),
                    DateTimeText(ps.time[i]) + " UTC\n" + ps.symbol + " " + Group(ys[i], dec)});
  }
  p.SetTips(std::move(tips));
  return p.Svg(ps.symbol + " price with trades");
}

// Histogram of CSCV logits; bars left of zero (overfit side) in red. With few trials the logits
// take few distinct values (ranks 1..N): then one bar per value, else 24 equal bins.
std::string LogitHistogram(const validation::PboResult& pbo) {
  if (pbo.logits.empty()) return "";
  std::map<double, size_t> distinct;
  for (double l : pbo.logits) distinct[std::round(l * 1e9) / 1e9]++;
  double lo = distinct.begin()->first, hi = distinct.rbegin()->first;
  struct HBar {
    double centre, width;  // in logit units
    size_t count;
  };
  std::vector<HBar> bars;
  if (distinct.size() <= 40) {
    double gap = hi - lo;
    for (auto it = distinct.begin(); std::next(it) != distinct.end(); ++it) {
      gap = std::min(gap, std::next(it)->first - it->first);
    }
    if (!(gap > 0)) gap = 1;
    lo -= gap, hi += gap;
    for (const auto& [v, n] : distinct) bars.push_back({v, gap * 0.7, n});
  } else {
    const int bins = 24;
    std::vector<size_t> counts(bins, 0);
    for (double l : pbo.logits) {
      int b = static_cast<int>((l - lo) / (hi - lo) * bins);
      counts[std::clamp(b, 0, bins - 1)]++;
    }
    double w = (hi - lo) / bins;
    for (int b = 0; b < bins; ++b) {
      if (counts[b]) bars.push_back({lo + (b + 0.5) * w, w * 0.94, counts[b]});
    }
  }
  lo = std::min(lo, -0.5);
  hi = std::max(hi, 0.5);
  size_t top = 0;
  for (const HBar& b : bars) top = std::max(top, b.count);
  Plot p(1040, 220, 66, 16, 14, 34);
  p.SetX(lo, hi);
  p.SetY(NiceScale(0, static_cast<double>(top) / pbo.logits.size(), 4));
  p.YAxis(YFormat::kPercent, 2, "Share of splits");
  Scale xs = NiceScale(lo, hi, 8);
  std::string o;
  for (double v : xs.ticks) {
    if (v < lo || v > hi) continue;
    o += Sprintf(
        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
        "fill=\"%s\">%s</text>",
        p.X(v), p.bottom() + 16, kMuted, Esc(Group(v, DecimalsFor(xs.step))).c_str());
  }
  o += Sprintf(
      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
      "fill=\"%s\">logit of the out-of-sample rank of the in-sample best</text>",
      (p.left() + p.right()) / 2, p.bottom() + 31, kMuted);
  for (const HBar& b : bars) {
    double share = static_cast<double>(b.count) / pbo.logits.size();
    double x0 = p.X(b.centre - b.width / 2), x1 = p.X(b.centre + b.width / 2);
    if (x1 - x0 > 48) x0 = (x0 + x1) / 2 - 24, x1 = x0 + 48;
    o += Sprintf(
        "<g><title>logit %.3f: %zu splits (%s)</title><rect x=\"%.1f\" y=\"%.1f\" "
        "width=\"%.1f\" height=\"%.1f\" rx=\"2\" fill=\"%s\"/></g>",
        b.centre, b.count, Pct(share, 1).c_str(), x0, p.Y(share), std::max(x1 - x0, 1.0),
        p.Y(0) - p.Y(share), b.centre <= 0 ? "#f87171" : "#60a5fa");
  }
  o += Sprintf(
      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
      "stroke-dasharray=\"4 3\"/>",
      p.X(0), p.top(), p.X(0), p.bottom(), kInk);
  o += Sprintf("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#94a3b8\"/>",
               p.left(), p.bottom(), p.right(), p.bottom());
  p.Add(o);
  return p.Svg("Distribution of CSCV logits");
}

// ---- HTML pieces -----------------------------------------------------------------------------

struct Row {
  std::string label;
  std::string value;
  const char* cls = "";
};

std::string KeyValueTable(const std::string& title, const std::vector<Row>& rows) {
  std::string o = "<table class=\"kv\"><thead><tr><th colspan=\"2\">" + Esc(title) +
                  "</th></tr></thead><tbody>";
  for (const Row& r : rows) {
    o += "<tr><td>" + Esc(r.label) + "</td><td class=\"" + r.cls + "\">" + Esc(r.value) +
         "</td></tr>";
  }
  return o + "</tbody></table>";
}

std::string Kpi(const std::string& label, const std::string& value, const char* cls,
                const std::string& sub = "") {
  std::string o = "<div class=\"kpi\"><div class=\"l\">" + Esc(label) + "</div><div class=\"v " +
                  cls + "\">" + Esc(value) + "</div>";
  if (!sub.empty()) o += "<div class=\"s\">" + Esc(sub) + "</div>";
  return o + "</div>";
}

double JNum(const json& j, const char* key) {
  if (!j.is_object()) return kNaN;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return kNaN;
  return it->get<double>();
}
std::string JStr(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number() || it->is_boolean()) return it->dump();
  return {};
}
const json& JObj(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

const char* kCss = R"CSS(
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--pos:#15803d;--neg:#b91c1c;--accent:#1d4ed8;--bg:#f1f5f9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 "Inter","Segoe UI","Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif;font-variant-numeric:tabular-nums}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
header.top{background:linear-gradient(135deg,#0f172a,#1e293b);color:#e2e8f0;padding:26px 0 70px}
header .brand{font-size:12px;letter-spacing:.14em;text-transform:uppercase;color:#93c5fd;font-weight:600}
h1{font-size:24px;margin:4px 0 2px;font-weight:650;color:#fff;word-break:break-word}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:6px 28px;margin-top:16px;font-size:12.5px}
.meta div{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.meta span{color:#94a3b8;margin-right:8px}
.meta code{color:#f1f5f9;font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-top:-50px}
.kpi{background:#fff;border:1px solid var(--line);border-radius:12px;padding:12px 14px;box-shadow:0 4px 14px rgba(15,23,42,.08)}
.kpi .l{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:600}
.kpi .v{font-size:22px;font-weight:700;margin-top:3px;white-space:nowrap}
.kpi .s{font-size:11.5px;color:var(--muted);margin-top:1px}
.pos{color:var(--pos)}.neg{color:var(--neg)}
section.card{background:#fff;border:1px solid var(--line);border-radius:14px;padding:20px 22px;margin:20px 0;box-shadow:0 1px 3px rgba(15,23,42,.05)}
h2{font-size:17px;margin:0 0 3px;font-weight:650}
h3{font-size:13.5px;margin:16px 0 6px;color:#334155;font-weight:600}
p.note{color:var(--muted);font-size:12.5px;margin:0 0 12px;max-width:900px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 9px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;background:#f8fafc}
tbody tr:hover{background:#f8fafc}
table.kv td:first-child{color:#475569}
table.trades td:nth-child(2),table.trades td:nth-child(3),table.trades td:nth-child(13),table.trades td:nth-child(14),table.trades th:nth-child(2),table.trades th:nth-child(3),table.trades th:nth-child(13),table.trades th:nth-child(14){text-align:left}
table.kv td:last-child{font-weight:600}
.mt{display:grid;grid-template-columns:repeat(3,1fr);gap:20px;align-items:start}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:20px}
svg.chart{width:100%;height:auto;display:block;margin:4px 0}
svg text{font-family:inherit}
.scroll{overflow-x:auto}
details{margin:6px 0}
details summary{cursor:pointer;color:var(--accent);font-size:13px}
pre{background:#f8fafc;border:1px solid var(--line);border-radius:8px;padding:10px 12px;font-size:11.5px;overflow-x:auto;font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:11.5px;font-weight:600;background:#e2e8f0;color:#334155}
.pill.good{background:#dcfce7;color:#166534}.pill.warn{background:#fef3c7;color:#92400e}.pill.bad{background:#fee2e2;color:#991b1b}
#tip{position:absolute;display:none;pointer-events:none;background:rgba(15,23,42,.94);color:#fff;font-size:12px;line-height:1.4;padding:6px 9px;border-radius:6px;white-space:pre;z-index:10;box-shadow:0 4px 12px rgba(0,0,0,.2)}
footer{color:var(--muted);font-size:12px;padding:4px 0 40px}
@media (max-width:900px){.kpis{grid-template-columns:repeat(3,1fr)}.mt,.grid2{grid-template-columns:1fr}}
@media print{body{background:#fff}section.card{break-inside:avoid;box-shadow:none}#tip{display:none}}
)CSS";

const char* kScript = R"JS(
(function(){
var tip=document.getElementById('tip');
document.querySelectorAll('svg[data-tips]').forEach(function(svg){
 var pts=JSON.parse(svg.getAttribute('data-tips'));if(!pts.length)return;
 var xh=svg.querySelector('.xh'),ln=xh.querySelector('line'),dot=xh.querySelector('circle');
 svg.addEventListener('mousemove',function(e){
  var p=svg.createSVGPoint();p.x=e.clientX;p.y=e.clientY;
  var q=p.matrixTransform(svg.getScreenCTM().inverse());
  var lo=0,hi=pts.length-1;
  while(hi-lo>1){var m=(lo+hi)>>1;if(pts[m][0]<q.x)lo=m;else hi=m;}
  var d=Math.abs(pts[lo][0]-q.x)<=Math.abs(pts[hi][0]-q.x)?pts[lo]:pts[hi];
  ln.setAttribute('x1',d[0]);ln.setAttribute('x2',d[0]);
  dot.setAttribute('cx',d[0]);dot.setAttribute('cy',d[1]);xh.style.display='';
  tip.textContent=d[2];tip.style.display='block';
  tip.style.left=(e.pageX+14)+'px';tip.style.top=(e.pageY+12)+'px';
 });
 svg.addEventListener('mouseleave',function(){xh.style.display='none';tip.style.display='none';});
});
})();
)JS";

// ---- Sections --------------------------------------------------------------------------------

std::string Header(const ReportInput& in, const PerformanceStats& s) {
  std::string o =
      "<header class=\"top\"><div class=\"wrap\"><div class=\"brand\">arus &middot; "
      "backtest report</div><h1>" +
      Esc(in.run_name.empty() ? "run" : in.run_name) + "</h1><div class=\"meta\">";
  auto fact = [&](const std::string& k, const std::string& v, bool code = false) {
    if (v.empty()) return;
    o += "<div title=\"" + Esc(v) + "\"><span>" + Esc(k) + "</span>" + (code ? "<code>" : "") +
         Esc(v) + (code ? "</code>" : "") + "</div>";
  };
  std::string range = in.data_to > in.data_from ? DateTimeText(in.data_from) + " \xE2\x86\x92 " +
                                                      DateTimeText(in.data_to) + " UTC"
                                                : "";
  fact("Data", range);
  std::string syms;
  for (const auto& x : in.symbols) syms += (syms.empty() ? "" : ", ") + x;
  fact("Symbols", syms);
  fact("Traded model", in.traded_model);
  fact("Config hash", in.config_hash, true);
  fact("Code revision", in.code_revision, true);
  fact("Account", s.account_currency + " " + Group(s.initial_equity, 2));
  fact("Backtest", DateTimeText(s.start) + " \xE2\x86\x92 " + DateTimeText(s.end) + " UTC");
  for (const auto& [k, v] : in.facts) fact(k, v);
  fact("Generated", in.generated_at);
  return o + "</div></div></header>";
}

std::string Kpis(const ReportInput& in, const PerformanceStats& s) {
  std::string o = "<div class=\"kpis\">";
  o += Kpi("Net P&L", Signed(s.net_pnl, 2), SignClass(s.net_pnl), s.account_currency);
  o += Kpi("Total return", SignedPct(s.total_return), SignClass(s.total_return),
           "CAGR " + SignedPct(s.annual_return));
  o += Kpi("Sharpe", Ratio(s.sharpe), SignClass(s.sharpe), "Sortino " + Ratio(s.sortino));
  o += Kpi("Max drawdown", Pct(-s.max_drawdown_pct), s.max_drawdown_pct > 0 ? "neg" : "",
           Group(-s.max_drawdown, 0) + " " + s.account_currency);
  o += Kpi("Trades", Group(static_cast<double>(s.trades), 0), "", "win rate " + Pct(s.win_rate, 1));
  o += Kpi("Profit factor", Ratio(s.profit_factor),
           std::isfinite(s.profit_factor) ? (s.profit_factor >= 1 ? "pos" : "neg") : "",
           "expectancy " + Signed(s.expectancy, 2));
  o += Kpi("Volatility", Pct(s.volatility, 1), "", "annualised");
  o += Kpi("Calmar", Ratio(s.calmar), SignClass(s.calmar), "CAGR / max DD");
  o += Kpi("Exposure", Pct(s.exposure, 1), "", "turnover " + Ratio(s.turnover, 1) + "x/yr");
  o += Kpi("Costs", Group(s.costs.total, 0), s.costs.total > 0 ? "neg" : "",
           s.account_currency + ", " + Pct(s.costs.total_pct, 1) + " of gross P&L");
  if (in.deflated_sharpe) {
    double d = in.deflated_sharpe->dsr;
    o += Kpi("Deflated Sharpe", Pct(d, 1),
             std::isfinite(d) ? (d >= 0.95 ? "pos"
                                 : d < 0.5 ? "neg"
                                           : "")
                              : "",
             "vs the luckiest of " + std::to_string(in.deflated_sharpe->trials) + " trials");
  } else {
    o += Kpi("PSR", Pct(s.psr, 1), "", "P[true Sharpe > 0]");
  }
  if (in.pbo) {
    double p = in.pbo->pbo;
    o += Kpi("PBO", Pct(p, 1),
             std::isfinite(p) ? (p <= 0.1   ? "pos"
                                 : p >= 0.5 ? "neg"
                                            : "")
                              : "",
             "prob. of backtest overfitting");
  } else {
    o += Kpi("Days", Group(static_cast<double>(s.trading_days), 0), "", "FX trading days");
  }
  return o + "</div>";
}

std::string MetricsSection(const PerformanceStats& s) {
  const std::string& c = s.account_currency;
  std::string o = "<section class=\"card\" id=\"metrics\"><h2>Performance metrics</h2>";
  o += "<p class=\"note\">Daily returns are measured between FX trading-day closes (17:00 New "
       "York); annualised with " +
       Group(s.periods_per_year, 0) + " trading days a year. &ldquo;" + std::string(kDash) +
       "&rdquo; marks a value that is undefined for this run (e.g. no losing trade).</p>";
  o += "<div class=\"mt\"><div>";
  o += KeyValueTable(
      "Returns & risk",
      {{"Initial equity", Group(s.initial_equity, 2) + " " + c},
       {"Final equity", Group(s.final_equity, 2) + " " + c},
       {"Net P&L", Signed(s.net_pnl, 2) + " " + c, SignClass(s.net_pnl)},
       {"Total return", SignedPct(s.total_return), SignClass(s.total_return)},
       {"Annualised return (CAGR)", SignedPct(s.annual_return), SignClass(s.annual_return)},
       {"Volatility (annualised)", Pct(s.volatility)},
       {"Sharpe ratio", Ratio(s.sharpe)},
       {"Sortino ratio", Ratio(s.sortino)},
       {"Calmar ratio", Ratio(s.calmar)},
       {"PSR (true Sharpe > 0)", Pct(s.psr, 1)},
       {"Best / worst day", SignedPct(s.best_day) + " / " + SignedPct(s.worst_day)},
       {"Positive days", Pct(s.positive_days, 1)},
       {"Skewness / kurtosis", Ratio(s.skewness) + " / " + Ratio(s.kurtosis)},
       {"Trading days", Group(static_cast<double>(s.trading_days), 0)}});
  o += "</div><div>";
  o += KeyValueTable(
      "Trades",
      {{"Trades (long / short)", Group(static_cast<double>(s.trades), 0) + " (" +
                                     Group(static_cast<double>(s.long_trades), 0) + " / " +
                                     Group(static_cast<double>(s.short_trades), 0) + ")"},
       {"Win rate", Pct(s.win_rate, 1)},
       {"Profit factor", Ratio(s.profit_factor)},
       {"Expectancy per trade", Signed(s.expectancy, 2) + " " + c, SignClass(s.expectancy)},
       {"Expectancy (pips)", Signed(s.expectancy_pips, 1)},
       {"Average win / loss", Group(s.avg_win, 2) + " / " + Group(s.avg_loss, 2)},
       {"Average win / loss (pips)", Group(s.avg_win_pips, 1) + " / " + Group(s.avg_loss_pips, 1)},
       {"Payoff ratio", Ratio(s.payoff_ratio)},
       {"Largest win / loss", Group(s.largest_win, 2) + " / " + Group(s.largest_loss, 2)},
       {"Longest winning / losing streak",
        std::to_string(s.longest_winning_streak) + " / " + std::to_string(s.longest_losing_streak)},
       {"Average holding time", s.trades ? DurationText(s.avg_holding) : kDash},
       {"Long / short net P&L", Signed(s.long_net_pnl, 2) + " / " + Signed(s.short_net_pnl, 2)}});
  o += "</div><div>";
  std::string recovery = s.max_drawdown_recovery
                             ? DateText(*s.max_drawdown_recovery)
                             : (s.max_drawdown_pct > 0 ? "not recovered" : kDash);
  o += KeyValueTable(
      "Drawdown & activity",
      {{"Max drawdown", Pct(-s.max_drawdown_pct), s.max_drawdown_pct > 0 ? "neg" : ""},
       {"Max drawdown (money)", Group(-s.max_drawdown, 2) + " " + c},
       {"Peak \xE2\x86\x92 trough",
        s.max_drawdown_pct > 0
            ? DateText(s.max_drawdown_peak) + " \xE2\x86\x92 " + DateText(s.max_drawdown_trough)
            : kDash},
       {"Recovered", recovery},
       {"Longest time under water",
        s.longest_drawdown.count() > 0 ? DurationText(s.longest_drawdown) : kDash},
       {"Exposure (time in market)", Pct(s.exposure, 1)},
       {"Average gross leverage", Ratio(s.avg_leverage) + "x"},
       {"Traded notional", Group(s.traded_notional, 0) + " " + c},
       {"Turnover (annualised)", Ratio(s.turnover, 1) + "x"},
       {"Total costs", Group(s.costs.total, 2) + " " + c},
       {"Costs / gross P&L", Pct(s.costs.total_pct, 1)},
       {"Rejected orders", Group(static_cast<double>(s.rejections), 0)},
       {"Events processed", Group(static_cast<double>(s.events), 0)},
       {"Circuit breaker", s.halted ? "halted: " + s.halt_reason : "not triggered",
        s.halted ? "neg" : ""}});
  o += "</div></div></section>";
  return o;
}

std::string CostSection(const PerformanceStats& s) {
  const auto& c = s.costs;
  std::string o = "<section class=\"card\" id=\"costs\"><h2>Costs</h2>";
  o += "<p class=\"note\">Spread and slippage are inside the fill prices; commission and swap are "
       "booked separately. Percentages are of the P&amp;L before costs (" +
       Esc(Signed(c.pnl_before_costs, 2) + " " + s.account_currency) +
       "). A negative swap was earned.</p>";
  auto bar = [&](const char* name, double v, double pct, const char* colour) {
    Bar b;
    b.label = name;
    b.value = v;
    b.sublabel = std::isfinite(pct) ? "(" + Pct(pct, 1) + " of gross)" : "";
    b.tip = std::string(name) + ": " + Group(v, 2) + " " + s.account_currency;
    b.colour = colour;
    return b;
  };
  std::vector<Bar> bars = {bar("Spread", c.spread, c.spread_pct, "#f59e0b"),
                           bar("Commission", c.commission, c.commission_pct, "#8b5cf6"),
                           bar("Slippage", c.slippage, c.slippage_pct, "#ef4444"),
                           bar("Swap", c.swap, c.swap_pct, c.swap < 0 ? kPos : "#0ea5e9"),
                           bar("Total", c.total, c.total_pct, "#334155")};
  o += HBarChart(bars, s.account_currency, 1040, "Cost split");
  return o + "</section>";
}

std::string BreakdownSection(const PerformanceStats& s) {
  std::string o = "<section class=\"card\" id=\"breakdown\"><h2>P&amp;L breakdown</h2>";
  o += "<p class=\"note\">Net P&amp;L of the trades by the session of their entry (New York "
       "clock: Asia 17:00&ndash;03:00, London 03:00&ndash;08:00, New York 08:00&ndash;17:00), by "
       "the weekday of their entry trading date and by the month of their exit.</p>";
  auto bars = [&](auto const& buckets, bool short_names) {
    std::vector<Bar> v;
    for (const auto& b : buckets) {
      Bar x;
      x.label = short_names ? b.name.substr(0, 3) : b.name;
      x.sublabel = std::to_string(b.trades) + (b.trades == 1 ? " trade" : " trades");
      x.value = b.net_pnl;
      x.tip = b.name + ": " + Signed(b.net_pnl, 2) + " " + s.account_currency + ", " +
              std::to_string(b.trades) + " trades, win rate " + Pct(b.win_rate, 1) + ", " +
              Signed(b.pips, 1) + " pips";
      v.push_back(x);
    }
    return v;
  };
  o += "<div class=\"grid2\"><div><h3>By session</h3>" +
       BarChart(bars(s.by_session, false), YFormat::kMoney, "Net P&L (" + s.account_currency + ")",
                520, 260, "P&L by session") +
       "</div><div><h3>By weekday</h3>" +
       BarChart(bars(s.by_weekday, true), YFormat::kMoney, "Net P&L (" + s.account_currency + ")",
                520, 260, "P&L by weekday") +
       "</div></div>";
  if (!s.by_month.empty()) {
    std::vector<Bar> m;
    for (const auto& b : s.by_month) {
      Bar x;
      int mo = std::atoi(b.name.c_str() + 5);
      x.label =
          mo >= 1 && mo <= 12 ? std::string(kMonths[mo - 1]) + " " + b.name.substr(2, 2) : b.name;
      x.value = b.net_pnl;
      x.tip = b.name + ": " + Signed(b.net_pnl, 2) + " " + s.account_currency + ", " +
              std::to_string(b.trades) + " trades";
      m.push_back(x);
    }
    if (m.size() > 36) m.erase(m.begin(), m.end() - 36);  // the last three years
    o += "<h3>By month of exit</h3>" + BarChart(m, YFormat::kMoney,
                                                "Net P&L (" + s.account_currency + ")", 1040, 240,
                                                "P&L by month");
  }
  return o + "</section>";
}

std::string OverfittingSection(const ReportInput& in) {
  if (!in.deflated_sharpe && !in.pbo && in.trials.empty()) return "";
  std::string o = "<section class=\"card\" id=\"overfitting\"><h2>Overfitting statistics</h2>";
  o += "<p class=\"note\">The deflated Sharpe ratio (Bailey &amp; L&oacute;pez de Prado, 2014) "
       "is the probability that the true Sharpe ratio exceeds what the best of N unskilled "
       "trials would reach by luck, given the track length, skewness and kurtosis; above 95% "
       "is strong evidence. The probability of backtest overfitting (CSCV, Bailey et al. 2015) "
       "is the share of in-sample / out-of-sample splits in which the in-sample best ranks in "
       "the bottom half out of sample; near 0 is good, 50% is what pure noise gives.</p>";
  o += "<div class=\"grid2\"><div>";
  if (in.deflated_sharpe) {
    const auto& d = *in.deflated_sharpe;
    o += KeyValueTable("Deflated Sharpe ratio",
                       {{"DSR: P[true SR > E[max SR]]", Pct(d.dsr, 1),
                         std::isfinite(d.dsr) ? (d.dsr >= 0.95 ? "pos"
                                                 : d.dsr < 0.5 ? "neg"
                                                               : "")
                                              : ""},
                        {"PSR: P[true SR > 0]", Pct(d.psr, 1)},
                        {"Sharpe ratio (per period)", Ratio(d.sharpe, 4)},
                        {"Expected max Sharpe of N trials", Ratio(d.expected_max_sharpe, 4)},
                        {"Trials N", std::to_string(d.trials)},
                        {"Variance of trial Sharpe ratios", Ratio(d.sharpe_variance, 6)},
                        {"Observations T", Group(static_cast<double>(d.observations), 0)},
                        {"Skewness / kurtosis", Ratio(d.skewness) + " / " + Ratio(d.kurtosis)}});
  }
  o += "</div><div>";
  if (in.pbo) {
    const auto& p = *in.pbo;
    o += KeyValueTable(
        "CSCV", {{"Probability of backtest overfitting", Pct(p.pbo, 1),
                  std::isfinite(p.pbo) ? (p.pbo <= 0.1   ? "pos"
                                          : p.pbo >= 0.5 ? "neg"
                                                         : "")
                                       : ""},
                 {"P[out-of-sample loss]", Pct(p.prob_oos_loss, 1)},
                 {"Degradation slope (OOS on IS)", Ratio(p.degradation_slope, 3)},
                 {"Degradation R\xC2\xB2", Ratio(p.degradation_r2, 3)},
                 {"Trials N / periods T", std::to_string(p.trials) + " / " + Group(p.periods, 0)},
                 {"Partitions S / splits", std::to_string(p.partitions) + " / " +
                                               Group(static_cast<double>(p.combinations), 0)}});
  }
  o += "</div></div>";
  if (in.pbo && !in.pbo->logits.empty()) {
    o += "<h3>Out-of-sample rank of the in-sample best (logit; left of 0 = below the median)</h3>";
    o += LogitHistogram(*in.pbo);
  }
  if (!in.trials.empty()) {
    o += "<h3>Trials backtested on the same data</h3><div class=\"scroll\"><table><thead><tr>"
         "<th>Trial</th><th>Sharpe</th><th>Total return</th><th>Max drawdown</th><th>Trades</th>"
         "</tr></thead><tbody>";
    for (const ReportTrial& t : in.trials) {
      o += "<tr><td>" + Esc(t.name) + (t.selected ? " <span class=\"pill\">traded</span>" : "") +
           "</td><td>" + Esc(Ratio(t.sharpe)) + "</td><td class=\"" + SignClass(t.total_return) +
           "\">" + Esc(SignedPct(t.total_return)) + "</td><td>" + Esc(Pct(-t.max_drawdown_pct)) +
           "</td><td>" + Esc(Group(static_cast<double>(t.trades), 0)) + "</td></tr>";
    }
    o += "</tbody></table></div>";
  }
  return o + "</section>";
}

std::string ValidationSection(const json& v) {
  if (v.is_null() || !v.is_object()) return "";
  const json* models = &v;
  if (v.contains("validation") && v["validation"].is_object()) models = &v["validation"];
  std::vector<std::string> names;
  for (auto it = models->begin(); it != models->end(); ++it) {
    if (it->is_object() && it->contains("folds")) names.push_back(it.key());
  }
  // The order of the experiment ("models": [...]) when present.
  if (v.contains("models") && v["models"].is_array()) {
    std::vector<std::string> ordered;
    for (const auto& m : v["models"]) {
      if (m.is_string() &&
          std::find(names.begin(), names.end(), m.get<std::string>()) != names.end())
        ordered.push_back(m.get<std::string>());
    }
    if (ordered.size() == names.size()) names = ordered;
  }
  std::string o = "<section class=\"card\" id=\"validation\"><h2>Model validation</h2>";
  if (names.empty()) {
    return o + "<p class=\"note\">The validation results hold no models.</p></section>";
  }
  const json& data = JObj(v, "data");
  std::string note =
      "Out-of-sample metrics of every model, per walk-forward fold and pooled over "
      "all out-of-sample rows.";
  if (data.is_object()) {
    note += " Label " + JStr(data, "label") + " (" + JStr(data, "task") + "), " +
            Group(JNum(data, "usable_rows"), 0) + " usable rows";
    std::string from = JStr(data, "from").substr(0, 10), to = JStr(data, "to").substr(0, 10);
    if (!from.empty()) note += ", " + from + " \xE2\x86\x92 " + to;
    note += ".";
  }
  if (!JStr(v, "scheme").empty()) note += " Scheme: " + JStr(v, "scheme") + ".";
  o += "<p class=\"note\">" + Esc(note) + "</p>";
  bool cls = JObj((*models)[names[0]], "pooled").contains("accuracy");
  // Pooled table.
  o += "<h3>Pooled out-of-sample metrics</h3><div class=\"scroll\"><table><thead><tr><th>Model"
       "</th>";
  std::vector<std::pair<const char*, const char*>> cols;
  if (cls) {
    cols = {{"n", "Rows"},
            {"accuracy", "Accuracy"},
            {"balanced_accuracy", "Bal. acc."},
            {"chance_accuracy", "Chance"},
            {"binomial_p", "Binomial p"},
            {"log_loss", "Log loss"},
            {"brier", "Brier"},
            {"roc_auc", "ROC AUC"}};
  } else {
    cols = {{"n", "Rows"}, {"rmse", "RMSE"},       {"mae", "MAE"},          {"r2", "R\xC2\xB2"},
            {"ic", "IC"},  {"pearson", "Pearson"}, {"hit_rate", "Hit rate"}};
  }
  for (const auto& c : cols) o += "<th>" + Esc(c.second) + "</th>";
  o += "<th>Folds</th><th>Search trials</th></tr></thead><tbody>";
  for (const auto& name : names) {
    const json& m = (*models)[name];
    const json& pooled = JObj(m, "pooled");
    o += "<tr><td>" + Esc(name) + "</td>";
    for (const auto& c : cols) {
      double x = JNum(pooled, c.first);
      std::string key = c.first;
      std::string txt =
          key == "n" ? Group(x, 0)
          : key == "binomial_p"
              ? (std::isfinite(x) ? (x < 1e-4 ? Sprintf("%.1e", x) : Ratio(x, 4)) : kDash)
              : Ratio(x, 4);
      const char* klass = "";
      if (key == "accuracy" && std::isfinite(x) && std::isfinite(JNum(pooled, "chance_accuracy")))
        klass = x > JNum(pooled, "chance_accuracy") ? "pos" : "neg";
      if (key == "ic" && std::isfinite(x)) klass = x > 0 ? "pos" : "neg";
      o += std::string("<td class=\"") + klass + "\">" + Esc(txt) + "</td>";
    }
    const json& folds = JObj(m, "folds");
    o += "<td>" + std::to_string(folds.is_array() ? folds.size() : 0) + "</td><td>" +
         Esc(Group(JNum(m, "search_trials"), 0)) + "</td></tr>";
  }
  o += "</tbody></table></div>";

  // Per fold: the key metric of each model.
  const char* key = cls ? "accuracy" : "ic";
  const json& f0 = JObj((*models)[names[0]], "folds");
  if (f0.is_array() && !f0.empty()) {
    std::vector<std::string> cats;
    std::vector<CatSeries> ser(names.size());
    for (size_t k = 0; k < names.size(); ++k) ser[k].name = names[k];
    o += std::string("<h3>Per fold (") + (cls ? "accuracy" : "information coefficient") + ")</h3>";
    std::string table =
        "<div class=\"scroll\"><table><thead><tr><th>Fold</th><th>Train</th>"
        "<th>Test</th><th>Test rows</th>";
    for (const auto& n : names) table += "<th>" + Esc(n) + "</th>";
    table += "</tr></thead><tbody>";
    double chance_sum = 0;
    size_t chance_n = 0;
    for (size_t i = 0; i < f0.size(); ++i) {
      const json& fold = f0[i];
      std::string label = JStr(fold, "fold");
      cats.push_back(label.empty() ? std::to_string(i + 1) : label);
      const json& tr = JObj(fold, "train");
      const json& te = JObj(fold, "test");
      auto day = [](const std::string& iso) { return iso.substr(0, 10); };
      table += "<tr><td>" + Esc(cats.back()) + "</td><td>" +
               Esc(day(JStr(tr, "from")) + " \xE2\x86\x92 " + day(JStr(tr, "to"))) + "</td><td>" +
               Esc(day(JStr(te, "from")) + " \xE2\x86\x92 " + day(JStr(te, "to"))) + "</td><td>" +
               Esc(Group(JNum(te, "rows"), 0)) + "</td>";
      for (size_t k = 0; k < names.size(); ++k) {
        const json& fk = JObj((*models)[names[k]], "folds");
        double x = fk.is_array() && i < fk.size() ? JNum(JObj(fk[i], "metrics"), key) : kNaN;
        ser[k].values.push_back(x);
        table += "<td>" + Esc(Ratio(x, 4)) + "</td>";
      }
      table += "</tr>";
      double ch = JNum(JObj(fold, "metrics"), "chance_accuracy");
      if (std::isfinite(ch)) chance_sum += ch, chance_n++;
    }
    table += "</tbody></table></div>";
    double ref = cls ? (chance_n ? chance_sum / chance_n : kNaN) : 0.0;
    o += CategoryLines(cats, ser, YFormat::kPlain, cls ? "Accuracy" : "IC", ref,
                       cls ? "Chance (mean)" : "Zero", 1040, 260, "Per-fold metrics");
    o += table;
  }
  return o + "</section>";
}

std::string QualitySection(const std::vector<ReportQuality>& q) {
  if (q.empty()) return "";
  std::string o = "<section class=\"card\" id=\"quality\"><h2>Data quality</h2>";
  o += "<p class=\"note\">Per symbol: the quality score (0&ndash;100), rows read and kept, "
       "flagged and dropped rows, gaps in open-market time (weekends and holidays are not gaps), "
       "and the mean spread. The full reports are below and in the run's quality/ "
       "directory.</p>";
  o += "<div class=\"scroll\"><table><thead><tr><th>Symbol</th><th>Score</th><th>Rows in</th>"
       "<th>Rows out</th><th>Dropped</th><th>Flagged</th><th>Gaps</th><th>Gap hours</th>"
       "<th>Jumps</th><th>Mean spread (pips)</th></tr></thead><tbody>";
  std::vector<std::string> hours;
  for (int h = 0; h < 24; ++h) hours.push_back(std::to_string(h));
  std::vector<CatSeries> spread;
  for (const ReportQuality& r : q) {
    json j = json::parse(r.json, nullptr, false);
    bool ok = !j.is_discarded() && j.is_object();
    const json& rows = ok ? JObj(j, "rows") : JObj(json(), "x");
    double flagged = 0;
    if (ok && j.contains("rules") && j["rules"].is_array()) {
      for (const auto& rule : j["rules"]) {
        double h = JNum(rule, "hits");
        if (std::isfinite(h)) flagged += h;
      }
    }
    double spread_sum = 0, ticks = 0;
    CatSeries cs;
    cs.name = r.symbol;
    cs.values.assign(24, kNaN);
    if (ok && j.contains("hours") && j["hours"].is_array()) {
      for (const auto& hrow : j["hours"]) {
        double h = JNum(hrow, "ny_hour"), n = JNum(hrow, "ticks"),
               sp = JNum(hrow, "spread_mean_pips");
        if (std::isfinite(n) && std::isfinite(sp) && n > 0) spread_sum += n * sp, ticks += n;
        if (std::isfinite(h) && h >= 0 && h < 24 && std::isfinite(sp) && n > 0) {
          cs.values[static_cast<size_t>(h)] = sp;
        }
      }
    }
    if (ticks > 0) spread.push_back(cs);
    const char* pill = r.score >= 90 ? "good" : r.score >= 70 ? "warn" : "bad";
    o += "<tr><td>" + Esc(r.symbol) + "</td><td><span class=\"pill " + pill + "\">" +
         Esc(Group(r.score, 1)) + "</span></td><td>" + Esc(Group(JNum(rows, "in"), 0)) +
         "</td><td>" + Esc(Group(JNum(rows, "out"), 0)) + "</td><td>" +
         Esc(Group(JNum(rows, "dropped"), 0)) + "</td><td>" + Esc(ok ? Group(flagged, 0) : kDash) +
         "</td><td>" + Esc(Group(JNum(JObj(j, "gaps"), "count"), 0)) + "</td><td>" +
         Esc(Group(JNum(JObj(j, "gaps"), "open_seconds_total") / 3600, 1)) + "</td><td>" +
         Esc(Group(JNum(JObj(j, "jumps"), "count"), 0)) + "</td><td>" +
         Esc(ticks > 0 ? Group(spread_sum / ticks, 2) : kDash) + "</td></tr>";
  }
  o += "</tbody></table></div>";
  if (!spread.empty()) {
    o += "<h3>Mean spread by New York hour (pips)</h3>";
    o += CategoryLines(hours, spread, YFormat::kPlain, "Spread (pips)", kNaN, "", 1040, 240,
                       "Spread by hour", 1);
  }
  for (const ReportQuality& r : q) {
    o += "<details><summary>Full quality report: " + Esc(r.symbol) + "</summary><pre>" +
         Esc(r.text) + "</pre></details>";
  }
  return o + "</section>";
}

std::string TradesSection(const backtest::BacktestResult& r, const PerformanceStats& s) {
  std::string o = "<section class=\"card\" id=\"trades\"><h2>Trades</h2>";
  if (r.trades.empty()) {
    o += "<p class=\"note\">The strategy made no trades.</p>";
  } else {
    const size_t kEach = 100;
    size_t n = r.trades.size();
    o += "<p class=\"note\">" +
         Esc(n <= 2 * kEach ? "All " + std::to_string(n) + " trades"
                            : "The first and last " + std::to_string(kEach) + " of " +
                                  std::to_string(n) + " trades (all of them are in trades.csv)") +
         ", in exit order; times UTC.</p>";
    o += "<details" + std::string(n <= 30 ? " open" : "") +
         "><summary>Show the trade list</summary>";
    o += "<div class=\"scroll\"><table class=\"trades\"><thead><tr><th>#</th><th>Symbol</th>"
         "<th>Side</th><th>Quantity</th><th>Entry</th><th>Exit</th><th>Held</th>"
         "<th>Entry price</th><th>Exit price</th><th>Pips</th><th>Costs</th><th>Net P&amp;L</th>"
         "<th>Exit reason</th><th>Tag</th></tr></thead><tbody>";
    for (size_t i = 0; i < n; ++i) {
      if (n > 2 * kEach && i == kEach) {
        o += "<tr><td colspan=\"14\" style=\"text-align:center;color:#64748b\">&hellip; " +
             std::to_string(n - 2 * kEach) + " more &hellip;</td></tr>";
        i = n - kEach;
      }
      const backtest::Trade& t = r.trades[i];
      int dec = 5;
      if (auto inst = fx::InstrumentTable::Builtin().Find(t.symbol); inst.ok()) {
        dec = (*inst)->price_precision;
      }
      double net = t.net_pnl.ToDouble();
      o += "<tr><td>" + std::to_string(i + 1) + "</td><td>" + Esc(t.symbol) + "</td><td>" +
           Esc(backtest::SideName(t.side)) + "</td><td>" + Esc(Group(t.quantity, 0)) + "</td><td>" +
           Esc(DateTimeText(t.entry_time)) + "</td><td>" + Esc(DateTimeText(t.exit_time)) +
           "</td><td>" + Esc(DurationText(t.exit_time - t.entry_time)) + "</td><td>" +
           Esc(Group(t.entry_price, dec)) + "</td><td>" + Esc(Group(t.exit_price, dec)) +
           "</td><td class=\"" + SignClass(t.pips) + "\">" + Esc(Signed(t.pips, 1)) + "</td><td>" +
           Esc(Group(t.costs.total().ToDouble(), 2)) + "</td><td class=\"" + SignClass(net) +
           "\">" + Esc(Signed(net, 2)) + "</td><td>" +
           Esc(backtest::ExitReasonName(t.exit_reason)) + "</td><td>" + Esc(t.tag) + "</td></tr>";
    }
    o += "</tbody></table></div></details>";
  }
  if (!r.rejections.empty()) {
    std::map<std::string, size_t> reasons;
    for (const auto& x : r.rejections) reasons[x.reason]++;
    std::vector<std::pair<size_t, std::string>> top;
    for (const auto& [k, v] : reasons) top.push_back({v, k});
    std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    o += "<h3>Rejected orders (" + std::to_string(s.rejections) +
         ")</h3><div class=\"scroll\"><table><thead><tr><th>Reason</th><th>Orders</th></tr>"
         "</thead><tbody>";
    for (size_t i = 0; i < top.size() && i < 10; ++i) {
      o += "<tr><td style=\"white-space:normal\">" + Esc(top[i].second) + "</td><td>" +
           std::to_string(top[i].first) + "</td></tr>";
    }
    o += "</tbody></table></div>";
  }
  return o + "</section>";
}

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  const char* kBad = "\xEF\xBF\xBD";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        default:
          // Control characters other than tab and line breaks would be invalid in HTML.
          if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
            out += kBad;
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // UTF-8: validate the sequence (no overlongs, surrogates or code points > U+10FFFF).
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (c >= 0xF5) len = 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len == 3) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
    }
    if (ok && len == 4) {
      unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += kBad;
      ++i;
    }
  }
  return out;
}

std::vector<size_t> DownsampleMinMax(const std::vector<double>& y, size_t max_points) {
  const size_t n = y.size();
  std::vector<size_t> out;
  if (n <= max_points || max_points < 4) {
    out.resize(n);
    for (size_t i = 0; i < n; ++i) out[i] = i;
    if (n > max_points && max_points < 4) {  // degenerate request: first and last only
      out = {0, n - 1};
    }
    return out;
  }
  const size_t buckets = (max_points - 2) / 2;
  const size_t inner = n - 2;
  out.push_back(0);
  for (size_t b = 0; b < buckets; ++b) {
    size_t lo = 1 + b * inner / buckets, hi = 1 + (b + 1) * inner / buckets;
    if (lo >= hi) continue;
    size_t mn = lo, mx = lo;
    for (size_t i = lo; i < hi; ++i) {
      if (y[i] < y[mn]) mn = i;
      if (y[i] > y[mx]) mx = i;
    }
    if (mn == mx) {
      out.push_back(mn);
    } else {
      out.push_back(std::min(mn, mx));
      out.push_back(std::max(mn, mx));
    }
  }
  out.push_back(n - 1);
  return out;
}

Result<std::string> RenderReport(const ReportInput& in) {
  if (in.result == nullptr || in.stats == nullptr) {
    return InvalidArgument("report: the backtest result and its performance stats are required");
  }
  const PerformanceStats& s = *in.stats;
  std::string o;
  o.reserve(1 << 20);
  o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
       "<meta name=\"generator\" content=\"arus\"><title>";
  o += Esc((in.run_name.empty() ? std::string("run") : in.run_name) +
           " \xE2\x80\x94 arus backtest report");
  o += "</title><style>";
  o += kCss;
  o += "</style></head><body>";
  o += Header(in, s);
  o += "<main class=\"wrap\">";
  o += Kpis(in, s);

  o += "<section class=\"card\" id=\"equity\"><h2>Equity and drawdown</h2><p class=\"note\">"
       "Account equity at every mark (balance plus open P&amp;L), in " +
       Esc(s.account_currency) + ", and its decline from the running peak. Hover for values.</p>";
  o += EquityChart(s);
  o += DrawdownChart(s);
  o += "</section>";

  o += MetricsSection(s);

  o += "<section class=\"card\" id=\"monthly\"><h2>Monthly returns</h2><p class=\"note\">"
       "Compounded return of each month of trading days (by the New York trading date), and of "
       "each year.</p>";
  o += MonthlyHeatMap(s);
  o += "</section>";

  if (!in.prices.empty()) {
    o += "<section class=\"card\" id=\"prices\"><h2>Trades on the price</h2>";
    std::string charts;
    size_t shown_all = 0, total_all = 0;
    for (const ReportPriceSeries& ps : in.prices) {
      size_t shown = 0, total = 0;
      charts += "<h3>" + Esc(ps.symbol) + "</h3>" +
                PriceChart(ps, *in.result, s.account_currency, &shown, &total);
      shown_all += shown;
      total_all += total;
    }
    std::string note =
        "Entries are triangles (up: buy, down: sell), exits are rings, joined by a "
        "dotted line green for a winning trade and red for a losing one. Hover a "
        "marker for the trade.";
    if (shown_all < total_all) {
      note += " Showing " + std::to_string(shown_all) + " of " + std::to_string(total_all) +
              " trades, evenly spread.";
    }
    o += "<p class=\"note\">" + Esc(note) + "</p>" + charts + "</section>";
  }

  o += CostSection(s);
  o += BreakdownSection(s);
  o += OverfittingSection(in);
  o += ValidationSection(in.validation);
  o += QualitySection(in.quality);
  o += TradesSection(*in.result, s);
  o += "<footer>Generated by arus" +
       (in.code_revision.empty() ? std::string() : " " + Esc(in.code_revision)) +
       ". This file is self-contained: it loads nothing from the network. Formulas: "
       "docs/backtest-metrics.md; contents: docs/report.md.</footer>";
  o += "</main><div id=\"tip\"></div><script>";
  o += kScript;
  o += "</script></body></html>\n";
  return o;
}

Status WriteReport(const ReportInput& in, const std::string& path) {
  ARUS_ASSIGN_OR_RETURN(std::string html, RenderReport(in));
  return WriteFileAtomic(path, html);
}

}  // namespace arus::pipeline
