#pragma once

#include <cstdint>
#include <memory>
#include <string>

// A stand-in for the things a checker scrapes: an HTTP server on
// 127.0.0.1:<free port> with its own thread, whose answer per path the test
// sets and may change at any time. Unknown paths get 404. It counts the
// requests per path. A "refused" target needs no server: use free_port().
namespace troupe::testing {

class target_server {
public:
  target_server();
  ~target_server();
  target_server(const target_server&) = delete;
  target_server& operator=(const target_server&) = delete;

  std::uint16_t port() const;
  // http://127.0.0.1:PORT<path>
  std::string url(const std::string& path) const;

  // Answers `path` with `status` and `body`.
  void reply(const std::string& path, unsigned status, std::string body,
             std::string content_type = "text/plain; version=0.0.4; charset=utf-8");
  // Reads the request to `path`, then never answers; the connection stays
  // open until the server stops.
  void hang(const std::string& path);
  // Reads the request to `path`, then closes the connection without a word.
  void close_connection(const std::string& path);

  // Requests received for `path` (query strings aside).
  std::size_t requests(const std::string& path) const;

  // Closes every connection and joins the thread; the destructor calls it.
  void stop();

  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace troupe::testing
