#include "runtime/logging.hpp"

#include <chrono>
#include <ctime>

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace troupe::logging {
namespace {

thread_local std::string_view current_request_id;

void append_escaped(spdlog::memory_buf_t& out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out.append(std::string_view("\\\"")); break;
      case '\\': out.append(std::string_view("\\\\")); break;
      case '\n': out.append(std::string_view("\\n")); break;
      case '\r': out.append(std::string_view("\\r")); break;
      case '\t': out.append(std::string_view("\\t")); break;
      default:
        if (c < 0x20) {
          char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
          out.append(esc, esc + sizeof esc);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
}

class json_formatter final : public spdlog::formatter {
public:
  explicit json_formatter(std::string node) : node_(std::move(node)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& out) override {
    using namespace std::chrono;
    auto t = system_clock::to_time_t(msg.time);
    auto ms = duration_cast<milliseconds>(msg.time.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[40];
    auto n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    n += std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(ms));
    out.append(std::string_view(R"({"time":")"));
    out.append(stamp, stamp + n);
    out.append(std::string_view(R"(","level":")"));
    auto level = spdlog::level::to_string_view(msg.level);
    out.append(level.data(), level.data() + level.size());
    out.append(std::string_view(R"(","node":")"));
    append_escaped(out, node_);
    if (!current_request_id.empty()) {
      out.append(std::string_view(R"(","request_id":")"));
      append_escaped(out, current_request_id);
    }
    out.append(std::string_view(R"(","msg":")"));
    append_escaped(out, std::string_view(msg.payload.data(), msg.payload.size()));
    out.append(std::string_view("\"}\n"));
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>(node_);
  }

private:
  std::string node_;
};

} // namespace

void init(const std::string& node_name, const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>("troupe", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  logger->set_formatter(std::make_unique<json_formatter>(node_name));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

request_scope::request_scope(std::string_view request_id) : previous_(current_request_id) {
  current_request_id = request_id;
}

request_scope::~request_scope() {
  current_request_id = previous_;
}

} // namespace troupe::logging
