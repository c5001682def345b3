#include "core/price.h"

#include <cstdlib>

namespace arus {

int64_t Pow10(int n) {
  static constexpr int64_t kPow10[] = {1,
                                       10,
                                       100,
                                       1'000,
                                       10'000,
                                       100'000,
                                       1'000'000,
                                       10'000'000,
                                       100'000'000,
                                       1'000'000'000,
                                       10'000'000'000,
                                       100'000'000'000,
                                       1'000'000'000'000,
                                       10'000'000'000'000,
                                       100'000'000'000'000,
                                       1'000'000'000'000'000,
                                       10'000'000'000'000'000,
                                       100'000'000'000'000'000,
                                       1'000'000'000'000'000'000};
  return kPow10[n];
}

bool Price::TryParse(std::string_view s, Price* out) {
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    neg = s[i] == '-';
    ++i;
  }
  // Integer part: at most 10 digits keeps value * 1e9 within int64.
  uint64_t ip = 0;
  size_t idig = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (++idig > 10) return false;
    ip = ip * 10 + static_cast<uint64_t>(s[i] - '0');
    ++i;
  }
  uint64_t fp = 0;
  size_t fdig = 0;
  bool round_up = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (fdig < static_cast<size_t>(kPriceDecimals)) {
        fp = fp * 10 + static_cast<uint64_t>(s[i] - '0');
      } else if (fdig == static_cast<size_t>(kPriceDecimals)) {
        round_up = s[i] >= '5';
      }
      ++fdig;
      ++i;
    }
  }
  if (i != s.size() || (idig == 0 && fdig == 0)) return false;
  for (size_t k = fdig; k < static_cast<size_t>(kPriceDecimals); ++k) fp *= 10;
  uint64_t raw = ip * static_cast<uint64_t>(kPriceScale) + fp + (round_up ? 1 : 0);
  if (raw > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = Price(neg ? -static_cast<int64_t>(raw) : static_cast<int64_t>(raw));
  return true;
}

Result<Price> Price::Parse(std::string_view text) {
  Price p;
  if (!TryParse(text, &p)) {
    return InvalidArgument("not a decimal price: '" + std::string(text.substr(0, 64)) + "'");
  }
  return p;
}

int64_t Price::ToScaled(int decimals) const {
  const int64_t div = Pow10(kPriceDecimals - decimals);
  const int64_t q = raw_ / div;
  const int64_t r = raw_ % div;
  if (2 * std::llabs(r) >= div) return raw_ < 0 ? q - 1 : q + 1;
  return q;
}

void Price::AppendTo(std::string* out, int decimals) const {
  int64_t v = ToScaled(decimals);
  if (v < 0) {
    out->push_back('-');
    v = -v;
  }
  const int64_t p = Pow10(decimals);
  out->append(std::to_string(v / p));
  if (decimals > 0) {
    out->push_back('.');
    char frac[20];
    int64_t f = v % p;
    for (int k = decimals - 1; k >= 0; --k) {
      frac[k] = static_cast<char>('0' + f % 10);
      f /= 10;
    }
    out->append(frac, decimals);
  }
}

std::string Price::ToString(int decimals) const {
  std::string s;
  AppendTo(&s, decimals);
  return s;
}

}  // namespace arus
