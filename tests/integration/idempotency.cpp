// Idempotency-Key at the HTTP edge (http/idempotency.hpp): one node, its
// own PostgreSQL, and the key table looked at and altered through SQL.
#include <catch2/catch.hpp>

#include <future>
#include <optional>
#include <stdexcept>
#include <vector>

#include <pqxx/pqxx>

#include "http/idempotency_rules.hpp"
#include "persistence/idempotency_store.hpp"
#include "persistence/migrations.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_error.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;
namespace rules = troupe::http::idempotency_rules;
namespace store = troupe::persistence::idempotency_store;

namespace {

const std::string targets = "/api/v1/targets";

// A target nobody scrapes within a test.
std::string target_body(const std::string& name) {
  return json{{"name", name}, {"url", "http://127.0.0.1:1/metrics"}, {"interval_ms", 3'600'000}}.dump();
}

header_list with_key(const std::string& key) {
  return {{"Idempotency-Key", key}};
}

int targets_named(const std::string& dsn, const std::string& name) {
  return std::stoi(query_value(dsn, "SELECT count(*) FROM targets WHERE name = " + sql_literal(name)));
}

// The key's state ("running", "done"), "" without a row.
std::string key_state(const std::string& dsn, const std::string& key) {
  auto rows = query(dsn, "SELECT state FROM idempotency_keys WHERE scope = '' AND key = " + sql_literal(key));
  return rows.empty() ? "" : rows[0][0];
}

std::string hex(const std::string& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes)
    out += {digits[b >> 4], digits[b & 15]};
  return out;
}

void check_replay_of(const http_response& replay, const http_response& first) {
  INFO("first " << first.status << " " << first.body << "; replay " << replay.status << " " << replay.body
                << replay.error);
  CHECK(replay.status == first.status);
  CHECK(replay.body == first.body);
  CHECK(replay.header("Content-Type") == first.header("Content-Type"));
  CHECK(replay.header("Idempotent-Replayed") == "true");
}

} // namespace

TEST_CASE("a POST repeated with its Idempotency-Key gets the first answer again and creates one target",
          "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto body = target_body("once");

  auto first = http_post(node.port(), targets, body, with_key("create-once"));
  REQUIRE(first.status == 201);
  CHECK_FALSE(first.has_header("Idempotent-Replayed"));
  for (int i = 0; i < 3; ++i)
    check_replay_of(http_post(node.port(), targets, body, with_key("create-once")), first);

  CHECK(targets_named(pg.dsn(), "once") == 1);
  CHECK(key_state(pg.dsn(), "create-once") == "done");
  CHECK(exposed_metric(node.port(), "troupe_idempotency_requests_total{outcome=\"first\"}") == 1);
  CHECK(exposed_metric(node.port(), "troupe_idempotency_requests_total{outcome=\"replayed\"}") == 3);
}

TEST_CASE("a key sent again with a different body is refused with 422 and changes nothing", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  REQUIRE(http_post(node.port(), targets, target_body("original"), with_key("one-key")).status == 201);

  auto other = http_post(node.port(), targets, target_body("another"), with_key("one-key"));
  check_json_error(other, 422, "Idempotency-Key");
  CHECK(other.json()["error"] == "idempotency_key_reused");
  CHECK_FALSE(other.has_header("Idempotent-Replayed"));
  // Another path is another request too.
  check_json_error(http_post(node.port(), targets + "/1/pause", "", with_key("one-key")), 422, "Idempotency-Key");

  CHECK(targets_named(pg.dsn(), "another") == 0);
  CHECK(targets_named(pg.dsn(), "original") == 1);
  CHECK(exposed_metric(node.port(), "troupe_idempotency_requests_total{outcome=\"reused\"}") == 2);
}

