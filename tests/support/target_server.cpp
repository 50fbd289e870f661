#include "tests/support/target_server.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace troupe::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct behaviour {
  enum class kind { reply, hang, close } what = kind::reply;
  unsigned status = 404;
  std::string body = "no such path\n";
  std::string content_type = "text/plain";
};

class connection;

} // namespace

struct target_server::impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::uint16_t port = 0;

  mutable std::mutex mutex;
  std::map<std::string, behaviour> behaviours;
  std::map<std::string, std::size_t> counts;

  // Touched on the server's thread only, and after it has been joined.
  std::vector<std::weak_ptr<connection>> connections;
  std::vector<std::shared_ptr<connection>> hanging;

  void accept();
};

namespace {

class connection : public std::enable_shared_from_this<connection> {
public:
  connection(tcp::socket socket, target_server::impl* server) : socket_(std::move(socket)), server_(server) {}

  void start() {
    http::async_read(socket_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
  }

  void close() {
    beast::error_code ignored;
    socket_.close(ignored);
  }

private:
  void on_request(beast::error_code ec) {
    if (ec)
      return close();
    auto target = std::string(request_.target());
    auto path = target.substr(0, target.find('?'));
    behaviour b;
    {
      std::lock_guard lock(server_->mutex);
      ++server_->counts[path];
      if (auto i = server_->behaviours.find(path); i != server_->behaviours.end())
        b = i->second;
    }
    switch (b.what) {
      case behaviour::kind::hang:
        server_->hanging.push_back(shared_from_this());
        return;
      case behaviour::kind::close:
        return close();
      case behaviour::kind::reply:
        break;
    }
    response_.version(11);
    response_.result(b.status);
    response_.set(http::field::content_type, b.content_type);
    response_.body() = std::move(b.body);
    response_.keep_alive(false);
    response_.prepare_payload();
    http::async_write(socket_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
      self->close();
    });
  }

  tcp::socket socket_;
  target_server::impl* server_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

} // namespace

void target_server::impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted)
      return;
    if (!ec) {
      connections.erase(std::remove_if(connections.begin(), connections.end(),
                                       [](auto& weak) { return weak.expired(); }),
                        connections.end());
      auto c = std::make_shared<connection>(std::move(socket), this);
      connections.push_back(c);
      c->start();
    }
    accept();
  });
}

target_server::target_server() : impl_(std::make_shared<impl>()) {
  tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([i = impl_.get()] { i->io.run(); });
}

target_server::~target_server() {
  stop();
}

std::uint16_t target_server::port() const {
  return impl_->port;
}

std::string target_server::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + path;
}

void target_server::reply(const std::string& path, unsigned status, std::string body, std::string content_type) {
  std::lock_guard lock(impl_->mutex);
  impl_->behaviours[path] = {behaviour::kind::reply, status, std::move(body), std::move(content_type)};
}

void target_server::hang(const std::string& path) {
  std::lock_guard lock(impl_->mutex);
  impl_->behaviours[path] = {behaviour::kind::hang, 0, {}, {}};
}

void target_server::close_connection(const std::string& path) {
  std::lock_guard lock(impl_->mutex);
  impl_->behaviours[path] = {behaviour::kind::close, 0, {}, {}};
}

std::size_t target_server::requests(const std::string& path) const {
  std::lock_guard lock(impl_->mutex);
  auto i = impl_->counts.find(path);
  return i == impl_->counts.end() ? 0 : i->second;
}

void target_server::stop() {
  auto& i = *impl_;
  if (!i.thread.joinable())
    return;
  i.io.stop();
  i.thread.join();
  beast::error_code ignored;
  i.acceptor.close(ignored);
  for (auto& weak : i.connections)
    if (auto c = weak.lock())
      c->close();
  i.hanging.clear();
  i.connections.clear();
}

} // namespace troupe::testing
