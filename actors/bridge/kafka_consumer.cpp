#include "actors/bridge/kafka_consumer.hpp"

#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "actors/bridge/kafka_conf.hpp"

namespace troupe::bridge {
namespace {

constexpr std::size_t batch_limit = 500;

} // namespace

kafka_consumer::kafka_consumer(const decltype(node_config::kafka)& cfg, const std::string& group,
                               const std::string& topic, const std::string& client_id, on_messages deliver)
  : deliver_(std::move(deliver)), max_in_flight_(cfg.consumer_in_flight) {
  auto timeout = cfg.session_timeout.count();
  auto* conf = make_kafka_conf(
    cfg.brokers, client_id,
    {{"group.id", group},
     {"enable.auto.commit", "false"},
     {"auto.offset.reset", "earliest"},
     {"session.timeout.ms", std::to_string(timeout)},
     {"heartbeat.interval.ms", std::to_string(std::max<long long>(100, timeout / 4))},
     // Also how long a rebalance waits for every member to join again: a
     // member that does not holds up the whole group that long.
     {"max.poll.interval.ms", std::to_string(std::max<long long>(10'000, 2 * timeout))},
     // A subscription may come before the topic's first message.
     {"allow.auto.create.topics", "true"},
     {"topic.metadata.refresh.interval.ms", "5000"}});
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka consumer: ") + err);
  }
  rd_kafka_poll_set_consumer(rk_);
  auto* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  auto e = rd_kafka_subscribe(rk_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(rk_);
    throw std::runtime_error(std::string("kafka subscribe ") + topic + ": " + rd_kafka_err2str(e));
  }
  thread_ = std::thread([this] { poll(); });
}

kafka_consumer::~kafka_consumer() {
  stopping_ = true;
  room_.notify_all();
  thread_.join();
  rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
}

void kafka_consumer::done(std::size_t n) {
  {
    std::lock_guard lock(mutex_);
    in_flight_ -= std::min(n, in_flight_);
  }
  room_.notify_all();
}

void kafka_consumer::commit(const std::string& topic, int partition, std::int64_t next_offset) {
  auto* offsets = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(offsets, topic.c_str(), partition)->offset = next_offset;
  // Asynchronous: a commit lost to a rebalance only means a redelivery,
  // which the handlers' dedupe absorbs.
  rd_kafka_commit(rk_, offsets, 1);
  rd_kafka_topic_partition_list_destroy(offsets);
}

void kafka_consumer::poll() {
  std::vector<message> batch;
  while (!stopping_) {
    {
      // Heartbeats go on in librdkafka's threads meanwhile; only a stall
      // longer than max.poll.interval.ms would cost the membership.
      std::unique_lock lock(mutex_);
      if (!room_.wait_for(lock, std::chrono::milliseconds{100},
                          [this] { return stopping_ || in_flight_ < max_in_flight_; }) ||
          stopping_)
        continue;
    }
    for (int timeout = 100; batch.size() < batch_limit; timeout = 0) {
      auto* m = rd_kafka_consumer_poll(rk_, timeout);
      if (!m)
        break;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        batch.push_back({rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                         m->key ? std::string(static_cast<const char*>(m->key), m->key_len) : std::string{},
                         m->payload ? std::string(static_cast<const char*>(m->payload), m->len) : std::string{}});
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        spdlog::debug("kafka consumer: {}", rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    if (batch.empty())
      continue;
    {
      std::lock_guard lock(mutex_);
      in_flight_ += batch.size();
    }
    deliver_(std::exchange(batch, {}));
  }
}

} // namespace troupe::bridge
