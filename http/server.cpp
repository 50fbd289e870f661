#include "http/server.hpp"

#include <atomic>
#include <charconv>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "http/error_mapping.hpp"
#include "http/router.hpp"
#include "runtime/logging.hpp"
#include "runtime/metrics.hpp"

namespace troupe::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

class session;

struct server::impl {
  impl(const decltype(node_config::http)& c, const router& r, metrics& m)
    : cfg(c), routes(r), metrics_(m), acceptor(asio::make_strand(io)) {}

  decltype(node_config::http) cfg;
  const router& routes;
  metrics& metrics_;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::set<std::shared_ptr<session>> sessions;
  std::string id_prefix;
  std::atomic<std::uint64_t> next_id{0};

  void accept();
  void new_request_id(std::string& out) {
    char buf[16];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ++next_id, 16);
    out.assign(id_prefix).append(buf, end);
  }
};

// One connection: read a request, hand it to its handler, write the answer,
// and again while the client keeps the connection alive.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket socket, server::impl* srv) : stream_(std::move(socket)), srv_(srv) {}

  void start() { asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); }); }

  // From stop(): an idle connection closes now, a busy one after its answer.
  void close_when_idle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_)
        self->close();
    });
  }

private:
  void read() {
    if (srv_->stopping)
      return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_->cfg.header_limit));
    parser_->body_limit(srv_->cfg.body_limit);
    stream_.expires_after(srv_->cfg.idle_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::bad_descriptor)
      return close();
    if (ec == bhttp::error::body_limit)
      return fail(413, "payload_too_large",
                  "request body exceeds " + std::to_string(srv_->cfg.body_limit) + " bytes");
    if (ec == bhttp::error::header_limit)
      return fail(431, "header_too_large",
                  "request headers exceed " + std::to_string(srv_->cfg.header_limit) + " bytes");
    if (ec) {
      if (parser_->got_some() || buffer_.size() > 0)
        return fail(400, "bad_request", "malformed HTTP request: " + ec.message());
      return close();
    }
    dispatch(parser_->release());
  }

  // The request object is the session's and is reused: one request is in
  // flight per connection, and handlers copy what they keep.
  void dispatch(bhttp::request<bhttp::string_body>&& req) {
    busy_ = true;
    started_ = std::chrono::steady_clock::now();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    auto& r = request_;
    r.method.assign(req.method_string().data(), req.method_string().size());
    auto target = std::string_view(req.target().data(), req.target().size());
    auto q = target.find('?');
    r.path.assign(target.substr(0, q));
    r.query.assign(q == std::string_view::npos ? std::string_view{} : target.substr(q + 1));
    r.body = std::move(req.body());
    r.headers.clear();
    for (auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    auto given = r.header("x-request-id");
    if (!given.empty() && given.size() <= 200)
      r.request_id.assign(given);
    else
      srv_->new_request_id(r.request_id);
    auto m = srv_->routes.match(r.method, r.path, r.params);
    route_ = m.found;
    if (m.status != 200)
      return write(error_response(m.status, m.status == 404 ? "not_found" : "method_not_allowed",
                                  m.status == 404 ? "no route for " + r.path
                                                  : "method " + r.method + " not allowed on " + r.path));
    logging::request_scope scope(r.request_id);
    responded_ = false;
    // The session keeps itself alive until it has answered, so that the
    // responder needs only `this` (and std::function no allocation).
    self_ = shared_from_this();
    respond_fn respond = [this](response res) {
      if (responded_.exchange(true))
        return;
      asio::dispatch(stream_.get_executor(), [this, res = std::move(res)]() mutable { write(std::move(res)); });
    };
    try {
      route_->handle(r, respond);
    } catch (const std::exception& e) {
      spdlog::error("{} {} threw: {}", r.method, route_->pattern, e.what());
      respond(error_response(500, "internal", "internal error"));
    }
  }

  void fail(unsigned status, const char* slug, const std::string& message) {
    busy_ = true;
    keep_alive_ = false;
    version_ = 11;
    started_ = std::chrono::steady_clock::now();
    route_ = &srv_->routes.fallback();
    srv_->new_request_id(request_.request_id);
    write(error_response(status, slug, message));
  }

  // The answer goes out as bytes built in a buffer the session reuses:
  // cheaper than Beast's serializer, whose header fields are allocated one
  // by one.
  void write(response res) {
    auto keep_alive = keep_alive_ && !srv_->stopping;
    auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
    auto& w = wire_;
    w.clear();
    w += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    append_number(w, res.status);
    w += ' ';
    w.append(reason.data(), reason.size());
    w += "\r\nContent-Type: ";
    w += res.content_type;
    w += "\r\nContent-Length: ";
    append_number(w, res.body.size());
    w += "\r\nX-Request-Id: ";
    w += request_.request_id;
    for (auto& [k, v] : res.headers) {
      w += "\r\n";
      w += k;
      w += ": ";
      w += v;
    }
    if (!keep_alive)
      w += "\r\nConnection: close";
    else if (version_ == 10)
      w += "\r\nConnection: keep-alive";
    w += "\r\n\r\n";
    if (request_.method != "HEAD")
      w += res.body;
    auto cls = std::min<unsigned>(std::max<unsigned>(res.status / 100, 1), 5) - 1;
    route_->requests[cls]->Increment();
    route_->duration->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    if (res.status >= 500) {
      logging::request_scope scope(request_.request_id);
      spdlog::warn("{} answered {}", route_->pattern, res.status);
    }
    stream_.expires_after(srv_->cfg.idle_timeout);
    asio::async_write(stream_, asio::buffer(wire_),
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        self->busy_ = false;
                        self->self_.reset();
                        if (ec || !keep_alive)
                          return self->close();
                        self->read();
                      });
  }

  static void append_number(std::string& out, std::size_t n) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, end);
  }

  void close() {
    if (closed_)
      return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
    std::lock_guard lock(srv_->mutex);
    srv_->sessions.erase(shared_from_this());
  }

  beast::tcp_stream stream_;
  server::impl* srv_; // outlives every session: stop() waits for them
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  request request_;
  std::string wire_;
  std::atomic<bool> responded_{false}; // a handler answers once, from any thread
  std::shared_ptr<session> self_;      // set while a handler owes an answer
  const route* route_ = nullptr;
  std::chrono::steady_clock::time_point started_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool closed_ = false;
};

