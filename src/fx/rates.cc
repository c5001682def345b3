#include "fx/rates.h"

#include <algorithm>
#include <set>

namespace arus::fx {
namespace {

std::string CodeName(uint32_t c) {
  std::string s(3, ' ');
  s[0] = static_cast<char>((c >> 16) & 0xff);
  s[1] = static_cast<char>((c >> 8) & 0xff);
  s[2] = static_cast<char>(c & 0xff);
  return s;
}

}  // namespace

RateBook::RateBook(std::span<const Instrument> pairs) {
  pairs_.reserve(pairs.size());
  for (const Instrument& in : pairs) {
    pairs_.push_back(Pair{in.symbol, Code(in.base), Code(in.quote)});
  }
  sums_.assign(pairs.size(), 0);
}

uint32_t RateBook::Code(std::string_view ccy) {
  if (ccy.size() != 3) return 0;
  uint32_t c = 0;
  for (char ch : ccy) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    if (ch < 'A' || ch > 'Z') return 0;
    c = (c << 8) | static_cast<uint8_t>(ch);
  }
  return c;
}

int RateBook::FindLeg(uint32_t a, uint32_t b, bool* invert) const {
  for (size_t i = 0; i < pairs_.size(); ++i) {
    if (pairs_[i].base == a && pairs_[i].quote == b) {
      *invert = false;
      return static_cast<int>(i);
    }
  }
  for (size_t i = 0; i < pairs_.size(); ++i) {
    if (pairs_[i].base == b && pairs_[i].quote == a) {
      *invert = true;
      return static_cast<int>(i);
    }
  }
  return -1;
}

Result<RateBook::Route> RateBook::FindRoute(std::string_view from, std::string_view to) const {
  const uint32_t a = Code(from);
  const uint32_t b = Code(to);
  if (a == 0 || b == 0) {
    return InvalidArgument("currency codes must be 3 letters, got '" + std::string(from) +
                           "' and '" + std::string(to) + "'");
  }
  Route r;
  if (a == b) return r;
  bool inv = false;
  if (int p = FindLeg(a, b, &inv); p >= 0) {
    r.legs = 1;
    r.pair[0] = static_cast<uint32_t>(p);
    r.invert[0] = inv;
    return r;
  }
  // Candidate intermediaries: USD first, then every other loaded currency alphabetically.
  std::set<uint32_t> others;
  for (const Pair& p : pairs_) {
    others.insert(p.base);
    others.insert(p.quote);
  }
  const uint32_t usd = Code("USD");
  std::vector<uint32_t> via;
  if (others.count(usd)) via.push_back(usd);
  for (uint32_t c : others) {
    if (c != usd) via.push_back(c);
  }
  for (uint32_t c : via) {
    if (c == a || c == b) continue;
    bool inv1 = false, inv2 = false;
    const int p1 = FindLeg(a, c, &inv1);
    if (p1 < 0) continue;
    const int p2 = FindLeg(c, b, &inv2);
    if (p2 < 0) continue;
    r.legs = 2;
    r.pair = {static_cast<uint32_t>(p1), static_cast<uint32_t>(p2)};
    r.invert = {inv1, inv2};
    return r;
  }
  std::string loaded;
  for (const Pair& p : pairs_) {
    if (!loaded.empty()) loaded += ", ";
    loaded += p.symbol;
  }
  return NotFound("no loaded currency pair converts " + CodeName(a) + " to " + CodeName(b) +
                  " (directly, inversely or through a common currency); loaded pairs: " +
                  (loaded.empty() ? std::string("none") : loaded));
}

Result<double> RateBook::Rate(const Route& r, std::string_view from, std::string_view to) const {
  for (int leg = 0; leg < r.legs; ++leg) {
    if (!HasRate(r.pair[leg])) {
      return NotFound("no quote yet for " + pairs_[r.pair[leg]].symbol + ", needed to convert " +
                      std::string(from) + " to " + std::string(to));
    }
  }
  return RateOrNaN(r);
}

Result<double> RateBook::Convert(double amount, std::string_view from, std::string_view to) const {
  const uint64_t key = (static_cast<uint64_t>(Code(from)) << 24) | Code(to);
  const Route* route = nullptr;
  for (const auto& [k, r] : cache_) {
    if (k == key) {
      route = &r;
      break;
    }
  }
  if (route == nullptr) {
    ARUS_ASSIGN_OR_RETURN(Route found, FindRoute(from, to));
    cache_.emplace_back(key, found);
    route = &cache_.back().second;
  }
  ARUS_ASSIGN_OR_RETURN(double rate, Rate(*route, from, to));
  return amount * rate;
}

}  // namespace arus::fx
