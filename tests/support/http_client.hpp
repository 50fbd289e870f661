#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

// A synchronous HTTP/1.1 client for 127.0.0.1, one connection per request.
// It never throws on transport trouble: status 0 and `error` say what broke.
namespace troupe::testing {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_response {
  unsigned status = 0; // 0: no response, see `error`
  std::map<std::string, std::string> headers; // names lower-case
  std::string body;
  std::string error;

  // The value of a header, "" when absent; `name` in any case.
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
  // The body as JSON; a body that is not JSON gives a discarded value.
  nlohmann::json json() const;
};

http_response http_request(const std::string& method, std::uint16_t port, const std::string& target,
                           const std::string& body = {}, const header_list& headers = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds{10});

http_response http_get(std::uint16_t port, const std::string& target, const header_list& headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds{10});
http_response http_post(std::uint16_t port, const std::string& target, const std::string& body = {},
                        const header_list& headers = {});
http_response http_delete(std::uint16_t port, const std::string& target, const header_list& headers = {});

// Sends `bytes` as they are, then returns all the server sends back until it
// closes the connection or `timeout` passes: for requests that are not HTTP.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds{10});

} // namespace troupe::testing