void server::impl::accept() {
  // With one I/O thread every handler is already serialised: no strand.
  auto executor = cfg.io_threads > 1 ? asio::any_io_executor(asio::make_strand(io)) : io.get_executor();
  acceptor.async_accept(executor, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopping)
      return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      auto s = std::make_shared<session>(std::move(socket), this);
      {
        std::lock_guard lock(mutex);
        sessions.insert(s);
      }
      s->start();
    }
    accept();
  });
}

server::server(const decltype(node_config::http)& cfg, const std::string& node_name, const router& routes,
               metrics& m)
  : impl_(std::make_unique<impl>(cfg, routes, m)) {
  // Generated request ids: the node's name and a random process prefix, so
  // ids from different nodes and restarts never collide.
  std::random_device rd;
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", rd());
  impl_->id_prefix = node_name + "-" + buf + "-";
}

server::~server() {
  if (!impl_->threads.empty())
    stop(milliseconds{0});
}

void server::start() {
  auto& a = impl_->acceptor;
  tcp::endpoint ep(asio::ip::make_address(impl_->cfg.host), impl_->cfg.port);
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
  impl_->accept();
  for (int i = 0; i < impl_->cfg.io_threads; ++i)
    impl_->threads.emplace_back([this] { impl_->io.run(); });
}

std::uint16_t server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void server::stop(milliseconds drain) {
  auto& i = *impl_;
  i.stopping = true;
  asio::post(i.acceptor.get_executor(), [&i] {
    beast::error_code ec;
    i.acceptor.close(ec);
  });
  {
    std::lock_guard lock(i.mutex);
    for (auto& s : i.sessions)
      s->close_when_idle();
  }
  auto deadline = std::chrono::steady_clock::now() + drain;
  for (;;) {
    {
      std::lock_guard lock(i.mutex);
      if (i.sessions.empty())
        break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::warn("HTTP edge: {} connections still open after the drain timeout", i.sessions.size());
      break;
    }
    std::this_thread::sleep_for(milliseconds{10});
  }
  i.io.stop();
  for (auto& t : i.threads)
    t.join();
  i.threads.clear();
  std::lock_guard lock(i.mutex);
  i.sessions.clear();
}

} // namespace troupe::http
