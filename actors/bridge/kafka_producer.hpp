#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/config.hpp"

struct rd_kafka_s;

namespace troupe::bridge {

// librdkafka's idempotent producer (acks=all, ordered per partition, retried
// without end), and the thread that serves its callbacks and asks the
// brokers, every kafka.probe_interval, whether they are there.
class kafka_producer {
public:
  struct report {
    std::vector<std::int64_t> delivered; // the `id`s given to produce()
    std::vector<std::int64_t> failed; // for good: retries are librdkafka's, without end
    std::string error; // the first failure's, or a fatal error's
    bool fatal = false; // the producer cannot go on: make a new one
  };
  // Both run on the producer's thread.
  using on_report = std::function<void(report)>;
  using on_health = std::function<void(bool up)>;

  kafka_producer(const decltype(node_config::kafka)& cfg, const std::string& client_id, on_report reports,
                 on_health health);
  ~kafka_producer(); // does not wait for undelivered messages

  kafka_producer(const kafka_producer&) = delete;
  kafka_producer& operator=(const kafka_producer&) = delete;

  enum class outcome { queued, full, refused };
  // Queues one message. `full`: try again after some deliveries; `refused`
  // (`why` says why, e.g. too large): it can never be sent.
  outcome produce(const std::string& topic, const std::string& key, const std::string& payload, std::int64_t id,
                  std::string& why);

private:
  void serve(milliseconds probe_interval);

  rd_kafka_s* rk_ = nullptr;
  on_report reports_;
  on_health health_;
  report pending_; // filled by the delivery callback during a poll
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

} // namespace troupe::bridge
