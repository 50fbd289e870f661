#include "persistence/sql_array.hpp"

#include <catch2/catch.hpp>

using namespace troupe::persistence;

TEST_CASE("number arrays are plain comma-separated literals") {
  CHECK(int_array(std::vector<int>{}) == "{}");
  CHECK(int_array(std::vector<int>{1, -2, 3}) == "{1,-2,3}");
  CHECK(int_array(std::vector<std::int64_t>{9'000'000'000}) == "{9000000000}");
}

TEST_CASE("text array elements are quoted, with quotes and backslashes escaped") {
  CHECK(text_array({}) == "{}");
  CHECK(text_array({"a", "", "NULL"}) == R"({"a","","NULL"})");
  CHECK(text_array({R"(x,"y"\{z})"}) == R"({"x,\"y\"\\{z}"})");
}
