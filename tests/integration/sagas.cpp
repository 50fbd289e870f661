// The registration and order sagas end to end, through the saga gateway's
// API on a 3-node cluster and a real PostgreSQL: what each saga records
// (GET /api/v1/sagas), what it leaves in the services it drives (clients,
// users, accounts, orders, notifications), how it compensates a business
// failure, and who may look at sagas.
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/failure_context.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_error.hpp"
#include "tests/support/in_parallel.hpp"
#include "tests/support/ledger.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/settled_cluster.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/test_cluster.hpp"
#include "tests/support/users.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::vector<std::string> registration_steps{"client add", "user register", "client approve",
                                                  "billing create account", "notify"};
const std::vector<std::string> order_steps{"order create", "billing withdraw", "order confirm", "notify"};

cluster_options saga_options() {
  cluster_options o;
  o.extra_flags = {"--identity.admins=admin", "--http.dev_routes=true"};
  return o;
}

std::function<std::string()> saga_table(const std::string& dsn) {
  return [dsn] {
    return text_of(query(dsn, "SELECT s.id, s.type, s.state, s.step, s.error, st.step, st.name, st.status,"
                              " st.attempts, st.last_error FROM sagas s JOIN saga_steps_now st ON st.saga_id = s.id"
                              " ORDER BY s.created_at DESC, st.step LIMIT 40"));
  };
}

// A 3-node cluster with the gateway's dev routes, on a database of its own,
// its shards settled, and an admin logged in.
struct gateway {
  gateway() {
    wait_until_settled(cluster);
    auto r = register_user(via(0), "admin", "the admin's password");
    INFO(r.status << " " << r.body << r.error);
    REQUIRE(r.status == 201);
    REQUIRE(r.json()["role"] == "admin");
    admin = log_in(via(1), "admin", "the admin's password");
  }

  const std::string& dsn() const { return pg.dsn(); }
  // Node (i mod 3): consecutive requests go to every node in turn.
  std::uint16_t via(int i) { return cluster.port(i % cluster.size()); }

  pg_instance pg;
  failure_context leases{"shard_leases", lease_table(pg.dsn())};
  failure_context sagas{"the last sagas and their steps", saga_table(pg.dsn())};
  test_cluster cluster{pg.dsn(), saga_options()};
  user_session admin;
};

json client_body(const std::string& login, const std::string& password) {
  return {{"login", login},
          {"password", password},
          {"firstName", "First " + login},
          {"lastName", "Last " + login},
          {"email", login + "@example.test"}};
}

http_response register_client(std::uint16_t port, const std::string& login, const std::string& password) {
  return http_post(port, "/api/client/register_client", client_body(login, password).dump());
}

// Registers a client through the gateway; its clientId.
std::string new_client(std::uint16_t port, const std::string& login, const std::string& password) {
  auto r = register_client(port, login, password);
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 200);
  REQUIRE(r.json()["login"] == login);
  return r.json()["clientId"].get<std::string>();
}

// POST /api/auth/login; the session cookie's token.
std::string gateway_login(std::uint16_t port, const std::string& login, const std::string& password) {
  auto r = http_post(port, "/api/auth/login", json{{"login", login}, {"password", password}}.dump());
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 200);
  CHECK(r.json() == json{{"status", "OK"}});
  auto set_cookie = r.header("set-cookie");
  REQUIRE_THAT(set_cookie, Catch::StartsWith("session="));
  return set_cookie.substr(8, set_cookie.find(';') - 8);
}

header_list session(const std::string& token, const std::string& key = "") {
  header_list h{{"Cookie", "session=" + token}};
  if (!key.empty())
    h.emplace_back("Idempotency-Key", key);
  return h;
}

http_response create_order(std::uint16_t port, const header_list& headers, std::int64_t sum) {
  return http_post(port, "/api/order/create_order", json{{"sum", sum}}.dump(), headers);
}