TEST_CASE("a repeat while the first request is held in PostgreSQL gets 409, and the answer once it is done",
          "[integration]") {
  pg_instance pg;
  // The first request must outlive the table lock without timing out.
  node_process node(pg.dsn(), {"--http.request_timeout=60s"});
  REQUIRE(node.wait_ready_http());
  auto body = target_body("held");

  // EXCLUSIVE holds up writes to targets and lets the node's reads through.
  pqxx::connection blocker(pg.dsn());
  std::optional<pqxx::work> lock(std::in_place, blocker);
  lock->exec("LOCK TABLE targets IN EXCLUSIVE MODE");
  auto first =
    std::async(std::launch::async, [&] { return http_post(node.port(), targets, body, with_key("held-1")); });
  // The first request holds its key and waits for the table in PostgreSQL.
  REQUIRE(wait_until(
    [&] {
      return key_state(pg.dsn(), "held-1") == "running" &&
             query_value(pg.dsn(), "SELECT count(*) FROM pg_locks WHERE relation = 'targets'::regclass"
                                   " AND NOT granted") != "0";
    },
    15s));

  auto repeat = http_post(node.port(), targets, body, with_key("held-1"));
  check_json_error(repeat, 409, "still being processed");
  CHECK(repeat.json()["error"] == "request_in_progress");
  CHECK(repeat.header("Retry-After") == "1");
  CHECK(exposed_metric(node.port(), "troupe_idempotency_requests_total{outcome=\"in_progress\"}") == 1);

  lock->abort();
  lock.reset();
  auto answer = first.get();
  REQUIRE(answer.status == 201);
  CHECK_FALSE(answer.has_header("Idempotent-Replayed"));
  check_replay_of(http_post(node.port(), targets, body, with_key("held-1")), answer);
  CHECK(targets_named(pg.dsn(), "held") == 1);
}

TEST_CASE("an expired key is a new key", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  REQUIRE(http_post(node.port(), targets, target_body("before-expiry"), with_key("short-lived")).status == 201);

  query(pg.dsn(), "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'short-lived'");
  // Even with another body: what the key first did is forgotten.
  auto after = http_post(node.port(), targets, target_body("after-expiry"), with_key("short-lived"));
  CHECK(after.status == 201);
  CHECK_FALSE(after.has_header("Idempotent-Replayed"));
  CHECK(targets_named(pg.dsn(), "after-expiry") == 1);
  CHECK(key_state(pg.dsn(), "short-lived") == "done");
}

TEST_CASE("a key left running by a crashed node answers 409 until its lock passes, then is taken over",
          "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto body = target_body("orphan");
  // What a node that died while running this request leaves behind.
  auto print = rules::fingerprint("POST", targets, "", body);
  query(pg.dsn(), "INSERT INTO idempotency_keys (scope, key, fingerprint, state, locked_until, expires_at)"
                  " VALUES ('', 'crashed-1', decode('" + hex(print) + "', 'hex'), 'running',"
                  " now() + interval '1 hour', now() + interval '2 hours')");

  check_json_error(http_post(node.port(), targets, body, with_key("crashed-1")), 409, "still being processed");
  CHECK(targets_named(pg.dsn(), "orphan") == 0);

  query(pg.dsn(), "UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = 'crashed-1'");
  auto taken = http_post(node.port(), targets, body, with_key("crashed-1"));
  CHECK(taken.status == 201);
  CHECK_FALSE(taken.has_header("Idempotent-Replayed"));
  CHECK(targets_named(pg.dsn(), "orphan") == 1);
  check_replay_of(http_post(node.port(), targets, body, with_key("crashed-1")), taken);
}

TEST_CASE("X-Request-Id is the key of a request without Idempotency-Key", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto body = target_body("traced");
  header_list traced{{"X-Request-Id", "req-42"}};

  auto first = http_post(node.port(), targets, body, traced);
  REQUIRE(first.status == 201);
  CHECK(first.header("X-Request-Id") == "req-42");
  check_replay_of(http_post(node.port(), targets, body, traced), first);
  CHECK(targets_named(pg.dsn(), "traced") == 1);
  check_json_error(http_post(node.port(), targets, target_body("traced-2"), traced), 422, "X-Request-Id");

  // Idempotency-Key wins when both come.
  auto both =
    http_post(node.port(), targets, target_body("both"), {{"X-Request-Id", "req-42"}, {"Idempotency-Key", "k-1"}});
  CHECK(both.status == 201);
  CHECK(key_state(pg.dsn(), "k-1") == "done");
}

TEST_CASE("a client error is kept and replayed like a success", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto body = json{{"name", "too-fast"}, {"url", "http://127.0.0.1:1/metrics"}, {"interval_ms", 1}}.dump();

  auto first = http_post(node.port(), targets, body, with_key("invalid-1"));
  check_json_error(first, 400, "interval_ms");
  check_replay_of(http_post(node.port(), targets, body, with_key("invalid-1")), first);
  CHECK(key_state(pg.dsn(), "invalid-1") == "done");
  CHECK(targets_named(pg.dsn(), "too-fast") == 0);
}

