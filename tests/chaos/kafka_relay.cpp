// The outbox relay under chaos: three nodes relay the events of the shards
// they hold, and one of them is killed (kill -9) while events stream. What
// must hold: every event committed to the outbox reaches Kafka at least
// once, each key's first copies arrive in outbox order, and the backlog
// drains. Duplicates on the wire are allowed: consumers dedupe by event id.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/failure_context.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/kafka_dev.hpp"
#include "tests/support/outbox_record.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/test_cluster.hpp"
#include "tests/support/timestamps.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr auto sql_poll = 100ms;

std::vector<int> all_but(const test_cluster& c, int excluded) {
  std::vector<int> out;
  for (int i = 0; i < c.size(); ++i)
    if (i != excluded)
      out.push_back(i);
  return out;
}

// Each of `live` is ready with Kafka up, and the shards they say they own
// are all the shards, each owned once: every key has one relay.
bool relays_settled(test_cluster& c, const std::vector<int>& live) {
  std::multiset<int> claims;
  for (int i : live) {
    if (dependency_state(c.port(i), "kafka") != "up")
      return false;
    auto owned = owned_shards(c.cluster_view(i));
    if (owned.empty())
      return false;
    claims.insert(owned.begin(), owned.end());
  }
  if (static_cast<int>(claims.size()) != c.shards())
    return false;
  for (int s = 0; s < c.shards(); ++s)
    if (claims.count(s) != 1)
      return false;
  return true;
}

// The node that relays `key`'s events: the holder of its shard's live
// lease, as PostgreSQL has it (a node's view may be a lease tick behind).
int relay_of(test_cluster& c, const std::string& dsn, const std::string& key) {
  // The hash as the node stored it must be the one computed here.
  for (auto& row : query(dsn, "SELECT DISTINCT key_hash FROM test_outbox_record WHERE key = " + sql_literal(key)))
    if (std::stoll(row[0]) != outbox_key_hash(key))
      throw std::runtime_error("the node hashed key " + key + " to " + row[0] + ", FNV-1a gives " +
                               std::to_string(outbox_key_hash(key)));
  auto shard = outbox_key_hash(key) % c.shards();
  auto owner = query(dsn, "SELECT owner FROM shard_leases WHERE shard = " + std::to_string(shard) +
                            " AND expires_at > now()");
  if (owner.empty() || owner[0][0].empty())
    throw std::runtime_error("shard " + std::to_string(shard) + " of key " + key + " has no live lease");
  return test_cluster::index_of(owner[0][0]);
}

// Three nodes relaying to one kafka-dev broker, every new outbox row
// recorded, and `count` targets checked every 200 ms (their checks are
// events too).
struct relaying_cluster {
  explicit relaying_cluster(int count) {
    exporter.reply("/metrics", 200, "up 1\n");
    REQUIRE(wait_until([&] { return relays_settled(c, {0, 1, 2}); }, 30s));
    record_outbox(pg.dsn());
    for (int i = 0; i < count; ++i)
      targets.push_back(add_target(c.port(i % c.size()), {{"name", "target-" + std::to_string(i)},
                                                          {"url", exporter.url("/metrics")},
                                                          {"interval_ms", 200}}));
  }

  // Pauses or resumes (whichever it is not) every target once, each through
  // the next of `via`. Returns the answers that were not 200.
  std::vector<std::string> toggle_all(const std::vector<int>& via) {
    std::vector<std::string> refused;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      auto id = targets[i];
      auto node = via[(i + round_) % via.size()];
      auto verb = paused[id] ? "/resume" : "/pause";
      auto r = http_post(c.port(node), "/api/v1/targets/" + std::to_string(id) + verb);
      if (r.status == 200)
        paused[id] = !paused[id];
      else
        refused.push_back(test_cluster::name(node) + " " + verb + " " + std::to_string(id) + ": " +
                          std::to_string(r.status) + " " + r.body + r.error);
    }
    ++round_;
    return refused;
  }

  // The node that relays the first target's events.
  int relay_of_first_target() { return relay_of(c, pg.dsn(), std::to_string(targets.at(0))); }

  // The keys (target ids) of the targets whose events node `i` relays.
  std::vector<std::string> keys_relayed_by(int i) {
    std::vector<std::string> out;
    for (auto id : targets)
      if (relay_of(c, pg.dsn(), std::to_string(id)) == i)
        out.push_back(std::to_string(id));
    return out;
  }

  // Pauses every target that is not, through `via`: checks stop, and with
  // them new events, so that the outbox can empty.
  void pause_all(const std::vector<int>& via) {
    for (auto id : targets)
      if (!paused[id])
        REQUIRE(http_post(c.port(via[0]), "/api/v1/targets/" + std::to_string(id) + "/pause").status == 200);
  }

  // Waits for the outbox to empty and every recorded event to be on Kafka;
  // the comparison of both, by topic.
  std::map<std::string, delivery_report> drained(const std::vector<int>& live) {
    bool empty = wait_until(
      [&] {
        if (outbox_backlog(pg.dsn()) != 0)
          return false;
        for (int i : live)
          if (exposed_metric(c.port(i), "troupe_outbox_backlog") != 0.0)
            return false;
        return true;
      },
      30s, sql_poll);
    INFO("outbox backlog: " << outbox_backlog(pg.dsn()));
    CHECK(empty);
    // With events stuck in the outbox, waiting for them on Kafka is no use.
    return empty ? wait_for_delivery(pg.dsn(), kafka.bootstrap()) : delivery_by_topic(pg.dsn(), kafka.bootstrap());
  }

  target_server exporter;
  pg_instance pg;
  kafka_dev kafka{1};
  failure_context leases{"shard_leases", lease_table(pg.dsn())};
  failure_context backlog{"outbox by shard of its key (key_hash % 16)", [this] {
                            return text_of(query(pg.dsn(), "SELECT key_hash % 16, count(*), min(id), max(id)"
                                                           " FROM outbox GROUP BY 1 ORDER BY 1"));
                          }};
  test_cluster c{pg.dsn(), cluster_options{3, 16, "1500ms", "250ms", {kafka.node_flag()}}};
  std::vector<std::int64_t> targets;
  std::map<std::int64_t, bool> paused;

