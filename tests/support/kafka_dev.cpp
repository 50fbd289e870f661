#include "tests/support/kafka_dev.hpp"

#include <stdexcept>

#include "tests/support/log_file.hpp"
#include "tests/support/wait_until.hpp"

namespace troupe::testing {
namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// "http://127.0.0.1:PORT" -> PORT
std::uint16_t port_of(const std::string& url) {
  static const std::string prefix = "http://127.0.0.1:";
  if (url.rfind(prefix, 0) != 0)
    throw std::runtime_error("kafka-dev wrote a control URL not on 127.0.0.1: '" + url + "'");
  auto port = std::stoi(url.substr(prefix.size()));
  if (port <= 0 || port > 65535)
    throw std::runtime_error("kafka-dev wrote a control URL without a port: '" + url + "'");
  return static_cast<std::uint16_t>(port);
}

} // namespace

kafka_dev::kafka_dev(int brokers, std::chrono::milliseconds timeout) : dir_("troupe-kafka-dev") {
  auto bootstrap_file = dir_.file("bootstrap");
  auto control_file = dir_.file("control");
  process_ = std::make_unique<node_process>(exact_args{{"kafka-dev", "--brokers", std::to_string(brokers),
                                                        "--bootstrap-file", bootstrap_file, "--control-port", "0",
                                                        "--control-file", control_file}});
  // Both files are written whole (renamed into place), the control file first.
  std::string control_url;
  bool written = wait_until(
    [&] {
      bootstrap_ = first_line(read_file(bootstrap_file));
      control_url = first_line(read_file(control_file));
      return (!bootstrap_.empty() && !control_url.empty()) || !process_->running();
    },
    timeout);
  if (!written || bootstrap_.empty() || control_url.empty())
    throw std::runtime_error("troupe kafka-dev wrote no bootstrap and control files within the deadline:\n" +
                             process_->log_tail());
  control_port_ = port_of(control_url);
}

http_response kafka_dev::control(const std::string& method, const std::string& path, const std::string& body) {
  return http_request(method, control_port_, path, body);
}

nlohmann::json kafka_dev::expect_2xx(const std::string& method, const std::string& path, const std::string& body) {
  auto r = control(method, path, body);
  if (r.status < 200 || r.status > 299)
    throw std::runtime_error("kafka-dev control " + method + " " + path + " " + body + " answered " +
                             std::to_string(r.status) + " " + r.body + r.error);
  return r.json();
}

nlohmann::json kafka_dev::state() {
  return expect_2xx("GET", "/");
}

void kafka_dev::broker_down(int id) {
  expect_2xx("POST", "/brokers/" + std::to_string(id) + "/down");
}

void kafka_dev::broker_up(int id) {
  expect_2xx("POST", "/brokers/" + std::to_string(id) + "/up");
}

void kafka_dev::set_rtt(int id, int ms) {
  expect_2xx("PUT", "/brokers/" + std::to_string(id) + "/rtt", nlohmann::json{{"ms", ms}}.dump());
}

void kafka_dev::fail_requests(const std::string& request, const std::vector<std::string>& errors) {
  expect_2xx("POST", "/errors", nlohmann::json{{"request", request}, {"errors", errors}}.dump());
}

void kafka_dev::clear_request_errors(const std::string& request) {
  expect_2xx("DELETE", "/errors/" + request);
}

void kafka_dev::create_topic(const std::string& name, int partitions, int replication) {
  expect_2xx("POST", "/topics",
             nlohmann::json{{"name", name}, {"partitions", partitions}, {"replication", replication}}.dump());
}

void kafka_dev::move_leader(const std::string& topic, int partition, int broker) {
  expect_2xx("PUT", "/topics/" + topic + "/partitions/" + std::to_string(partition) + "/leader",
             nlohmann::json{{"broker", broker}}.dump());
}

} // namespace troupe::testing
