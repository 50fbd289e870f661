#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/config.hpp"

struct rd_kafka_s;

namespace troupe::bridge {

// A member of a Kafka consumer group with manual commits, and the thread
// that polls it. At most `max_in_flight` messages are handed out and not
// yet done; offsets are committed only when the owner says so.
class kafka_consumer {
public:
  struct message {
    std::string topic;
    int partition = 0;
    std::int64_t offset = 0;
    std::string key;
    std::string payload;
  };
  using on_messages = std::function<void(std::vector<message>)>; // runs on the polling thread

  kafka_consumer(const decltype(node_config::kafka)& cfg, const std::string& group, const std::string& topic,
                 const std::string& client_id, on_messages deliver);
  ~kafka_consumer(); // leaves the group

  kafka_consumer(const kafka_consumer&) = delete;
  kafka_consumer& operator=(const kafka_consumer&) = delete;

  // `n` messages handed out are finished (handled, dead-lettered or dropped).
  void done(std::size_t n);
  // Commits `next_offset` (the first offset not yet handled) of a partition.
  void commit(const std::string& topic, int partition, std::int64_t next_offset);

private:
  void poll();

  rd_kafka_s* rk_ = nullptr;
  on_messages deliver_;
  std::size_t max_in_flight_;
  std::mutex mutex_;
  std::condition_variable room_;
  std::size_t in_flight_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

} // namespace troupe::bridge
