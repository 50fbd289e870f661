// A bank test in the spirit of Jepsen's: clients deposit, withdraw and place
// orders through every node of a 3-node cluster, each operation retried
// with its own Idempotency-Key until it has an answer, while the nodes are
// killed (SIGKILL) and restarted one after another. Afterwards, with the
// cluster whole again: every acknowledged operation is in the ledger exactly
// once, no balance is negative and each equals its ledger, the money left is
// what was deposited minus what was withdrawn or paid for orders; and each
// time the cluster is whole again, every saga unfinished then has finished
// within 10 s.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/failure_context.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/ledger.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/settled_cluster.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/test_cluster.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr int clients = 6;
constexpr int workers = 12;          // two per client, so that they race on its account
constexpr int kill_rounds = 3;       // node1, node2, node3 in turn
constexpr int progress_per_phase = 25; // operations answered between two blows

enum class kind { deposit, withdraw, order };

const char* name_of(kind k) {
  return k == kind::deposit ? "deposit" : k == kind::withdraw ? "withdraw" : "order";
}

struct client {
  std::string account; // the client's id, which is its account's
  std::string cookie;  // "session=..."
};

// One operation and, once answered, its outcome: "applied" or "refused" for
// a deposit or withdraw (with the ledger's op_id), "completed" or
// "compensated" for an order.
struct operation {
  kind what = kind::deposit;
  int client = 0;
  std::int64_t amount = 0;
  std::string key;
  std::string outcome;
  std::string op_id;
  int attempts = 0;
};

// Answers that are neither an outcome nor worth a retry.
struct log_of_surprises {
  std::mutex m;
  std::vector<std::string> lines;
  void add(const std::string& line) {
    std::lock_guard<std::mutex> lock(m);
    lines.push_back(line);
  }
};

cluster_options bank_options() {
  cluster_options o;
  // Short retries and timeouts, so that sagas and keys held by a killed node
  // are taken up again within a second or two.
  o.extra_flags = {"--http.dev_routes=true", "--http.request_timeout=3s", "--saga.retry_initial=100ms",
                   "--saga.retry_max=1s", "--saga.step_timeout=2s", "--saga.sweep_interval=500ms"};
  return o;
}

client register_client(std::uint16_t port, int i) {
  auto login = "client" + std::to_string(i);
  auto password = "password of " + login;
  auto r = http_post(port, "/api/client/register_client",
                     json{{"login", login},
                          {"password", password},
                          {"firstName", "First " + login},
                          {"lastName", "Last " + login},
                          {"email", login + "@example.test"}}
                       .dump());
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 200);
  auto in = http_post(port, "/api/auth/login", json{{"login", login}, {"password", password}}.dump());
  INFO(in.status << " " << in.body << in.error);
  REQUIRE(in.status == 200);
  auto cookie = in.header("set-cookie");
  return {r.json()["clientId"].get<std::string>(), cookie.substr(0, cookie.find(';'))};
}

http_response send(const operation& op, const client& c, std::uint16_t port) {
  header_list h{{"Cookie", c.cookie}, {"Idempotency-Key", op.key}};
  // An order runs a whole saga, which waits out a killed owner's lease.
  constexpr auto patience = 15s;
  if (op.what == kind::order)
    return http_request("POST", port, "/api/order/create_order", json{{"sum", op.amount}}.dump(), h, patience);
  auto path = "/api/v1/accounts/" + c.account + (op.what == kind::deposit ? "/deposits" : "/withdrawals");
  return http_request("POST", port, path, json{{"amount", op.amount}}.dump(), h, patience);
}

