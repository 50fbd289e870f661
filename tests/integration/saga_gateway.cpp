// The saga gateway's API (http/gateway_routes.cpp) on a 3-node cluster: the
// gateway's own Postman collection (tests/peer-suites/), run unchanged by
// newman against each node; and its flows taken through different nodes.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/json_error.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_cluster.hpp"
#include "tests/support/wait_until.hpp"
#include "topology/placement.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string collection = TROUPE_SOURCE_DIR "/tests/peer-suites/saga-gateway.postman_collection.json";

// What the collection holds: eight requests, each with one pm.test. Every
// one must be sent, answered and pass.
constexpr int collection_requests = 8;
constexpr int collection_assertions = 8;

// A run registers, logs in and places two orders, each a saga across the
// cluster: about a second here. The bound is for a hung run.
constexpr auto newman_timeout = 120s;

cluster_options gateway_cluster() {
  cluster_options o;
  o.extra_flags = {"--http.dev_routes=true"};
  return o;
}

// Every node is ready, sees every other up and owns the shards rendezvous
// placement gives it, so no shard moves while the flows run; and every
// node's identity actor answers (401, not 503).
bool cluster_settled(test_cluster& c) {
  std::vector<std::string> names;
  for (int i = 0; i < c.size(); ++i)
    names.push_back(test_cluster::name(i));
  for (int i = 0; i < c.size(); ++i) {
    if (http_get(c.port(i), "/ready", {}, 2s).status != 200 ||
        http_get(c.port(i), "/api/v1/users/me", {}, 2s).status != 401)
      return false;
    auto view = c.cluster_view(i);
    auto statuses = member_statuses(view);
    if (static_cast<int>(statuses.size()) != c.size())
      return false;
    for (auto& [name, status] : statuses)
      if (status != "up")
        return false;
    auto owners = shard_owners(view);
    if (static_cast<int>(owners.size()) != c.shards())
      return false;
    for (auto& [shard, owner] : owners)
      if (owner != troupe::topology::rendezvous_owner(shard, names))
        return false;
  }
  return true;
}

struct newman_run {
  command_result result;
  json report; // newman's JSON report; empty when it wrote none
};

newman_run run_collection(std::uint16_t port) {
  temp_dir dir("troupe-newman");
  auto report_file = dir.file("report.json");
  newman_run run;
  run.result = run_command({TROUPE_NEWMAN, "run", collection, "--env-var",
                            "host=http://127.0.0.1:" + std::to_string(port), "--reporters", "cli,json",
                            "--reporter-json-export", report_file, "--color", "off"},
                           {}, newman_timeout);
  std::ifstream in(report_file);
  run.report = json::parse(in, nullptr, false);
  if (!run.report.is_object())
    run.report = json::object();
  return run;
}

// Requests that got no answer: a transport error, or no response at all.
int unanswered(const json& report) {
  int out = 0;
  for (auto& e : report.value(json::json_pointer("/run/executions"), json::array()))
    if (e.contains("requestError") || !e.contains("response") || !e["response"].contains("code"))
      ++out;
  return out;
}

// What a run says of itself, in one line, so that one check compares it all
// and newman's output is printed once when it differs.
std::string summary(const newman_run& run) {
  auto stat = [&](const char* path) { return run.report.value(json::json_pointer(path), json()).dump(); };
  return "exit " + std::to_string(run.result.exit_code) + "; requests " + stat("/run/stats/requests/total") +
         ", failed " + stat("/run/stats/requests/failed") + ", unanswered " + std::to_string(unanswered(run.report)) +
         "; assertions " + stat("/run/stats/assertions/total") + ", failed " + stat("/run/stats/assertions/failed") +
         "; failures " + std::to_string(run.report.value(json::json_pointer("/run/failures"), json::array()).size());
}

// A run that passed: every request sent and answered, every assertion passed.
const std::string passed = "exit 0; requests " + std::to_string(collection_requests) +
                           ", failed 0, unanswered 0; assertions " + std::to_string(collection_assertions) +
                           ", failed 0; failures 0";

http_response post_json(std::uint16_t port, const std::string& path, const json& body,
                        const header_list& headers = {}) {
  return http_request("POST", port, path, body.dump(), headers, 60s);
}

std::string describe(const http_response& r) {
  return std::to_string(r.status) + " " + r.body + r.error;
}

} // namespace

TEST_CASE("the saga gateway's Postman collection passes unchanged against every node of a cluster",
          "[integration][gateway]") {
  {
    INFO("newman is installed by scripts/newman (scripts/test runs it): run it, then this test again");
    REQUIRE(access(TROUPE_NEWMAN, X_OK) == 0);
  }

  pg_instance pg;
  test_cluster c(pg.dsn(), gateway_cluster());
  REQUIRE(wait_until([&] { return cluster_settled(c); }, 60s, 100ms));

  for (int i = 0; i < c.size(); ++i) {
    INFO("newman against " << test_cluster::name(i) << " at 127.0.0.1:" << c.port(i));
    auto run = run_collection(c.port(i));
    INFO("newman's output:\n" << run.result.out << run.result.err);
    CHECK(summary(run) == passed);
  }
}

