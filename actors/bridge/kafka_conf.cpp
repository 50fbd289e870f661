#include "actors/bridge/kafka_conf.hpp"

#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

namespace troupe::bridge {

rd_kafka_conf_s* make_kafka_conf(const std::string& brokers, const std::string& client_id,
                                 const std::vector<std::pair<std::string, std::string>>& settings) {
  auto* conf = rd_kafka_conf_new();
  std::vector<std::pair<std::string, std::string>> all{
    {"bootstrap.servers", brokers},
    {"client.id", client_id},
    // Back within a second of a broker's return, not librdkafka's ten.
    {"reconnect.backoff.max.ms", "1000"}};
  all.insert(all.end(), settings.begin(), settings.end());
  char err[512];
  for (auto& [name, value] : all)
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("kafka config " + name + ": " + err);
    }
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int level, const char* facility, const char* line) {
    // syslog levels; librdkafka reports every refused reconnect as an error.
    auto to = level <= 4 ? spdlog::level::warn : level <= 6 ? spdlog::level::info : spdlog::level::debug;
    spdlog::log(to, "kafka {}: {}", facility, line);
  });
  return conf;
}

} // namespace troupe::bridge
