#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace troupe::testing {

// `troupe kafka-dev` as a child process: librdkafka's mock brokers on
// 127.0.0.1, spoken to over the real Kafka protocol, and their control
// interface for faults. Construction waits until both the bootstrap file
// and the control file are written (throws std::runtime_error if they are
// not within `timeout`); destruction kills the process. While it lives, a
// failed assertion prints the tail of its log.
class kafka_dev {
public:
  explicit kafka_dev(int brokers = 1, std::chrono::milliseconds timeout = std::chrono::seconds{20});
  kafka_dev(const kafka_dev&) = delete;
  kafka_dev& operator=(const kafka_dev&) = delete;

  // host:port,... as written to --bootstrap-file.
  const std::string& bootstrap() const { return bootstrap_; }
  // The port of the control URL written to --control-file.
  std::uint16_t control_port() const { return control_port_; }
  // "--kafka.brokers=<bootstrap>", for a node.
  std::string node_flag() const { return "--kafka.brokers=" + bootstrap_; }

  // A request to the control interface, as it answers.
  http_response control(const std::string& method, const std::string& path, const std::string& body = {});

  // The steps a test takes on its way to what it checks; each throws
  // std::runtime_error with the answer when the control interface does not
  // answer 2xx.

  // GET /: {"bootstrap", "brokers": [{"id", "state", "rtt_ms"}]}
  nlohmann::json state();
  void broker_down(int id);
  void broker_up(int id);
  void set_rtt(int id, int ms);
  // The next `errors.size()` requests of type `request` ("Produce") fail
  // with these Kafka errors ("NOT_LEADER_FOR_PARTITION"), in order.
  void fail_requests(const std::string& request, const std::vector<std::string>& errors);
  void clear_request_errors(const std::string& request);
  void create_topic(const std::string& name, int partitions, int replication);
  void move_leader(const std::string& topic, int partition, int broker);

  node_process& process() { return *process_; }
  // SIGTERM, then waits: the exit code, or -1 when it had to be killed.
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds{10}) { return process_->terminate(timeout); }

private:
  nlohmann::json expect_2xx(const std::string& method, const std::string& path, const std::string& body = {});

  temp_dir dir_;
  std::unique_ptr<node_process> process_;
  std::string bootstrap_;
  std::uint16_t control_port_ = 0;
};

} // namespace troupe::testing