TEST_CASE("a client registered through one node logs in through another and orders through a third",
          "[integration][gateway]") {
  pg_instance pg;
  test_cluster c(pg.dsn(), gateway_cluster());
  REQUIRE(wait_until([&] { return cluster_settled(c); }, 60s, 100ms));

  json person{{"login", "ada"},
              {"password", "analytical engine"},
              {"firstName", "Ada"},
              {"lastName", "Lovelace"},
              {"email", "ada@example.test"}};
  auto registered = post_json(c.port(0), "/api/client/register_client", person);
  INFO("register through node1: " << describe(registered));
  REQUIRE(registered.status == 200);
  auto client_id = registered.json().value("clientId", "");
  REQUIRE_FALSE(client_id.empty());
  CHECK(registered.json()["login"] == "ada");

  auto logged_in = post_json(c.port(1), "/api/auth/login", {{"login", "ada"}, {"password", "analytical engine"}});
  INFO("login through node2: " << describe(logged_in));
  REQUIRE(logged_in.status == 200);
  CHECK(logged_in.json() == json{{"status", "OK"}});
  auto set_cookie = logged_in.header("set-cookie");
  REQUIRE_THAT(set_cookie, Catch::StartsWith("session="));
  header_list session{{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};

  auto refused = post_json(c.port(2), "/api/order/create_order", {{"sum", 1000}}, session);
  INFO("order without funds through node3: " << describe(refused));
  CHECK(refused.status == 422);
  CHECK(refused.json()["error"] == "order_failed");

  auto deposited = post_json(c.port(0), "/dev/billingService/billing/deposit", {{"clientId", client_id}, {"sum", 1500}});
  INFO("deposit through node1: " << describe(deposited));
  REQUIRE(deposited.status == 200);
  CHECK(deposited.json()["balance"] == 1500);

  auto ordered = post_json(c.port(2), "/api/order/create_order", {{"sum", 1000}}, session);
  INFO("order through node3: " << describe(ordered));
  REQUIRE(ordered.status == 200);
  CHECK(ordered.json() == json{{"success", "ok"}});

  // Every node reads the same last notification: the order's, with the
  // client's names from the registration made through node1.
  for (int i = 0; i < c.size(); ++i) {
    auto last = http_get(c.port(i), "/dev/notificationService/notification/last");
    INFO(test_cluster::name(i) << ": " << describe(last));
    REQUIRE(last.status == 200);
    auto n = last.json();
    CHECK(n["type"] == "newOrderCreated");
    CHECK(n["data"]["sum"] == 1000);
    CHECK(n["data"]["client"] == json{{"firstName", "Ada"}, {"lastName", "Lovelace"}, {"email", "ada@example.test"}});
  }

  // The refused order took nothing; the one that went through took its sum.
  auto account = http_get(c.port(1), "/api/v1/accounts/" + client_id, session);
  INFO("the client's account through node2: " << describe(account));
  REQUIRE(account.status == 200);
  CHECK(account.json()["balance"] == 500);

  auto client = http_get(c.port(1), "/dev/clientService/client/" + client_id);
  INFO("the client through node2: " << describe(client));
  REQUIRE(client.status == 200);
  CHECK(client.json()["login"] == "ada");
  CHECK(client.json()["status"] == "approved");
}

TEST_CASE("a registration and a dev deposit retried with their key after the stored answers were lost run once",
          "[integration][gateway]") {
  pg_instance pg;
  test_cluster c(pg.dsn(), gateway_cluster());
  REQUIRE(wait_until([&] { return cluster_settled(c); }, 60s, 100ms));
  // What a node that dies between doing a write and storing its answer
  // leaves: the write done, no answer for the key.
  auto lose_answers = [&] { query(pg.dsn(), "DELETE FROM idempotency_keys"); };

  json person{{"login", "grace"},
              {"password", "compiler compiler"},
              {"firstName", "Grace"},
              {"lastName", "Hopper"},
              {"email", "grace@example.test"}};
  header_list registration{{"Idempotency-Key", "register-grace"}};
  auto registered = post_json(c.port(0), "/api/client/register_client", person, registration);
  INFO("register through node1: " << describe(registered));
  REQUIRE(registered.status == 200);
  lose_answers();
  auto again = post_json(c.port(1), "/api/client/register_client", person, registration);
  INFO("again through node2: " << describe(again));
  CHECK(again.status == 200);
  CHECK(again.body == registered.body);
  CHECK_FALSE(again.has_header("Idempotent-Replayed"));
  auto client_id = registered.json()["clientId"].get<std::string>();
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM clients") == "1");

  json funds{{"clientId", client_id}, {"sum", 700}};
  header_list deposit{{"Idempotency-Key", "deposit-1"}};
  auto deposited = post_json(c.port(2), "/dev/billingService/billing/deposit", funds, deposit);
  INFO("deposit through node3: " << describe(deposited));
  REQUIRE(deposited.status == 200);
  CHECK(deposited.json()["balance"] == 700);
  lose_answers();
  auto retried = post_json(c.port(0), "/dev/billingService/billing/deposit", funds, deposit);
  INFO("again through node1: " << describe(retried));
  CHECK(retried.status == 200);
  CHECK(retried.body == deposited.body);
  CHECK(query_value(pg.dsn(), "SELECT balance FROM accounts WHERE id = " + sql_literal(client_id)) == "700");
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM ledger WHERE kind = 'deposit'") == "1");
}

TEST_CASE("a node started without http.dev_routes serves no inspection route, and the gateway's routes still",
          "[integration][gateway]") {
  pg_instance pg;
  node_process node(pg.dsn());
  REQUIRE(node.wait_ready_http());
  check_json_error(http_get(node.port(), "/dev/clientService/client/x"), 404, "no route for /dev/clientService");
  check_json_error(http_get(node.port(), "/dev/notificationService/notification/last"), 404, "no route for /dev/");
  check_json_error(http_post(node.port(), "/dev/billingService/billing/deposit", R"({"clientId":"x","sum":1})"), 404,
                   "no route for /dev/billingService");
  auto login = [&] { return http_post(node.port(), "/api/auth/login", R"({"login":"nobody","password":"wrong!!"})"); };
  // 503 until the identity actor runs.
  REQUIRE(wait_until([&] { return login().status != 503; }, 20s));
  check_json_error(login(), 401, "wrong login or password");
}
