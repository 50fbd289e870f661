#pragma once

#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/checker/messages.hpp"
#include "runtime/config.hpp"

namespace troupe::checker {

// The parts of an http:// URL a scrape needs.
struct http_url {
  std::string host;
  std::string port = "80";
  std::string target = "/"; // path and query
};

caf::expected<http_url> parse_http_url(const std::string& url);

// errc::invalid_argument naming the first bad field, or no error.
caf::error validate(const target_spec& spec);

// A target from config: NAME=URL[,kind=http][,interval_ms=N][,timeout_ms=N],
// with the configured defaults for what it leaves out.
caf::expected<target_spec> parse_target_entry(const std::string& entry, const node_config& cfg);

} // namespace troupe::checker