// GET /api/v1/sagas?state=STATE as the admin; an array.
json sagas_in(std::uint16_t port, const user_session& admin, const std::string& state) {
  auto r = http_get(port, "/api/v1/sagas?state=" + state, admin.auth());
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 200);
  REQUIRE(r.json().is_array());
  return r.json();
}

// The sagas of `type` in `state` whose input has `field` == `value`.
json sagas_where(std::uint16_t port, const user_session& admin, const std::string& state, const std::string& type,
                 const std::string& field, const std::string& value) {
  auto out = json::array();
  for (auto& s : sagas_in(port, admin, state))
    if (s["type"] == type && s["input"].value(field, "") == value)
      out.push_back(s);
  return out;
}

// GET /api/v1/sagas/{id} as the admin.
json saga(std::uint16_t port, const user_session& admin, const std::string& id) {
  auto r = http_get(port, "/api/v1/sagas/" + id, admin.auth());
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 200);
  return r.json();
}

void check_steps(const json& s, const std::vector<std::string>& names, const std::string& pivot) {
  INFO(s.dump(1));
  REQUIRE(s["steps"].size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(s["steps"][i]["name"] == names[i]);
    CHECK(s["steps"][i]["pivot"] == (names[i] == pivot));
  }
}

// A finished saga's steps: those named in `ran` with that status, each
// tried at least once between its timestamps; the rest never started.
void check_ran(const json& s, const std::map<std::string, std::string>& ran) {
  INFO(s.dump(1));
  CHECK(s["created_at"].is_string());
  CHECK(s["updated_at"].is_string());
  CHECK(s["finished_at"].is_string());
  for (auto& st : s["steps"]) {
    auto name = st["name"].get<std::string>();
    INFO("step " << name);
    auto expected = ran.find(name);
    if (expected == ran.end()) {
      CHECK(st["status"] == "pending");
      CHECK(st["attempts"] == 0);
      CHECK(st["started_at"].is_null());
      CHECK(st["finished_at"].is_null());
      continue;
    }
    CHECK(st["status"] == expected->second);
    CHECK(st["attempts"].get<int>() >= 1);
    REQUIRE(st["started_at"].is_string());
    REQUIRE(st["finished_at"].is_string());
    CHECK(st["started_at"].get<std::string>() <= st["finished_at"].get<std::string>());
  }
}

std::string sql_count(const std::string& dsn, const std::string& statement) {
  return query_value(dsn, "SELECT count(*) FROM " + statement);
}

std::string order_statuses(const std::string& dsn, const std::string& client) {
  return text_of(query(dsn, "SELECT status, sum FROM orders WHERE client_id = " + sql_literal(client) +
                              " ORDER BY created_at, id"));
}

json last_notification(std::uint16_t port) {
  auto r = http_get(port, "/dev/notificationService/notification/last");
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 200);
  return r.json();
}

} // namespace