// Reads an answer: true once it is the operation's outcome. Transport
// failures, 409 (the key's first request still runs) and 5xx are retried;
// anything else is a surprise, recorded, and ends the operation.
bool settle(operation& op, const http_response& r, log_of_surprises& surprises) {
  if (r.status == 0 || r.status == 409 || r.status >= 500)
    return false;
  auto j = r.json();
  if (op.what == kind::order) {
    if (r.status == 200 && j == json{{"success", "ok"}})
      op.outcome = "completed";
    else if (r.status == 422 && j.value("error", "") == "order_failed")
      op.outcome = "compensated";
  } else if (r.status == 201 && j.is_object()) {
    op.outcome = "applied";
    op.op_id = j.value("op_id", "");
  } else if (r.status == 422 && j.value("error", "") == "insufficient_funds" && op.what == kind::withdraw) {
    op.outcome = "refused";
    op.op_id = j["operation"].value("op_id", "");
  }
  if (op.outcome.empty()) {
    op.outcome = "surprise";
    surprises.add(std::string(name_of(op.what)) + " " + op.key + ": " + std::to_string(r.status) + " " + r.body);
  }
  return true;
}

struct tally {
  std::int64_t deposited = 0, withdrawn = 0, paid = 0;
  int billing_ops = 0, orders = 0, completed = 0, compensated = 0;
};

} // namespace

