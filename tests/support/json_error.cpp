#include "tests/support/json_error.hpp"

#include <catch2/catch.hpp>

namespace troupe::testing {

void check_json_error(const http_response& r, unsigned status, const std::string& names) {
  INFO("answered " << r.status << " " << r.body << r.error);
  CHECK(r.status == status);
  auto j = r.json();
  REQUIRE(j.is_object());
  CHECK(j["code"] == status);
  CHECK(j["error"].is_string());
  REQUIRE(j["message"].is_string());
  CHECK_THAT(j["message"].get<std::string>(), Catch::Matchers::Contains(names));
}

} // namespace troupe::testing