TEST_CASE("a 503 is not kept: the key is released and a retry runs again", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn(), {"--http.request_timeout=300ms"});
  REQUIRE(node.wait_ready_http());
  auto id = add_target(node.port(), json::parse(target_body("paused-later")));
  auto pause = targets + "/" + std::to_string(id) + "/pause";

  {
    // The pause waits for the table past the request timeout.
    pqxx::connection blocker(pg.dsn());
    pqxx::work lock(blocker);
    lock.exec("LOCK TABLE targets IN EXCLUSIVE MODE");
    auto timed_out = http_post(node.port(), pause, "", with_key("pause-1"));
    CHECK(timed_out.status == 503);
    CHECK(key_state(pg.dsn(), "pause-1") == "");
  }
  auto retried = http_post(node.port(), pause, "", with_key("pause-1"));
  CHECK(retried.status == 200);
  CHECK_FALSE(retried.has_header("Idempotent-Replayed"));
  CHECK(retried.json()["paused"] == true);
  CHECK(key_state(pg.dsn(), "pause-1") == "done");
}

TEST_CASE("with PostgreSQL down a request with a key gets 503 and nothing runs", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  auto body = target_body("during-outage");

  pg.stop();
  REQUIRE(wait_until([&] { return http_get(node.port(), "/ready", {}, 2s).status == 503; }, 15s));
  auto refused = http_post(node.port(), targets, body, with_key("outage-1"));
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "1");

  pg.start();
  REQUIRE(wait_until([&] { return http_get(node.port(), "/ready", {}, 2s).status == 200; }, 15s));
  CHECK(targets_named(pg.dsn(), "during-outage") == 0);
  auto first = http_post(node.port(), targets, body, with_key("outage-1"));
  CHECK(first.status == 201);
  CHECK_FALSE(first.has_header("Idempotent-Replayed"));
}

TEST_CASE("GET ignores idempotency keys, and a malformed key on a write is refused naming its header",
          "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());

  for (int i = 0; i < 2; ++i) {
    auto list = http_get(node.port(), targets, with_key("read-1"));
    CHECK(list.status == 200);
    CHECK_FALSE(list.has_header("Idempotent-Replayed"));
  }
  CHECK(http_get(node.port(), targets, with_key(std::string(300, 'k'))).status == 200);
  CHECK(key_state(pg.dsn(), "read-1") == "");

  check_json_error(http_post(node.port(), targets, target_body("long-key"), with_key(std::string(256, 'k'))), 400,
                   "Idempotency-Key");
  check_json_error(http_post(node.port(), targets, target_body("long-id"), {{"X-Request-Id", std::string(256, 'r')}}),
                   400, "X-Request-Id");
  CHECK(targets_named(pg.dsn(), "long-key") == 0);
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM idempotency_keys") == "0");
}

TEST_CASE("expired keys are purged in the background", "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn(), {"--http.idempotency_purge_interval=100ms", "--http.idempotency_purge_batch=2"});
  REQUIRE(node.wait_ready_http());
  for (auto name : {"p1", "p2", "p3", "kept"})
    REQUIRE(http_post(node.port(), targets, target_body(name), with_key(std::string("purge-") + name)).status == 201);

  query(pg.dsn(), "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key <> 'purge-kept'");
  REQUIRE(wait_until([&] { return query_value(pg.dsn(), "SELECT count(*) FROM idempotency_keys") == "1"; }, 15s));
  CHECK(key_state(pg.dsn(), "purge-kept") == "done");
  CHECK(exposed_metric(node.port(), "troupe_idempotency_keys_purged_total") == 3);
}

namespace {

bool run_rules(const store::found_key& f) {
  return rules::decide(f.state, f.same_request) == rules::decision::run;
}

using troupe::persistence::group_commit;

// `f(batch, deliver)` in a batch of its own, committed: what it delivered.
// Throws rather than REQUIRE: racers call it on threads of their own.
template <class T, class F>
T committed(pqxx::connection& c, F f) {
  pqxx::work tx(c);
  group_commit::batch b(tx);
  std::optional<caf::expected<T>> out;
  f(b, [&](caf::expected<T> r) { out = std::move(r); });
  b.send_pipelined();
  tx.commit();
  if (!out || !*out)
    throw std::runtime_error("the store delivered no result");
  return **out;
}

} // namespace

