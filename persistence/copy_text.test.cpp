#include "persistence/copy_text.hpp"

#include <cmath>

#include <catch2/catch.hpp>

using namespace troupe::persistence::copy_text;

TEST_CASE("COPY fields escape backslash, tab, newline and carriage return") {
  std::string out;
  append_field(out, "a\\b\tc\nd\re");
  CHECK(out == "a\\\\b\\tc\\nd\\re");
}

TEST_CASE("JSON strings survive quotes, control characters and invalid UTF-8") {
  std::string out;
  append_json_string(out, "say \"hi\"\\\x01");
  CHECK(out == R"("say \"hi\"\\\u0001")");
  out.clear();
  append_json_string(out, std::string("ok\xff\xc0\x80\0z", 7));
  CHECK(out == "\"ok\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz\"");
  out.clear();
  append_json_string(out, "Фигака \xF0\x9F\x98\x80");
  CHECK(out == "\"Фигака \xF0\x9F\x98\x80\"");
}

TEST_CASE("doubles are written so PostgreSQL reads them back, special values included") {
  std::string out;
  append_double(out, NAN);
  out += ' ';
  append_double(out, INFINITY);
  out += ' ';
  append_double(out, -INFINITY);
  out += ' ';
  append_double(out, 0.1);
  CHECK(out == "NaN Infinity -Infinity 0.1");
}

TEST_CASE("timestamps are UTC with milliseconds") {
  std::string out;
  append_timestamp(out, 1714564800250);
  CHECK(out == "2024-05-01 12:00:00.250+00");
}

TEST_CASE("text for a TEXT column keeps valid UTF-8 and replaces NUL and invalid bytes") {
  CHECK(valid_utf8("Собака ok") == "Собака ok");
  CHECK(valid_utf8(std::string("a\0b\xff", 4)) == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  CHECK(valid_utf8("\xc0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD");
}
