#pragma once

#include <string>
#include <string_view>

namespace troupe::logging {

// Every log line becomes one JSON object:
// {"time","level","node","request_id"?,"msg"} on stdout.
void init(const std::string& node_name, const std::string& level);

// While alive, log lines written by this thread carry `request_id`, which
// must outlive the scope.
class request_scope {
public:
  explicit request_scope(std::string_view request_id);
  ~request_scope();
  request_scope(const request_scope&) = delete;
  request_scope& operator=(const request_scope&) = delete;

private:
  std::string_view previous_;
};

} // namespace troupe::logging
