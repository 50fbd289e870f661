#include "http/router.hpp"

#include "runtime/metrics.hpp"

namespace troupe::http {
namespace {

// Matches `path` against `pattern` one segment at a time.
bool matches(std::string_view pattern, std::string_view path, std::vector<std::string>& params) {
  params.clear();
  while (!pattern.empty() && !path.empty()) {
    auto p_end = pattern.find('/', 1);
    auto s_end = path.find('/', 1);
    auto p = pattern.substr(0, p_end);
    auto s = path.substr(0, s_end);
    if (p.size() > 2 && p[1] == '{') {
      if (s.size() < 2)
        return false;
      params.emplace_back(s.substr(1));
    } else if (p != s) {
      return false;
    }
    pattern.remove_prefix(p.size());
    path.remove_prefix(s.size());
  }
  return pattern.empty() && path.empty();
}

} // namespace

router::router(metrics& m) : metrics_(m) {
  fallback_ = make_route("*", "unmatched", nullptr);
}

route router::make_route(std::string method, std::string pattern, handler h) {
  route r{std::move(method), std::move(pattern), std::move(h), {}, nullptr};
  static const char* classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  for (int i = 0; i < 5; ++i)
    r.requests[i] = &metrics_.http_requests.Add({{"route", r.pattern}, {"method", r.method}, {"status", classes[i]}});
  r.duration = &metrics_.http_duration.Add(
    {{"route", r.pattern}}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                                    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5});
  return r;
}

void router::add(std::string method, std::string pattern, handler h) {
  routes_.push_back(make_route(std::move(method), std::move(pattern), std::move(h)));
}

router::match_result router::match(std::string_view method, std::string_view path,
                                   std::vector<std::string>& params) const {
  bool path_known = false;
  for (auto& r : routes_) {
    if (!matches(r.pattern, path, params))
      continue;
    if (r.method == method)
      return {&r, 200};
    path_known = true;
  }
  params.clear();
  return {&fallback_, path_known ? 405u : 404u};
}

} // namespace troupe::http
