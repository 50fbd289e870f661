#include "tests/support/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace troupe::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

tcp::endpoint local(std::uint16_t port) {
  return {asio::ip::make_address_v4("127.0.0.1"), port};
}

} // namespace

std::string http_response::header(const std::string& name) const {
  auto i = headers.find(lower(name));
  return i == headers.end() ? std::string{} : i->second;
}

bool http_response::has_header(const std::string& name) const {
  return headers.count(lower(name)) > 0;
}

nlohmann::json http_response::json() const {
  return nlohmann::json::parse(body, nullptr, false);
}

http_response http_request(const std::string& method, std::uint16_t port, const std::string& target,
                           const std::string& body, const header_list& headers,
                           std::chrono::milliseconds timeout) {
  http_response out;
  asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  if (req.method() == http::verb::unknown)
    req.method_string(method);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::connection, "close");
  if (!body.empty())
    req.set(http::field::content_type, "application/json");
  for (auto& [k, v] : headers)
    req.set(k, v);
  req.body() = body;
  req.prepare_payload();

  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{1} << 30);
  beast::flat_buffer buffer;
  std::optional<beast::error_code> read_result;
  beast::error_code connect_error;

  // The request is written while the answer is read: a server may answer
  // (413) and close before it has taken the whole body.
  stream.expires_after(timeout);
  stream.async_connect(local(port), [&](beast::error_code ec) {
    if (ec) {
      connect_error = ec;
      return;
    }
    http::async_write(stream, req, [](beast::error_code, std::size_t) {});
    http::async_read(stream, buffer, parser, [&](beast::error_code ec, std::size_t) {
      read_result = ec;
      beast::error_code ignored;
      stream.socket().cancel(ignored);
    });
  });
  io.run();

  if (connect_error) {
    out.error = "connect: " + connect_error.message();
    return out;
  }
  if (!read_result || *read_result) {
    out.error = "read: " + (read_result ? read_result->message() : std::string("no answer"));
    return out;
  }
  auto res = parser.release();
  out.status = res.result_int();
  for (auto& f : res)
    out.headers[lower(std::string(f.name_string()))] = std::string(f.value());
  out.body = std::move(res.body());
  return out;
}

http_response http_get(std::uint16_t port, const std::string& target, const header_list& headers,
                       std::chrono::milliseconds timeout) {
  return http_request("GET", port, target, {}, headers, timeout);
}

http_response http_post(std::uint16_t port, const std::string& target, const std::string& body,
                        const header_list& headers) {
  return http_request("POST", port, target, body, headers);
}

http_response http_delete(std::uint16_t port, const std::string& target, const header_list& headers) {
  return http_request("DELETE", port, target, {}, headers);
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  std::string reply;
  char chunk[4096];
  std::function<void()> read_more = [&] {
    stream.async_read_some(asio::buffer(chunk), [&](beast::error_code ec, std::size_t n) {
      reply.append(chunk, n);
      if (!ec)
        read_more();
    });
  };
  stream.expires_after(timeout);
  stream.async_connect(local(port), [&](beast::error_code ec) {
    if (ec)
      return;
    asio::async_write(stream, asio::buffer(bytes), [](beast::error_code, std::size_t) {});
    read_more();
  });
  io.run();
  return reply;
}

} // namespace troupe::testing