TEST_CASE("a registration through the gateway completes its saga: the client approved, the user linked to it, its "
          "account open",
          "[integration]") {
  gateway g;
  const std::string password = "alice's secret words";
  auto client_id = new_client(g.via(0), "alice", password);
  CHECK(client_id.size() == 36);

  auto found = sagas_where(g.via(1), g.admin, "completed", "registration", "client_id", client_id);
  REQUIRE(found.size() == 1);
  auto s = saga(g.via(2), g.admin, found[0]["id"].get<std::string>());
  // The list leaves the steps out; the rest is the same.
  auto listed = found[0];
  CHECK_FALSE(listed.contains("steps"));
  auto without_steps = s;
  without_steps.erase("steps");
  CHECK(without_steps == listed);
  CHECK(s["type"] == "registration");
  CHECK(s["state"] == "completed");
  CHECK(s["error"].is_null());
  check_steps(s, registration_steps, "user register");
  check_ran(s, {{"client add", "succeeded"},
                {"user register", "succeeded"},
                {"client approve", "succeeded"},
                {"billing create account", "succeeded"},
                {"notify", "succeeded"}});
  // Its input, as shown, holds neither the password nor its hash.
  INFO(s.dump(1));
  CHECK(s["input"]["login"] == "alice");
  CHECK_FALSE(s["input"].contains("password"));
  CHECK_FALSE(s["input"].contains("password_hash"));
  for (auto& body : {s.dump(), http_get(g.via(0), "/api/v1/sagas", g.admin.auth()).body})
    CHECK_THAT(body, !Catch::Contains(password) && !Catch::Contains("argon2"));
  // Nor does the database keep the password in clear, nor any node log it.
  for (auto table : {"sagas", "saga_steps", "clients", "notifications"}) {
    INFO(table);
    CHECK(sql_count(g.dsn(), std::string(table) + " t WHERE position(" + sql_literal(password) + " IN t::text) > 0") ==
          "0");
  }
  for (int i = 0; i < g.cluster.size(); ++i)
    CHECK_THAT(g.cluster.node(i).log(), !Catch::Contains(password));

  auto client = http_get(g.via(1), "/dev/clientService/client/" + client_id);
  INFO(client.body);
  REQUIRE(client.status == 200);
  CHECK(client.json()["status"] == "approved");
  CHECK(client.json()["login"] == "alice");
  CHECK(client.json()["firstName"] == "First alice");
  CHECK(client.json()["email"] == "alice@example.test");

  auto alice = log_in(g.via(2), "alice", password);
  CHECK(client.json()["userId"] == alice.id);
  auto me = http_get(g.via(0), "/api/v1/users/me", alice.auth());
  REQUIRE(me.status == 200);
  CHECK(me.json()["client_id"] == client_id);

  auto account = http_get(g.via(1), "/api/v1/accounts/" + client_id, alice.auth());
  INFO(account.body);
  REQUIRE(account.status == 200);
  CHECK(account.json()["id"] == client_id);
  CHECK(account.json()["owner"] == alice.id);
  CHECK(account.json()["balance"] == 0);

  auto note = last_notification(g.via(2));
  CHECK(note["type"] == "newClientCreated");
  CHECK(note["data"]["clientId"] == client_id);
  CHECK(note["data"]["email"] == "alice@example.test");

  // The gateway's own login gives a session cookie that the routes accept.
  auto token = gateway_login(g.via(0), "alice", password);
  auto by_cookie = http_get(g.via(1), "/api/v1/users/me", session(token));
  REQUIRE(by_cookie.status == 200);
  CHECK(by_cookie.json()["client_id"] == client_id);
  check_ledger_invariants(g.dsn());
}

TEST_CASE("a registration with a taken login is refused with 422, its saga compensated and its client rejected",
          "[integration]") {
  gateway g;
  auto first = new_client(g.via(0), "bob", "bob's first password");

  auto taken = register_client(g.via(1), "bob", "another password");
  check_json_error(taken, 422, "bob");
  CHECK(taken.json()["error"] == "registration_failed");
  auto message = taken.json()["message"].get<std::string>();
  CHECK_THAT(message, Catch::Contains("taken"));

  auto compensated = sagas_in(g.via(2), g.admin, "compensated");
  REQUIRE(compensated.size() == 1);
  auto s = saga(g.via(0), g.admin, compensated[0]["id"].get<std::string>());
  INFO(s.dump(1));
  CHECK(s["type"] == "registration");
  CHECK(s["state"] == "compensated");
  CHECK(s["error"] == message);
  check_steps(s, registration_steps, "user register");
  check_ran(s, {{"client add", "compensated"}, {"user register", "failed"}});
  CHECK(s["steps"][1]["last_error"] == message);
  CHECK(s["steps"][0]["last_error"].is_null());
  auto rejected = s["input"]["client_id"].get<std::string>();
  CHECK(rejected != first);

  auto client = http_get(g.via(1), "/dev/clientService/client/" + rejected);
  REQUIRE(client.status == 200);
  CHECK(client.json()["status"] == "rejected");
  CHECK(client.json()["userId"].is_null());
  CHECK(text_of(query(g.dsn(), "SELECT id, status FROM clients ORDER BY created_at")) ==
        text_of({{first, "approved"}, {rejected, "rejected"}}));

  // Nothing else came of it: one bob, who logs in with the first password,
  // and no account for the rejected client.
  CHECK(sql_count(g.dsn(), "users WHERE login = 'bob'") == "1");
  CHECK(log_in(g.via(2), "bob", "bob's first password").id.size() == 36);
  CHECK(sql_count(g.dsn(), "accounts WHERE id = " + sql_literal(rejected)) == "0");
  CHECK(sagas_in(g.via(0), g.admin, "completed").size() == 1);
  CHECK(sagas_in(g.via(1), g.admin, "running").empty());
  check_ledger_invariants(g.dsn());
}

