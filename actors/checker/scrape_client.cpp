#include "actors/checker/scrape_client.hpp"

#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace troupe::checker {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct scrape_client::impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::vector<std::thread> threads;
  std::size_t max_body;
};

namespace {

// One GET: resolve, connect, write, read, under one deadline.
class fetch_op : public std::enable_shared_from_this<fetch_op> {
public:
  fetch_op(asio::io_context& io, std::size_t max_body, std::function<void(scrape_response)> done)
    : resolver_(asio::make_strand(io)), stream_(resolver_.get_executor()), deadline_(resolver_.get_executor()),
      done_(std::move(done)) {
    parser_.body_limit(max_body);
    parser_.header_limit(64 * 1024);
  }

  asio::any_io_executor executor() { return resolver_.get_executor(); }

  void start(const http_url& url, milliseconds timeout) {
    started_ = std::chrono::steady_clock::now();
    request_ = {http::verb::get, url.target, 11};
    request_.set(http::field::host, url.host + ":" + url.port);
    request_.set(http::field::user_agent, "troupe-checker");
    request_.set(http::field::accept, "text/plain;version=0.0.4, */*;q=0.1");
    request_.set(http::field::connection, "close");
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) {
        self->timed_out_ = true;
        self->resolver_.cancel();
        self->stream_.socket().close(ec);
      }
    });
    resolver_.async_resolve(url.host, url.port,
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                              if (ec)
                                return self->finish(ec, "resolve");
                              self->stream_.async_connect(r, [self](beast::error_code ec, auto&&) {
                                if (ec)
                                  return self->finish(ec, "connection");
                                self->write();
                              });
                            });
  }

private:
  void write() {
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec)
        return self->finish(ec, "connection");
      // Headers first, then the body: Beast 1.74 forgets the body limit
      // when one read takes the headers and part of the body (beast#2183).
      http::async_read_header(self->stream_, self->buffer_, self->parser_, [self](beast::error_code ec, std::size_t) {
        if (ec)
          return self->finish(ec, "connection");
        http::async_read(self->stream_, self->buffer_, self->parser_,
                         [self](beast::error_code ec, std::size_t) { self->finish(ec, "connection"); });
      });
    });
  }

  void finish(beast::error_code ec, const char* stage) {
    deadline_.cancel();
    scrape_response out;
    out.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    if (timed_out_)
      out.error = "timeout";
    else if (ec == asio::error::connection_refused)
      out.error = "refused";
    else if (ec == http::error::body_limit || ec == http::error::header_limit)
      out.error = "too_large";
    else if (ec)
      out.error = stage;
    if (out.error.empty()) {
      auto res = parser_.release();
      out.status = static_cast<int>(res.result_int());
      out.body = std::move(res.body());
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    done_(std::move(out));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  asio::steady_timer deadline_;
  std::function<void(scrape_response)> done_;
  http::request<http::empty_body> request_;
  http::response_parser<http::string_body> parser_;
  beast::flat_buffer buffer_;
  std::chrono::steady_clock::time_point started_;
  bool timed_out_ = false;
};

} // namespace

scrape_client::scrape_client(int io_threads, std::size_t max_body) : impl_(std::make_unique<impl>()) {
  impl_->max_body = max_body;
  for (int i = 0; i < io_threads; ++i)
    impl_->threads.emplace_back([this] { impl_->io.run(); });
}

scrape_client::~scrape_client() {
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads)
    t.join();
}

void scrape_client::fetch(const http_url& url, milliseconds timeout, std::function<void(scrape_response)> done) {
  auto op = std::make_shared<fetch_op>(impl_->io, impl_->max_body, std::move(done));
  asio::post(op->executor(), [op, url, timeout] { op->start(url, timeout); });
}

} // namespace troupe::checker