private:
  std::size_t round_ = 0;
};

} // namespace

TEST_CASE("kill -9 of a relaying node mid-stream: every event reaches Kafka, each key in order, the backlog drains",
          "[chaos]") {
  relaying_cluster f(12);
  // The broker answers slowly: the relays always have events in flight,
  // handed to Kafka and not yet acknowledged, when the victim dies.
  f.kafka.set_rtt(1, 50);
  auto victim = f.relay_of_first_target();
  INFO(test_cluster::name(victim) << " relays target " << f.targets[0] << " and is killed");
  auto survivors = all_but(f.c, victim);

  std::vector<std::string> refused;
  auto keep = [&](std::vector<std::string> more) { refused.insert(refused.end(), more.begin(), more.end()); };
  for (int round = 0; round < 6; ++round)
    keep(f.toggle_all({0, 1, 2}));
  auto killed_at = now_ms();
  auto last_before = query_value(f.pg.dsn(), "SELECT max(id) FROM test_outbox_record");
  f.c.kill(victim);
  INFO("killed at " << killed_at << " ms, the outbox's last id then " << last_before);
  for (int round = 0; round < 6; ++round)
    keep(f.toggle_all(survivors));
  INFO("writes refused: " << refused.size());
  for (auto& r : refused)
    UNSCOPED_INFO(r);
  CHECK(refused.empty());
  REQUIRE(wait_until([&] { return relays_settled(f.c, survivors); }, 30s));
  f.pause_all(survivors);

  auto reports = f.drained(survivors);
  CHECK(reports.size() == 2);
  for (auto& [topic, report] : reports) {
    INFO(topic << ": " << describe(report));
    CHECK(report.complete());
    CHECK(report.messages > 0);
  }
}

TEST_CASE("kill -9 of a relaying node while Kafka is down: a survivor sends what it left behind, each key in order",
          "[chaos]") {
  relaying_cluster f(12);
  auto victim = f.relay_of_first_target();
  INFO(test_cluster::name(victim) << " relays target " << f.targets[0] << " and is killed");
  auto survivors = all_but(f.c, victim);
  CHECK(f.toggle_all({0, 1, 2}).empty());

  f.kafka.broker_down(1);
  REQUIRE(wait_until(
    [&] {
      for (int i = 0; i < f.c.size(); ++i)
        if (dependency_state(f.c.port(i), "kafka") != "degraded")
          return false;
      return true;
    },
    30s));
  // The victim's producer now holds events it could not send.
  CHECK(f.toggle_all({0, 1, 2}).empty());
  CHECK(f.toggle_all({0, 1, 2}).empty());
  auto victims_keys = f.keys_relayed_by(victim);
  REQUIRE_FALSE(victims_keys.empty());
  auto stranded = std::stoll(query_value(f.pg.dsn(), "SELECT count(*) FROM outbox WHERE key IN (" +
                                                         sql_list(victims_keys) + ")"));
  CHECK(stranded > 0);
  f.c.kill(victim);
  CHECK(f.toggle_all(survivors).empty());

  f.kafka.broker_up(1);
  CHECK(f.toggle_all(survivors).empty());
  REQUIRE(wait_until([&] { return relays_settled(f.c, survivors); }, 30s));
  f.pause_all(survivors);

  auto reports = f.drained(survivors);
  CHECK(reports.size() == 2);
  for (auto& [topic, report] : reports) {
    INFO(topic << ": " << describe(report));
    CHECK(report.complete());
  }
}
