#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace prometheus {
class Counter;
class Histogram;
} // namespace prometheus

namespace troupe {
struct metrics;
}

namespace troupe::http {

struct route {
  std::string method;
  std::string pattern; // "/api/v1/targets/{id}": also the metrics label
  handler handle;
  // Resolved once here, so that a request costs no metric-family lookup.
  std::array<prometheus::Counter*, 5> requests{}; // by status class 1xx..5xx
  prometheus::Histogram* duration = nullptr;
};

// Method + path pattern -> handler. `{name}` matches one path segment.
class router {
public:
  explicit router(metrics& m);

  void add(std::string method, std::string pattern, handler h);

  struct match_result {
    const route* found = nullptr; // the route, or the 404/405 fallback
    unsigned status = 200;        // 404 or 405 when no route matched
  };
  match_result match(std::string_view method, std::string_view path, std::vector<std::string>& params) const;

  const route& fallback() const { return fallback_; }

private:
  route make_route(std::string method, std::string pattern, handler h);
  std::vector<route> routes_;
  route fallback_;
  metrics& metrics_;
};

} // namespace troupe::http
