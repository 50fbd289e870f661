#pragma once

#include <functional>
#include <string>

namespace troupe::testing {

// While one of these lives, every failed assertion also prints `describe()`
// under `title`: the tail of a node's or PostgreSQL's log, which usually says
// why. Printing happens in a Catch listener (failure_context.cpp).
class failure_context {
public:
  failure_context(std::string title, std::function<std::string()> describe);
  ~failure_context();
  failure_context(const failure_context&) = delete;
  failure_context& operator=(const failure_context&) = delete;

private:
  std::size_t id_;
};

} // namespace troupe::testing
