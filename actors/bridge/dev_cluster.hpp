#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace troupe::bridge {

// librdkafka's mock cluster: brokers that speak the real Kafka protocol on
// loopback, keep their data in memory, and take faults on request. Every
// fault method returns an error message, or nothing when it worked.
class dev_cluster {
public:
  explicit dev_cluster(int brokers);
  ~dev_cluster();

  dev_cluster(const dev_cluster&) = delete;
  dev_cluster& operator=(const dev_cluster&) = delete;

  std::string bootstrap() const;

  struct broker_state {
    int id;
    bool down = false;
    int rtt_ms = 0;
  };
  std::vector<broker_state> brokers() const;

  std::optional<std::string> set_down(int broker, bool down);
  std::optional<std::string> set_rtt(int broker, int rtt_ms);
  // The next requests of type `api_key` (0 Produce, 1 Fetch, 3 Metadata...)
  // fail with `errors`, one per request, in order.
  void push_request_errors(int api_key, const std::vector<int>& errors);
  void clear_request_errors(int api_key);
  std::optional<std::string> create_topic(const std::string& name, int partitions, int replication);
  std::optional<std::string> set_leader(const std::string& topic, int partition, int broker);

private:
  std::optional<std::string> check_broker(int broker) const;

  rd_kafka_s* rk_ = nullptr;
  rd_kafka_mock_cluster_s* mock_ = nullptr;
  mutable std::mutex mutex_; // guards states_; librdkafka guards the rest
  std::map<int, broker_state> states_;
};

// A Kafka request type by name ("Produce") or number ("0"); -1 if unknown.
int api_key_of(const std::string& name_or_number);

// A Kafka error code by name ("NOT_LEADER_FOR_PARTITION") or number; nothing if unknown.
std::optional<int> error_code_of(const std::string& name_or_number);

} // namespace troupe::bridge
