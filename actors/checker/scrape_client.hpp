#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/checker/target_spec.hpp"
#include "runtime/config.hpp"

namespace troupe::checker {

struct scrape_response {
  // Empty when a response arrived; otherwise why none did:
  // refused, timeout, resolve, too_large, connection.
  std::string error;
  int status = 0;
  std::string body;
  double latency_ms = 0;
};

// An asynchronous HTTP/1.1 GET client on its own Asio threads, many
// requests in flight at once. `done` runs on one of those threads, exactly
// once, unless the client is destroyed first.
class scrape_client {
public:
  scrape_client(int io_threads, std::size_t max_body);
  ~scrape_client();
  scrape_client(const scrape_client&) = delete;
  scrape_client& operator=(const scrape_client&) = delete;

  void fetch(const http_url& url, milliseconds timeout, std::function<void(scrape_response)> done);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace troupe::checker

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::checker::scrape_response)
