#include "http/rfc3339.hpp"

#include <catch2/catch.hpp>

using namespace troupe::http;

TEST_CASE("RFC 3339 times parse to epoch milliseconds, offsets and fractions included") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("2024-05-01T12:00:00Z") == 1714564800000);
  CHECK(parse_rfc3339("2024-05-01T15:00:00.250+03:00") == 1714564800250);
  CHECK(parse_rfc3339("2024-05-01T11:30:00-00:30") == 1714564800000);
}

TEST_CASE("malformed times are refused") {
  for (auto s : {"", "2024-05-01", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z", "2024-05-01T12:00:00Zjunk",
                 "2024-05-01T12:00:00.Z", "yesterday"})
    CHECK_FALSE(parse_rfc3339(s));
}

TEST_CASE("formatting gives UTC with milliseconds and reads back") {
  CHECK(format_rfc3339(1714564800250) == "2024-05-01T12:00:00.250Z");
  CHECK(parse_rfc3339(format_rfc3339(1714564800250)) == 1714564800250);
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59.999Z");
}
