#pragma once

#include <string>
#include <utility>
#include <vector>

struct rd_kafka_conf_s;

namespace troupe::bridge {

// A librdkafka config for one of our clients: `brokers`, `client_id`, what
// every client shares (quick reconnects, logs through spdlog), then
// `settings`. Throws std::runtime_error naming a setting librdkafka refuses.
rd_kafka_conf_s* make_kafka_conf(const std::string& brokers, const std::string& client_id,
                                 const std::vector<std::pair<std::string, std::string>>& settings);

} // namespace troupe::bridge
