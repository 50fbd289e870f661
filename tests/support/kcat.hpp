#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"

// kcat, a Kafka client nobody here wrote, as the outside world's consumer
// and producer. Each call runs it as a child process with a deadline.
namespace troupe::testing {

struct kafka_message {
  std::string topic;
  int partition = -1;
  std::int64_t offset = -1;
  std::int64_t timestamp_ms = -1; // the producer's (CreateTime)
  std::optional<std::string> key; // nothing: a message without a key
  std::string payload;

  // The payload as JSON; a payload that is not JSON gives a discarded value.
  nlohmann::json json() const;
};

// kcat -C from the beginning of `topic` until it has read `count` messages
// (then it stops) or `timeout` has passed (then it is killed): what it read,
// ordered by partition, then offset.
std::vector<kafka_message> kcat_consume(const std::string& bootstrap, const std::string& topic, std::size_t count,
                                        std::chrono::milliseconds timeout = std::chrono::seconds{30});

// kcat -C -e: every message on `topic` now, from the beginning of each
// partition to its end, ordered by partition, then offset. Throws
// std::runtime_error with kcat's words when it fails or outlives `timeout`.
std::vector<kafka_message> kcat_read_topic(const std::string& bootstrap, const std::string& topic,
                                           std::chrono::milliseconds timeout = std::chrono::seconds{20});

// kcat -P: each (key, value) one message, in this order; neither may hold a
// newline. kcat's exit code and output as it gave them.
command_result kcat_produce(const std::string& bootstrap, const std::string& topic,
                            const std::vector<std::pair<std::string, std::string>>& messages,
                            std::chrono::milliseconds timeout = std::chrono::seconds{30});

} // namespace troupe::testing
