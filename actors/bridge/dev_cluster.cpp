#include "actors/bridge/dev_cluster.hpp"

#include <charconv>
#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace troupe::bridge {
namespace {

std::optional<std::string> result(rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
    return std::nullopt;
  return std::string(rd_kafka_err2str(err));
}

std::optional<int> integer(const std::string& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    return std::nullopt;
  return v;
}

} // namespace

dev_cluster::dev_cluster(int brokers) {
  char err[512];
  // The mock cluster needs a client instance for its bookkeeping only; it
  // connects nowhere, which it would otherwise warn about.
  auto* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err);
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk_)
    throw std::runtime_error(std::string("kafka-dev: ") + err);
  mock_ = rd_kafka_mock_cluster_new(rk_, brokers);
  if (!mock_) {
    rd_kafka_destroy(rk_);
    throw std::runtime_error("kafka-dev: cannot create the mock cluster");
  }
  for (int id = 1; id <= brokers; ++id)
    states_[id] = broker_state{id};
}

dev_cluster::~dev_cluster() {
  rd_kafka_mock_cluster_destroy(mock_);
  rd_kafka_destroy(rk_);
}

std::string dev_cluster::bootstrap() const {
  return rd_kafka_mock_cluster_bootstraps(mock_);
}

std::vector<dev_cluster::broker_state> dev_cluster::brokers() const {
  std::lock_guard lock(mutex_);
  std::vector<broker_state> out;
  for (auto& [id, s] : states_)
    out.push_back(s);
  return out;
}

std::optional<std::string> dev_cluster::check_broker(int broker) const {
  if (!states_.count(broker))
    return "no broker " + std::to_string(broker) + " (brokers are 1.." + std::to_string(states_.size()) + ")";
  return std::nullopt;
}

std::optional<std::string> dev_cluster::set_down(int broker, bool down) {
  std::lock_guard lock(mutex_);
  if (auto e = check_broker(broker))
    return e;
  auto e = result(down ? rd_kafka_mock_broker_set_down(mock_, broker) : rd_kafka_mock_broker_set_up(mock_, broker));
  if (!e)
    states_[broker].down = down;
  return e;
}

std::optional<std::string> dev_cluster::set_rtt(int broker, int rtt_ms) {
  std::lock_guard lock(mutex_);
  if (auto e = check_broker(broker))
    return e;
  auto e = result(rd_kafka_mock_broker_set_rtt(mock_, broker, rtt_ms));
  if (!e)
    states_[broker].rtt_ms = rtt_ms;
  return e;
}

void dev_cluster::push_request_errors(int api_key, const std::vector<int>& errors) {
  std::vector<rd_kafka_resp_err_t> codes;
  for (auto e : errors)
    codes.push_back(static_cast<rd_kafka_resp_err_t>(e));
  rd_kafka_mock_push_request_errors_array(mock_, static_cast<std::int16_t>(api_key), codes.size(), codes.data());
}

void dev_cluster::clear_request_errors(int api_key) {
  rd_kafka_mock_clear_request_errors(mock_, static_cast<std::int16_t>(api_key));
}

std::optional<std::string> dev_cluster::create_topic(const std::string& name, int partitions, int replication) {
  return result(rd_kafka_mock_topic_create(mock_, name.c_str(), partitions, replication));
}

std::optional<std::string> dev_cluster::set_leader(const std::string& topic, int partition, int broker) {
  {
    std::lock_guard lock(mutex_);
    if (auto e = check_broker(broker))
      return e;
  }
  return result(rd_kafka_mock_partition_set_leader(mock_, topic.c_str(), partition, broker));
}

int api_key_of(const std::string& s) {
  static const std::map<std::string, int> names{
    {"Produce", 0},         {"Fetch", 1},          {"ListOffsets", 2},    {"Metadata", 3},
    {"OffsetCommit", 8},    {"OffsetFetch", 9},    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},      {"LeaveGroup", 13},    {"SyncGroup", 14},     {"ApiVersions", 18},
    {"InitProducerId", 22}, {"AddPartitionsToTxn", 24}, {"EndTxn", 26}};
  if (auto i = names.find(s); i != names.end())
    return i->second;
  auto n = integer(s);
  return n && *n >= 0 && *n < 100 ? *n : -1;
}

std::optional<int> error_code_of(const std::string& s) {
  if (auto n = integer(s))
    return n;
  const rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  for (size_t i = 0; i < count; ++i)
    if (descs[i].name && s == descs[i].name)
      return descs[i].code;
  return std::nullopt;
}

} // namespace troupe::bridge