// Callers are told apart by request.user_id, which no route sets before
// auth exists: the store is tested directly.
TEST_CASE("one key from two callers is two keys, and a lost claim stores nothing", "[integration]") {
  pg_instance pg;
  pqxx::connection c(pg.dsn());
  troupe::persistence::migrate(c);
  auto print = rules::fingerprint("POST", targets, "", "{}");
  auto begin = [&](const std::string& scope) {
    return committed<store::claim>(
      c, [&](auto& b, auto then) { store::begin(b, scope, "shared", print, 1h, 24h, run_rules, then); });
  };
  auto complete = [&](const std::string& scope, const std::string& attempt, const store::stored_response& answer) {
    return committed<bool>(
      c, [&](auto& b, auto then) { store::complete(b, scope, "shared", attempt, answer, 24h, then); });
  };
  auto release = [&](const std::string& scope, const std::string& attempt) {
    return committed<bool>(c, [&](auto& b, auto then) { store::release(b, scope, "shared", attempt, then); });
  };

  auto alice = begin("alice");
  auto bob = begin("bob");
  CHECK_FALSE(alice.attempt.empty());
  CHECK_FALSE(bob.attempt.empty());
  CHECK(alice.found.state == store::key_state::absent);
  CHECK(bob.found.state == store::key_state::absent);

  auto alice_again = begin("alice");
  CHECK(alice_again.attempt.empty());
  CHECK(alice_again.found.state == store::key_state::running);

  store::stored_response created{201, "application/json", {{"Location", "/api/v1/targets/7"}}, R"({"id":7})"};
  REQUIRE(complete("alice", alice.attempt, created));
  auto replay = begin("alice");
  CHECK(replay.attempt.empty());
  CHECK(replay.found.state == store::key_state::done);
  CHECK(replay.found.same_request);
  CHECK(replay.found.response.status == 201);
  CHECK(replay.found.response.body == created.body);
  CHECK(replay.found.response.headers == created.headers);
  CHECK(begin("bob").found.state == store::key_state::running);

  // Bob's request outlives its lock and another takes the key over.
  query(pg.dsn(), "UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE scope = 'bob'");
  auto takeover = begin("bob");
  CHECK(takeover.found.state == store::key_state::abandoned);
  REQUIRE_FALSE(takeover.attempt.empty());
  CHECK_FALSE(complete("bob", bob.attempt, created));
  CHECK_FALSE(release("bob", bob.attempt));
  CHECK(release("bob", takeover.attempt));
  CHECK(begin("bob").found.state == store::key_state::absent);
}

TEST_CASE("of requests racing on one key, new or expired, exactly one takes it", "[integration]") {
  pg_instance pg;
  {
    pqxx::connection c(pg.dsn());
    troupe::persistence::migrate(c);
  }
  auto print = rules::fingerprint("POST", targets, "", "{}");
  // Each racer on a connection of its own, as on different nodes.
  auto race = [&] {
    std::vector<std::future<bool>> racers;
    for (int i = 0; i < 8; ++i)
      racers.push_back(std::async(std::launch::async, [&] {
        pqxx::connection c(pg.dsn());
        return !committed<store::claim>(c, [&](auto& b, auto then) {
                  store::begin(b, "", "contended", print, 1h, 24h, run_rules, then);
                }).attempt.empty();
      }));
    int taken = 0;
    for (auto& r : racers)
      taken += r.get() ? 1 : 0;
    return taken;
  };

  CHECK(race() == 1);
  query(pg.dsn(), "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'");
  CHECK(race() == 1);
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM idempotency_keys") == "1");
}

TEST_CASE("two requests with one key in one transaction, as in a group commit's batch: the second finds it running",
          "[integration]") {
  pg_instance pg;
  pqxx::connection c(pg.dsn());
  troupe::persistence::migrate(c);
  auto print = rules::fingerprint("POST", targets, "", "{}");
  pqxx::work tx(c);
  group_commit::batch b(tx);
  store::claim first, second, other;
  auto into = [](store::claim& c) {
    return [&c](caf::expected<store::claim> r) {
      REQUIRE(r);
      c = *r;
    };
  };
  store::begin(b, "alice", "batched", print, 1h, 24h, run_rules, into(first));
  store::begin(b, "alice", "batched", print, 1h, 24h, run_rules, into(second));
  store::begin(b, "alice", "batched", rules::fingerprint("POST", targets, "", "{ }"), 1h, 24h, run_rules, into(other));
  b.send_pipelined();
  tx.commit();
  CHECK_FALSE(first.attempt.empty());
  CHECK(second.attempt.empty());
  CHECK(second.found.state == store::key_state::running);
  CHECK(other.attempt.empty());
  CHECK_FALSE(other.found.same_request);
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM idempotency_keys") == "1");
}