TEST_CASE("an order without the money is refused and compensated, and after a deposit an order completes, charges "
          "its sum and notifies",
          "[integration]") {
  gateway g;
  auto client_id = new_client(g.via(0), "carol", "carol's password");
  auto token = gateway_login(g.via(1), "carol", "carol's password");

  auto refused = create_order(g.via(2), session(token), 500);
  check_json_error(refused, 422, "insufficient funds");
  CHECK(refused.json()["error"] == "order_failed");

  auto compensated = sagas_where(g.via(0), g.admin, "compensated", "order", "client_id", client_id);
  REQUIRE(compensated.size() == 1);
  auto s = saga(g.via(1), g.admin, compensated[0]["id"].get<std::string>());
  INFO(s.dump(1));
  check_steps(s, order_steps, "billing withdraw");
  check_ran(s, {{"order create", "compensated"}, {"billing withdraw", "failed"}});
  CHECK(s["error"] == refused.json()["message"]);
  CHECK(order_statuses(g.dsn(), client_id) == text_of({{"rejected", "500"}}));
  CHECK(balance_in_db(g.dsn(), client_id) == 0);
  CHECK(text_of(query(g.dsn(), "SELECT kind, outcome, requested, amount FROM ledger WHERE account_id = " +
                                 sql_literal(client_id) + " ORDER BY id")) ==
        text_of({{"open", "applied", "0", "0"}, {"withdraw", "refused", "500", "0"}}));

  auto deposit = http_post(g.via(2), "/dev/billingService/billing/deposit",
                           json{{"clientId", client_id}, {"sum", 1000}}.dump());
  INFO(deposit.body);
  REQUIRE(deposit.status == 200);
  CHECK(deposit.json() == json{{"id", client_id}, {"clientId", client_id}, {"balance", 1000}});

  auto ordered = create_order(g.via(0), session(token), 300);
  INFO(ordered.body);
  REQUIRE(ordered.status == 200);
  CHECK(ordered.json() == json{{"success", "ok"}});

  auto account = http_get(g.via(1), "/api/v1/accounts/" + client_id, session(token));
  REQUIRE(account.status == 200);
  CHECK(account.json()["balance"] == 700);
  CHECK(order_statuses(g.dsn(), client_id) == text_of({{"rejected", "500"}, {"confirmed", "300"}}));
  auto confirmed = query_value(g.dsn(), "SELECT id FROM orders WHERE status = 'confirmed'");

  auto completed = sagas_where(g.via(2), g.admin, "completed", "order", "client_id", client_id);
  REQUIRE(completed.size() == 1);
  auto done = saga(g.via(0), g.admin, completed[0]["id"].get<std::string>());
  check_steps(done, order_steps, "billing withdraw");
  check_ran(done, {{"order create", "succeeded"},
                   {"billing withdraw", "succeeded"},
                   {"order confirm", "succeeded"},
                   {"notify", "succeeded"}});
  CHECK(done["input"]["order_id"] == confirmed);

  auto note = last_notification(g.via(1));
  INFO(note.dump());
  CHECK(note["type"] == "newOrderCreated");
  CHECK(note["data"]["orderId"] == confirmed);
  CHECK(note["data"]["sum"] == 300);
  CHECK(note["data"]["client"] ==
        json{{"firstName", "First carol"}, {"lastName", "Last carol"}, {"email", "carol@example.test"}});
  check_ledger_invariants(g.dsn());
}

