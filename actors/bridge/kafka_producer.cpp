#include "actors/bridge/kafka_producer.hpp"

#include <chrono>
#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "actors/bridge/kafka_conf.hpp"

namespace troupe::bridge {

kafka_producer::kafka_producer(const decltype(node_config::kafka)& cfg, const std::string& client_id,
                               on_report reports, on_health health)
  : reports_(std::move(reports)), health_(std::move(health)) {
  auto* conf = make_kafka_conf(
    cfg.brokers, client_id,
    {{"enable.idempotence", "true"},
     {"acks", "all"},
     // Never give up on a message: one that failed for good while the next
     // one of its key got through would break the order per key.
     {"message.timeout.ms", "0"},
     {"linger.ms", std::to_string(cfg.linger.count())},
     {"queue.buffering.max.messages", std::to_string(cfg.relay_in_flight + cfg.relay_batch)},
     // Java's partitioner, so that other clients put a key where we do.
     {"partitioner", "murmur2_random"}});
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto& r = static_cast<kafka_producer*>(opaque)->pending_;
    auto id = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(m->_private));
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      r.delivered.push_back(id);
    } else {
      r.failed.push_back(id);
      if (r.error.empty())
        r.error = rd_kafka_err2str(m->err);
    }
  });
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto& r = static_cast<kafka_producer*>(opaque)->pending_;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char why[512];
      rd_kafka_fatal_error(rk, why, sizeof why);
      r.fatal = true;
      r.error = why;
      return;
    }
    spdlog::debug("kafka: {}", reason);
  });
  char err[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk_) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka producer: ") + err);
  }
  thread_ = std::thread([this, probe = cfg.probe_interval] { serve(probe); });
}

kafka_producer::~kafka_producer() {
  stopping_ = true;
  thread_.join();
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(rk_, 0);
  rd_kafka_destroy(rk_);
}

kafka_producer::outcome kafka_producer::produce(const std::string& topic, const std::string& key,
                                                const std::string& payload, std::int64_t id, std::string& why) {
  auto err = rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()),
                               RD_KAFKA_V_KEY(key.data(), key.size()),
                               RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                               RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::intptr_t>(id))),
                               RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
    return outcome::queued;
  // After a fatal error the report ends the relay; nothing is refused for good.
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL || err == RD_KAFKA_RESP_ERR__FATAL)
    return outcome::full;
  why = rd_kafka_err2str(err);
  return outcome::refused;
}

void kafka_producer::serve(milliseconds probe_interval) {
  using clock = std::chrono::steady_clock;
  auto next_probe = clock::now();
  while (!stopping_) {
    rd_kafka_poll(rk_, 50);
    if (!pending_.delivered.empty() || !pending_.failed.empty() || pending_.fatal) {
      auto fatal = pending_.fatal;
      reports_(std::exchange(pending_, {}));
      if (fatal)
        return;
    }
    // A metadata request reaches a broker or times out: the only way to
    // tell that Kafka is back while nothing is being produced.
    if (clock::now() >= next_probe) {
      const struct rd_kafka_metadata* md = nullptr;
      auto err = rd_kafka_metadata(rk_, 0, nullptr, &md, static_cast<int>(probe_interval.count()));
      if (md)
        rd_kafka_metadata_destroy(md);
      health_(err == RD_KAFKA_RESP_ERR_NO_ERROR);
      next_probe = clock::now() + probe_interval;
    }
  }
}

} // namespace troupe::bridge
