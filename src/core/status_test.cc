#include "core/status.h"

#include <gtest/gtest.h>

namespace arus {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ARUS_ASSIGN_OR_RETURN(int h, Half(x));
  ARUS_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFound("x");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not found: x");
  EXPECT_EQ(s.WithContext("store").message(), "store: x");
}

TEST(StatusTest, ParseErrorNamesFileLineAndField) {
  Status s = ParseError("ticks.csv", 12, "bid", "not a number: 'abc'");
  EXPECT_EQ(s.code(), StatusCode::kParseError);
  EXPECT_EQ(s.message(), "ticks.csv:12: field 'bid': not a number: 'abc'");
  EXPECT_EQ(ParseError("f.bin", 0, "", "truncated").message(), "f.bin: truncated");
}

TEST(StatusTest, ResultPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_TRUE(Quarter(4).status().ok());
}

}  // namespace
}  // namespace arus