TEST_CASE("a create_order repeated with its Idempotency-Key creates one order and charges once", "[integration]") {
  gateway g;
  auto client_id = new_client(g.via(0), "dave", "dave's password");
  auto token = gateway_login(g.via(1), "dave", "dave's password");
  REQUIRE(http_post(g.via(2), "/dev/billingService/billing/deposit", json{{"clientId", client_id}, {"sum", 1000}}.dump())
            .status == 200);

  auto first = create_order(g.via(0), session(token, "order-1"), 100);
  INFO(first.body);
  REQUIRE(first.status == 200);
  CHECK_FALSE(first.has_header("Idempotent-Replayed"));
  for (int i = 1; i < 6; ++i) {
    auto again = create_order(g.via(i), session(token, "order-1"), 100);
    INFO(again.status << " " << again.body);
    CHECK(again.status == 200);
    CHECK(again.body == first.body);
    CHECK(again.header("Idempotent-Replayed") == "true");
  }
  check_json_error(create_order(g.via(1), session(token, "order-1"), 200), 422, "Idempotency-Key");
  CHECK(order_statuses(g.dsn(), client_id) == text_of({{"confirmed", "100"}}));
  CHECK(balance_in_db(g.dsn(), client_id) == 900);

  // At once from many threads, another key: one order, one charge.
  constexpr int threads = 8;
  std::vector<http_response> answers(threads);
  in_parallel(threads, [&](int t) { answers[t] = create_order(g.via(t), session(token, "order-2"), 100); });
  int ok = 0;
  for (auto& r : answers) {
    INFO(r.status << " " << r.body << r.error);
    if (r.status == 200) {
      CHECK(r.json() == json{{"success", "ok"}});
      ++ok;
    } else {
      check_json_error(r, 409, "still being processed");
    }
  }
  CHECK(ok >= 1);
  CHECK(order_statuses(g.dsn(), client_id) == text_of({{"confirmed", "100"}, {"confirmed", "100"}}));
  CHECK(balance_in_db(g.dsn(), client_id) == 800);
  CHECK(sql_count(g.dsn(), "ledger WHERE kind = 'withdraw' AND account_id = " + sql_literal(client_id)) == "2");
  CHECK(sql_count(g.dsn(), "sagas WHERE type = 'order'") == "2");
  check_ledger_invariants(g.dsn());
}

TEST_CASE("sagas are shown to admins only: others get 403, an unknown saga 404, a bad filter 400", "[integration]") {
  gateway g;
  auto alice = new_user_session(g.via(0), g.via(1), "alice", "alice's password");

  for (int i = 0; i < 3; ++i) {
    check_json_error(http_get(g.via(i), "/api/v1/sagas", alice.auth()), 403, "");
    check_json_error(http_get(g.via(i), "/api/v1/sagas?state=completed", alice.auth()), 403, "");
    check_json_error(http_get(g.via(i), "/api/v1/sagas/00000000-0000-0000-0000-000000000000", alice.auth()), 403, "");
    check_json_error(http_get(g.via(i), "/api/v1/sagas"), 401, "");
  }
  check_json_error(http_get(g.via(0), "/api/v1/sagas/00000000-0000-0000-0000-000000000000", g.admin.auth()), 404,
                   "00000000-0000-0000-0000-000000000000");
  for (auto state : {"paused", "COMPLETED", "done"})
    check_json_error(http_get(g.via(1), std::string("/api/v1/sagas?state=") + state, g.admin.auth()), 400, "state");
  for (auto limit : {"0", "10001", "ten"})
    check_json_error(http_get(g.via(2), std::string("/api/v1/sagas?limit=") + limit, g.admin.auth()), 400, "limit");
  auto all = http_get(g.via(0), "/api/v1/sagas", g.admin.auth());
  REQUIRE(all.status == 200);
  CHECK(all.json() == json::array());

  // An order needs a client: a user who is none gets 409, a caller without
  // credentials 401, a bad sum 400; no saga starts.
  check_json_error(create_order(g.via(1), alice.auth(), 100), 409, "not a client");
  check_json_error(create_order(g.via(2), {}, 100), 401, "");
  auto client_id = new_client(g.via(0), "erin", "erin's password");
  auto token = gateway_login(g.via(1), "erin", "erin's password");
  for (auto body : {R"({"sum":0})", R"({"sum":1.5})", R"({"sum":"100"})", R"({})", R"({"sum":)"}) {
    INFO(body);
    auto r = http_post(g.via(2), "/api/order/create_order", body, session(token));
    CHECK(r.status == 400);
  }
  CHECK(sql_count(g.dsn(), "sagas WHERE type = 'order'") == "0");
  CHECK(sql_count(g.dsn(), "orders") == "0");
  CHECK(balance_in_db(g.dsn(), client_id) == 0);
}

