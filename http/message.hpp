#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The edge's own request and response: handlers never see Beast.
namespace troupe::http {

struct request {
  std::string method;
  std::string path;  // without the query
  std::string query; // raw, without '?'
  std::string body;
  std::string request_id;
  std::vector<std::pair<std::string, std::string>> headers; // names lower-case
  std::vector<std::string> params;                          // path captures, in order
  // Who is calling, set by http/auth once it has checked the credentials;
  // empty for an anonymous request.
  std::string user_id;
  std::string client_id;
  std::string role;
  std::string session_id; // the caller's session, which logout ends

  std::string_view header(std::string_view lower_case_name) const;
  // The first value of a query parameter, percent-decoded.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct response {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// Call exactly once, from any thread.
using respond_fn = std::function<void(response)>;
using handler = std::function<void(const request&, respond_fn)>;

} // namespace troupe::http