TEST_CASE("a bank under kill -9 and restarts loses no acknowledged operation, charges each once and finishes every "
          "saga",
          "[chaos]") {
  pg_instance pg;
  failure_context leases("shard_leases", lease_table(pg.dsn()));
  failure_context unfinished("unfinished sagas", [dsn = pg.dsn()] {
    return text_of(query(dsn, "SELECT id, type, state, step, step_names[step + 1], step_status, step_attempts, step_error"
                              " FROM sagas WHERE state NOT IN ('completed', 'compensated') LIMIT 20"));
  });
  test_cluster c(pg.dsn(), bank_options());
  wait_until_settled(c);

  std::vector<client> bank;
  for (int i = 0; i < clients; ++i)
    bank.push_back(register_client(c.port(i % c.size()), i));

  // Workers read the ports while nodes restart on new ones.
  std::array<std::atomic<std::uint16_t>, 3> ports;
  for (int i = 0; i < c.size(); ++i)
    ports[i] = c.port(i);

  std::atomic<bool> stop_new{false}; // start no more operations
  std::atomic<bool> give_up{false};  // stop retrying: the test has failed
  std::atomic<int> answered{0};
  log_of_surprises surprises;
  std::vector<std::vector<operation>> done(workers);

  std::vector<std::thread> threads;
  for (int t = 0; t < workers; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::uniform_int_distribution<int> pick(0, 9);
      std::uniform_int_distribution<std::int64_t> amount(1, 100);
      for (int n = 0; !stop_new; ++n) {
        auto p = pick(rng);
        operation op;
        op.what = p < 4 ? kind::deposit : p < 7 ? kind::withdraw : kind::order;
        op.client = t % clients;
        op.amount = amount(rng);
        op.key = "w" + std::to_string(t) + "-" + std::to_string(n);
        auto backoff = 20ms;
        while (!give_up) {
          auto port = ports[(t + op.attempts++) % ports.size()].load();
          if (settle(op, send(op, bank[op.client], port), surprises))
            break;
          // Paced retries: a dead node refuses at once, and a held key answers 409 until it is free.
          wait_until([&] { return give_up.load(); }, backoff);
          backoff = std::min(backoff * 2, std::chrono::milliseconds{500});
        }
        if (op.outcome.empty())
          return;
        done[t].push_back(op);
        ++answered;
      }
    });
  // Whatever happens to the assertions below, the workers stop.
  struct joiner {
    std::vector<std::thread>& threads;
    std::atomic<bool>& stop_new;
    std::atomic<bool>& give_up;
    ~joiner() {
      stop_new = give_up = true;
      for (auto& th : threads)
        if (th.joinable())
          th.join();
    }
  } join_at_exit{threads, stop_new, give_up};

  auto progress = [&](const char* phase) {
    auto target = answered + progress_per_phase;
    INFO("workers answered " << answered << " operations, waiting for " << target << " " << phase);
    REQUIRE(wait_until([&] { return answered >= target; }, 60s));
  };
  // The bound: every saga unfinished when the cluster is whole
  // again (those created up to then) is completed or compensated 10 s later.
  auto unfinished_sagas_end = [&] {
    auto whole_at = sql_literal(query_value(pg.dsn(), "SELECT now()::text"));
    CHECK(wait_until(
      [&] {
        return query_value(pg.dsn(), "SELECT count(*) FROM sagas WHERE state NOT IN ('completed', 'compensated')"
                                     " AND created_at <= " + whole_at) == "0";
      },
      10s, 100ms));
  };
  progress("before the first kill");
  for (int round = 0; round < kill_rounds; ++round) {
    int victim = round % c.size();
    INFO("round " << round + 1 << ": " << test_cluster::name(victim) << " killed");
    c.kill(victim);
    progress("while a node is down");
    c.start(victim);
    ports[victim] = c.port(victim);
    wait_until_settled(c);
    unfinished_sagas_end();
    progress("after the restart");
  }

  // No more new operations; the last ones finish.
  stop_new = true;
  unfinished_sagas_end();
  for (auto& th : threads)
    th.join();

  std::map<std::string, operation> by_op_id;
  tally want;
  int retried = 0;
  for (auto& ops : done)
    for (auto& op : ops) {
      retried += op.attempts > 1;
      if (op.what == kind::order) {
        ++want.orders;
        if (op.outcome == "completed") {
          ++want.completed;
          want.paid += op.amount;
        } else if (op.outcome == "compensated") {
          ++want.compensated;
        }
        continue;
      }
      ++want.billing_ops;
      if (op.outcome == "applied")
        (op.what == kind::deposit ? want.deposited : want.withdrawn) += op.amount;
      if (!op.op_id.empty())
        by_op_id[op.op_id] = op;
    }
  INFO(answered << " operations: " << want.billing_ops << " deposits and withdrawals, " << want.orders
                << " orders (" << want.completed << " completed, " << want.compensated << " compensated), "
                << retried << " retried");
  for (auto& line : surprises.lines)
    UNSCOPED_INFO("surprise: " << line);
  CHECK(surprises.lines.empty());
  // The blows landed: some operations needed more than one attempt.
  CHECK(retried > 0);
  REQUIRE(want.completed > 0);
  REQUIRE(want.compensated + want.completed == want.orders);

  // Every saga is finished, each order with it.
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM sagas WHERE state NOT IN ('completed', 'compensated')") == "0");
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM sagas WHERE type = 'order'") == std::to_string(want.orders));
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM orders WHERE status = 'confirmed'") ==
        std::to_string(want.completed));
  CHECK(query_value(pg.dsn(), "SELECT coalesce(sum(sum), 0) FROM orders WHERE status = 'confirmed'") ==
        std::to_string(want.paid));
  CHECK(query_value(pg.dsn(), "SELECT count(*) FROM orders WHERE status = 'rejected'") ==
        std::to_string(want.compensated));

  // Each acknowledged deposit and withdrawal is in the ledger once, as it was answered.
  CHECK(by_op_id.size() == static_cast<std::size_t>(want.billing_ops));
  auto rows = query(pg.dsn(), "SELECT op_id, kind, outcome, amount FROM ledger WHERE kind <> 'open'");
  std::set<std::string> seen;
  for (auto& row : rows) {
    auto i = by_op_id.find(row[0]);
    if (i == by_op_id.end())
      continue; // an order's withdrawal, counted below
    auto& op = i->second;
    INFO("ledger row " << text_of({row}) << " of " << name_of(op.what) << " " << op.key);
    CHECK(seen.insert(row[0]).second);
    CHECK(row[1] == name_of(op.what));
    CHECK(row[2] == op.outcome);
    auto amount = op.outcome == "refused" ? 0 : op.what == kind::deposit ? op.amount : -op.amount;
    CHECK(row[3] == std::to_string(amount));
  }
  CHECK(seen.size() == by_op_id.size());
  // ... and each order charged (or was refused) once: no other row is there.
  CHECK(rows.size() == by_op_id.size() + static_cast<std::size_t>(want.orders));

  // The money left is the money deposited, less what was withdrawn and paid.
  std::vector<std::string> accounts;
  for (auto& cl : bank)
    accounts.push_back(cl.account);
  CHECK(query_value(pg.dsn(), "SELECT sum(balance) FROM accounts WHERE id IN (" + sql_list(accounts) + ")") ==
        std::to_string(want.deposited - want.withdrawn - want.paid));
  check_ledger_invariants(pg.dsn());
}
