#include "actors/bridge/envelope.hpp"

#include <catch2/catch.hpp>

#include "runtime/errors.hpp"

using troupe::bridge::parse_envelope;

namespace {

const char* id = "0b9f0c5e-6a53-4a8e-9d8e-3f1c2b7a9e10";

std::string why(const std::string& payload) {
  auto e = parse_envelope(payload);
  REQUIRE_FALSE(e);
  CHECK(troupe::is(e.error(), troupe::errc::invalid_argument));
  return troupe::error_message(e.error());
}

} // namespace

TEST_CASE("an envelope gives its id, type, time and data") {
  auto e = parse_envelope(std::string(R"({"id":")") + id +
                          R"(","type":"annotation.added","occurred_at":"2026-11-23T08:00:00Z","source":"ci",)"
                          R"("data":{"text":"deploy"}})");
  REQUIRE(e);
  CHECK(e->id == id);
  CHECK(e->type == "annotation.added");
  CHECK(e->occurred_at == "2026-11-23T08:00:00Z");
  CHECK(e->data == R"({"text":"deploy"})");
}

TEST_CASE("a payload that is no envelope says what is wrong with it") {
  auto with = [](const std::string& id_value, const std::string& rest) {
    return R"({"id":)" + id_value + "," + rest + "}";
  };
  auto quoted = std::string("\"") + id + "\"";
  CHECK(why("garbage") == "not a JSON object");
  CHECK(why("[1,2]") == "not a JSON object");
  CHECK(why(std::string("\xff\xfe", 2)) == "not a JSON object");
  CHECK(why(with("\"not-a-uuid\"", R"("type":"t","occurred_at":"x","data":{})")) == "id: expected a UUID");
  CHECK(why(with("42", R"("type":"t","occurred_at":"x","data":{})")) == "id: expected a UUID");
  CHECK(why(with(quoted, R"("type":"","occurred_at":"x","data":{})")) == "type: expected a non-empty string");
  CHECK(why(with(quoted, R"("type":"t","data":{})")) == "occurred_at: expected an RFC 3339 time");
  CHECK(why(with(quoted, R"("type":"t","occurred_at":"x","data":[1])")) == "data: expected a JSON object");
  CHECK(why(with(quoted, R"("type":"t","occurred_at":"x")")) == "data: expected a JSON object");
}
