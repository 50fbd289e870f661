#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/config.hpp"

namespace troupe {
struct metrics;
}

namespace troupe::http {

class router;

// The HTTP/1.1 edge: asynchronous (Boost.Beast), keep-alive, a fixed pool of
// I/O threads, header/body/idle limits, an X-Request-Id on every response.
class server {
public:
  server(const decltype(node_config::http)& cfg, const std::string& node_name, const router& routes, metrics& m);
  ~server();

  // Binds (throws when it cannot) and starts the I/O threads.
  void start();
  std::uint16_t port() const;

  // Stops accepting, closes idle connections, lets in-flight requests
  // finish until `drain` has passed, then stops the I/O threads.
  void stop(milliseconds drain);

  struct impl; // public so that server.cpp's sessions can name it

private:
  std::unique_ptr<impl> impl_;
};

} // namespace troupe::http