TEST_CASE("an order saga whose owner died as its withdraw was sent is resumed by the shard's owner: the order paid "
          "once, confirmed and announced",
          "[integration]") {
  gateway g;
  auto client_id = new_client(g.via(0), "erin", "erin's password");
  REQUIRE(http_post(g.via(1), "/dev/billingService/billing/deposit", json{{"clientId", client_id}, {"sum", 1000}}.dump())
            .status == 200);
  // What the dead owner left: the order created, the saga's row written
  // before its withdraw was sent, in the shard of the client's account.
  auto user_id = query_value(g.dsn(), "SELECT user_id FROM clients WHERE id = " + sql_literal(client_id));
  auto shard = query_value(g.dsn(), "SELECT shard FROM ledger WHERE kind = 'open' AND account_id = " +
                                      sql_literal(client_id));
  auto id = client_id + ".left-by-a-dead-node";
  json input{{"order_id", "order-of-erin"}, {"client_id", client_id}, {"user_id", user_id}, {"sum", 300}};
  query(g.dsn(), "INSERT INTO orders (id, client_id, user_id, sum, status) VALUES ('order-of-erin', " +
                   sql_literal(client_id) + ", " + sql_literal(user_id) + ", 300, 'pending')");
  query(g.dsn(), "INSERT INTO sagas (id, type, state, step, shard, input, step_names, step_pivots, step_status,"
                 " step_attempts, step_started_at) VALUES (" +
                   sql_literal(id) + ", 'order', 'running', 1, " + shard + ", " + sql_literal(input.dump()) +
                   ", ARRAY['order create', 'billing withdraw', 'order confirm', 'notify'],"
                   " ARRAY[false, true, false, false], 'running', 1, now())");
  query(g.dsn(), "INSERT INTO saga_steps (saga_id, step, name, pivot, status, attempts, started_at, finished_at)"
                 " VALUES (" +
                   sql_literal(id) + ", 0, 'order create', false, 'succeeded', 1, now(), now())");

  // The owner's sweep (every saga.sweep_interval, 5 s) finds it.
  REQUIRE(wait_until([&] { return saga(g.via(2), g.admin, id)["state"] == "completed"; }, 60s, 200ms));
  auto s = saga(g.via(0), g.admin, id);
  check_ran(s, {{"order create", "succeeded"},
                {"billing withdraw", "succeeded"},
                {"order confirm", "succeeded"},
                {"notify", "succeeded"}});
  CHECK(s["steps"][0]["attempts"] == 1);
  CHECK(s["steps"][1]["attempts"] == 2);
  CHECK(order_statuses(g.dsn(), client_id) == text_of({{"confirmed", "300"}}));
  CHECK(balance_in_db(g.dsn(), client_id) == 700);
  CHECK(sql_count(g.dsn(), "ledger WHERE op_id = " + sql_literal(id + ":1")) == "1");
  auto note = last_notification(g.via(1));
  CHECK(note["type"] == "newOrderCreated");
  CHECK(note["data"]["orderId"] == "order-of-erin");
  check_ledger_invariants(g.dsn());
}
