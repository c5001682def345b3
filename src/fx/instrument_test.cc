#include "fx/instrument.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "core/file.h"

namespace arus::fx {
namespace {

const char* kOrder[] = {"EUR", "GBP", "AUD", "NZD", "USD", "CAD", "CHF", "JPY"};

int Rank(const std::string& c) {
  for (int i = 0; i < 8; ++i) {
    if (c == kOrder[i]) return i;
  }
  return -1;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("ARUS_TEST_TMP");
  std::string base = dir ? dir : "/tmp";
  base += "/instrument_test";
  std::filesystem::create_directories(base);
  return base + "/" + name;
}

// Writes `toml` to a temp file and loads it.
Result<InstrumentTable> LoadToml(const std::string& name, const std::string& toml) {
  const std::string path = TempPath(name);
  Status s = WriteFileAtomic(path, toml);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return InstrumentTable::LoadWithOverrides(path);
}

TEST(InstrumentTableTest, BuiltinHas28PairsPlusGold) {
  const InstrumentTable& t = InstrumentTable::Builtin();
  EXPECT_EQ(t.size(), 29u);
  std::set<std::string> seen_pairs;
  int jpy = 0;
  for (const std::string& sym : t.Symbols()) {
    Result<const Instrument*> r = t.Find(sym);
    ASSERT_TRUE(r.ok());
    const Instrument& in = **r;
    EXPECT_EQ(in.symbol, sym);
    EXPECT_EQ(in.base + in.quote, sym);
    if (sym == "XAUUSD") continue;
    // Both currencies are among the eight, base ranks before quote in market order.
    ASSERT_GE(Rank(in.base), 0) << sym;
    ASSERT_GE(Rank(in.quote), 0) << sym;
    EXPECT_LT(Rank(in.base), Rank(in.quote)) << sym;
    seen_pairs.insert(in.base + "/" + in.quote);
    EXPECT_DOUBLE_EQ(in.contract_size, 100000) << sym;
    if (in.quote == "JPY") {
      ++jpy;
      EXPECT_EQ(in.price_precision, 3) << sym;
      EXPECT_DOUBLE_EQ(in.pip_size, 0.01) << sym;
      EXPECT_DOUBLE_EQ(in.point(), 0.001) << sym;
    } else {
      EXPECT_EQ(in.price_precision, 5) << sym;
      EXPECT_DOUBLE_EQ(in.pip_size, 0.0001) << sym;
      EXPECT_DOUBLE_EQ(in.point(), 0.00001) << sym;
    }
    const bool has_oceania =
        in.base == "AUD" || in.base == "NZD" || in.quote == "AUD" || in.quote == "NZD";
    EXPECT_DOUBLE_EQ(in.margin_rate, has_oceania ? 0.05 : 0.0333) << sym;
    EXPECT_GT(in.commission_per_million, 0) << sym;
  }
  EXPECT_EQ(seen_pairs.size(), 28u);  // every unordered pair of the 8 currencies once
  EXPECT_EQ(jpy, 7);
  for (const char* s : {"EURUSD", "GBPJPY", "AUDNZD", "NZDCAD", "USDCHF", "CADJPY", "EURGBP",
                        "CHFJPY", "GBPCHF", "AUDCAD", "USDJPY"}) {
    EXPECT_TRUE(t.Find(s).ok()) << s;
  }
  for (const char* s : {"USDEUR", "JPYUSD", "GBPEUR", "CADNZD"}) {
    EXPECT_FALSE(t.Find(s).ok()) << s;
  }
}

TEST(InstrumentTableTest, GoldConventions) {
  const Instrument& xau = **InstrumentTable::Builtin().Find("XAUUSD");
  EXPECT_EQ(xau.base, "XAU");
  EXPECT_EQ(xau.quote, "USD");
  EXPECT_EQ(xau.price_precision, 2);
  EXPECT_DOUBLE_EQ(xau.pip_size, 0.01);
  EXPECT_DOUBLE_EQ(xau.contract_size, 100);
  EXPECT_DOUBLE_EQ(xau.margin_rate, 0.05);
  EXPECT_LT(xau.swap_long, 0);  // gold earns nothing, USD pays: long gold costs
}

TEST(InstrumentTableTest, SwapSignsFollowRateDifferentials) {
  const InstrumentTable& t = InstrumentTable::Builtin();
  // USD rates above JPY and CHF: long USDJPY/USDCHF earns, short pays.
  for (const char* s : {"USDJPY", "USDCHF", "GBPJPY", "NZDJPY"}) {
    const Instrument& in = **t.Find(s);
    EXPECT_GT(in.swap_long, 0) << s;
    EXPECT_LT(in.swap_short, 0) << s;
  }
  // EUR below USD: long EURUSD pays, short earns.
  const Instrument& eu = **t.Find("EURUSD");
  EXPECT_LT(eu.swap_long, 0);
  EXPECT_GT(eu.swap_short, 0);
  // The markup makes the two sides sum to a cost everywhere.
  for (const std::string& s : t.Symbols()) {
    const Instrument& in = **t.Find(s);
    EXPECT_LT(in.swap_long + in.swap_short, 0) << s;
  }
}

TEST(InstrumentTableTest, FindIsCaseInsensitiveAndAcceptsSeparators) {
  const InstrumentTable& t = InstrumentTable::Builtin();
  for (const char* s : {"EURUSD", "eurusd", "EUR/USD", "eur_usd", "Eur/Usd"}) {
    Result<const Instrument*> r = t.Find(s);
    ASSERT_TRUE(r.ok()) << s;
    EXPECT_EQ((*r)->symbol, "EURUSD");
  }
  EXPECT_EQ(InstrumentTable::NormalizeSymbol("gbp_jpy"), "GBPJPY");
}

TEST(InstrumentTableTest, UnknownSymbolListsKnownOnes) {
  Result<const Instrument*> r = InstrumentTable::Builtin().Find("EURXYZ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("EURXYZ"), std::string::npos);
  EXPECT_NE(r.status().message().find("AUDCAD"), std::string::npos);
  EXPECT_NE(r.status().message().find("XAUUSD"), std::string::npos);
}

TEST(InstrumentTableTest, OverridesKnownSymbolAndAddsNewOne) {
  Result<InstrumentTable> r = LoadToml("ok.toml", R"(
[EURUSD]
swap_long = -6.1
commission_per_million = 25
margin_rate = 0.02

["gbp/jpy"]
contract_size = 10000

[USDSEK]
base = "USD"
quote = "sek"
pip_size = 0.0001
price_precision = 5
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const InstrumentTable& t = *r;
  EXPECT_EQ(t.size(), 30u);
  const Instrument& eu = **t.Find("EURUSD");
  EXPECT_DOUBLE_EQ(eu.swap_long, -6.1);
  EXPECT_DOUBLE_EQ(eu.commission_per_million, 25);
  EXPECT_DOUBLE_EQ(eu.margin_rate, 0.02);
  // Untouched fields keep their built-in values.
  const Instrument& builtin_eu = **InstrumentTable::Builtin().Find("EURUSD");
  EXPECT_DOUBLE_EQ(eu.swap_short, builtin_eu.swap_short);
  EXPECT_EQ(eu.price_precision, 5);
  EXPECT_DOUBLE_EQ((*t.Find("GBPJPY"))->contract_size, 10000);
  EXPECT_EQ((*t.Find("GBPJPY"))->price_precision, 3);
  const Instrument& sek = **t.Find("usd/sek");
  EXPECT_EQ(sek.symbol, "USDSEK");
  EXPECT_EQ(sek.quote, "SEK");
  EXPECT_DOUBLE_EQ(sek.contract_size, 100000);  // default
  EXPECT_GT(sek.commission_per_million, 0);
  // The built-in table is unchanged.
  EXPECT_EQ(InstrumentTable::Builtin().size(), 29u);
  EXPECT_DOUBLE_EQ(builtin_eu.commission_per_million, 35);
}

struct BadCase {
  const char* name;
  const char* toml;
  StatusCode code;
  std::vector<std::string> needles;  // all must appear in the message
};

TEST(InstrumentTableTest, EveryErrorNamesFileAndKey) {
  const std::vector<BadCase> cases = {
      {"unknown_key",
       "[EURUSD]\n\nspread = 1\n",
       StatusCode::kInvalidArgument,
       {"unknown_key.toml:3", "[EURUSD]", "'spread'", "unknown key"}},
      {"wrong_type_str",
       "[EURUSD]\npip_size = \"0.0001\"\n",
       StatusCode::kInvalidArgument,
       {"wrong_type_str.toml:2", "'pip_size'", "expected a number"}},
      {"wrong_type_prec",
       "[EURUSD]\nprice_precision = 5.0\n",
       StatusCode::kInvalidArgument,
       {"'price_precision'", "expected an integer"}},
      {"wrong_type_bool",
       "[EURUSD]\nswap_long = true\n",
       StatusCode::kInvalidArgument,
       {"'swap_long'", "a boolean"}},
      {"wrong_type_base",
       "[EURUSD]\nbase = 1\n",
       StatusCode::kInvalidArgument,
       {"'base'", "expected a string"}},
      {"bad_currency",
       "[EURUSD]\nbase = \"EURO\"\n",
       StatusCode::kInvalidArgument,
       {"'base'", "3-letter"}},
      {"precision_high",
       "[EURUSD]\nprice_precision = 10\n",
       StatusCode::kInvalidArgument,
       {"'price_precision'", "0..9"}},
      {"precision_neg",
       "[EURUSD]\nprice_precision = -1\n",
       StatusCode::kInvalidArgument,
       {"'price_precision'", "0..9"}},
      {"pip_zero", "[EURUSD]\npip_size = 0\n", StatusCode::kInvalidArgument, {"'pip_size'", "> 0"}},
      {"pip_neg",
       "[EURUSD]\npip_size = -0.0001\n",
       StatusCode::kInvalidArgument,
       {"'pip_size'", "> 0"}},
      {"pip_nan",
       "[EURUSD]\npip_size = nan\n",
       StatusCode::kInvalidArgument,
       {"'pip_size'", "finite"}},
      {"pip_finer_than_point",
       "[EURUSD]\npip_size = 0.000001\n",
       StatusCode::kInvalidArgument,
       {"'pip_size'", "finer than a point"}},
      {"contract_zero",
       "[XAUUSD]\ncontract_size = 0\n",
       StatusCode::kInvalidArgument,
       {"[XAUUSD]", "'contract_size'", "> 0"}},
      {"margin_big",
       "[EURUSD]\nmargin_rate = 1.5\n",
       StatusCode::kInvalidArgument,
       {"'margin_rate'", "(0, 1]"}},
      {"commission_neg",
       "[EURUSD]\ncommission_per_million = -1\n",
       StatusCode::kInvalidArgument,
       {"'commission_per_million'", ">= 0"}},
      {"missing_field",
       "[USDSEK]\nbase = \"USD\"\nquote = \"SEK\"\npip_size = 0.0001\n",
       StatusCode::kInvalidArgument,
       {"[USDSEK]", "'price_precision'", "missing"}},
      {"missing_base",
       "[USDSEK]\nquote = \"SEK\"\npip_size = 0.0001\nprice_precision = 5\n",
       StatusCode::kInvalidArgument,
       {"'base'", "missing"}},
      {"base_mismatch",
       "[USDSEK]\nbase = \"USD\"\nquote = \"NOK\"\npip_size = 0.0001\nprice_precision = 5\n",
       StatusCode::kInvalidArgument,
       {"[USDSEK]", "must equal the symbol"}},
      {"not_a_table",
       "EURUSD = 1\n",
       StatusCode::kInvalidArgument,
       {"not_a_table.toml:1", "[EURUSD]", "expected a table"}},
      {"bad_symbol",
       "[\"EUR-USD\"]\npip_size = 0.0001\n",
       StatusCode::kInvalidArgument,
       {"bad symbol name"}},
      {"twice",
       "[EURUSD]\nswap_long = 1\n[\"eur/usd\"]\nswap_long = 2\n",
       StatusCode::kInvalidArgument,
       {"defined twice"}},
      {"syntax", "[EURUSD]\nswap_long = = 3\n", StatusCode::kParseError, {"syntax.toml:2"}},
      {"syntax_table", "[EURUSD\n", StatusCode::kParseError, {"syntax_table.toml:1"}},
  };
  for (const BadCase& c : cases) {
    Result<InstrumentTable> r = LoadToml(std::string(c.name) + ".toml", c.toml);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(std::string(c.name) + ".toml"), std::string::npos)
        << c.name << ": " << r.status().ToString();
    for (const std::string& n : c.needles) {
      EXPECT_NE(r.status().message().find(n), std::string::npos)
          << c.name << ": '" << n << "' not in: " << r.status().ToString();
    }
  }
}

TEST(InstrumentTableTest, MissingFileIsNotFound) {
  Result<InstrumentTable> r = InstrumentTable::LoadWithOverrides(TempPath("does_not_exist.toml"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("does_not_exist.toml"), std::string::npos);
}

TEST(InstrumentTableTest, EmptyFileGivesBuiltin) {
  Result<InstrumentTable> r = LoadToml("empty.toml", "# nothing\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Symbols(), InstrumentTable::Builtin().Symbols());
}

}  // namespace
}  // namespace arus::fx
