// Billing against a 3-node cluster and a real PostgreSQL, requests spread
// over every node: accounts, deposits and withdrawals by their owners,
// what the edge refuses, withdrawals racing on one account, and
// Idempotency-Keys replayed one after another and all at once. Each case
// ends by checking billing's invariants over the whole database.
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
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

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string accounts = "/api/v1/accounts";

header_list with(const header_list& auth, const std::string& key) {
  auto h = auth;
  if (!key.empty())
    h.emplace_back("Idempotency-Key", key);
  return h;
}

http_response open_account(std::uint16_t port, const user_session& u, const std::string& key = "") {
  return http_post(port, accounts, "", with(u.auth(), key));
}

// Opens an account for `u`; its JSON.
json new_account(std::uint16_t port, const user_session& u) {
  auto r = open_account(port, u);
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 201);
  return r.json();
}

// POST .../deposits or .../withdrawals with `body` as it is.
http_response post_money(std::uint16_t port, const header_list& auth, const std::string& account, const std::string& kind,
                         const std::string& body, const std::string& key = "") {
  return http_post(port, accounts + "/" + account + "/" + kind, body, with(auth, key));
}

http_response deposit(std::uint16_t port, const user_session& u, const std::string& account, std::int64_t amount,
                      const std::string& key = "") {
  return post_money(port, u.auth(), account, "deposits", json{{"amount", amount}}.dump(), key);
}

http_response withdraw(std::uint16_t port, const user_session& u, const std::string& account, std::int64_t amount,
                       const std::string& key = "") {
  return post_money(port, u.auth(), account, "withdrawals", json{{"amount", amount}}.dump(), key);
}

// An operation answered 201; its JSON.
json applied(const http_response& r) {
  INFO(r.status << " " << r.body << r.error);
  REQUIRE(r.status == 201);
  return r.json();
}

// Ledger rows of `account` that match `condition` (SQL).
int ledger_rows(const std::string& dsn, const std::string& account, const std::string& condition = "true") {
  return std::stoi(query_value(dsn, "SELECT count(*) FROM ledger WHERE account_id = " + sql_literal(account) +
                                      " AND " + condition));
}

std::int64_t ledger_sum(const std::string& dsn, const std::string& account) {
  return std::stoll(query_value(
    dsn, "SELECT coalesce(sum(amount), 0) FROM ledger WHERE account_id = " + sql_literal(account)));
}

std::function<std::string()> ledger_table(const std::string& dsn) {
  return [dsn] {
    return text_of(query(dsn, "SELECT id, op_id, account_id, kind, outcome, requested, amount, balance_after,"
                              " shard, epoch FROM ledger ORDER BY id DESC LIMIT 40"));
  };
}

cluster_options with_flags(std::vector<std::string> flags) {
  cluster_options o;
  o.extra_flags = std::move(flags);
  return o;
}

// A 3-node cluster (each node with `flags` too) on a database of its own,
// settled.
struct bank {
  explicit bank(std::vector<std::string> flags = {})
    : cluster(pg.dsn(), with_flags(std::move(flags))) {
    wait_until_settled(cluster);
  }

  const std::string& dsn() const { return pg.dsn(); }
  // Node (i mod 3): consecutive requests go to every node in turn.
  std::uint16_t via(int i) { return cluster.port(i % cluster.size()); }

  pg_instance pg;
  failure_context leases{"shard_leases", lease_table(pg.dsn())};
  failure_context ledger{"the last 40 ledger rows", ledger_table(pg.dsn())};
  test_cluster cluster;
};

} // namespace

TEST_CASE("two users open accounts, deposits and withdrawals move the balance, and the history lists them newest "
          "first",
          "[integration]") {
  bank b;
  auto alice = new_user_session(b.via(0), b.via(1), "alice", "alice's password");
  auto bob = new_user_session(b.via(1), b.via(2), "bob", "bob's password!");

  auto first = new_account(b.via(0), alice);
  auto second = new_account(b.via(1), alice);
  auto bobs = new_account(b.via(2), bob);
  for (auto& [a, owner] : std::vector<std::pair<json, std::string>>{{first, alice.id}, {second, alice.id}, {bobs, bob.id}}) {
    INFO(a.dump());
    CHECK(a["id"].get<std::string>().size() == 36);
    CHECK(a["owner"] == owner);
    CHECK(a["balance"] == 0);
    CHECK(a["created_at"].is_string());
  }
  CHECK(std::set<json>{first["id"], second["id"], bobs["id"]}.size() == 3);

  // Each user lists their own accounts, oldest first, on any node.
  for (int i = 0; i < 3; ++i) {
    auto mine = http_get(b.via(i), accounts, alice.auth());
    REQUIRE(mine.status == 200);
    CHECK(mine.json() == json::array({first, second}));
    auto his = http_get(b.via(i), accounts, bob.auth());
    REQUIRE(his.status == 200);
    CHECK(his.json() == json::array({bobs}));
  }

  auto id = first["id"].get<std::string>();
  struct step {
    const char* kind;
    std::int64_t requested, amount, balance;
  };
  std::vector<step> steps{{"deposit", 500, 500, 500},
                          {"withdraw", 200, -200, 300},
                          {"deposit", 50, 50, 350},
                          {"withdraw", 350, -350, 0},
                          {"deposit", 7, 7, 7}};
  std::vector<json> done;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto& s = steps[i];
    auto r = std::string(s.kind) == "deposit" ? deposit(b.via(int(i)), alice, id, s.requested)
                                              : withdraw(b.via(int(i)), alice, id, s.requested);
    auto op = applied(r);
    INFO(op.dump());
    CHECK_FALSE(r.has_header("Idempotent-Replayed"));
    CHECK(op["op_id"].get<std::string>().size() == 36);
    CHECK(op["account_id"] == id);
    CHECK(op["kind"] == s.kind);
    CHECK(op["outcome"] == "applied");
    CHECK(op["requested"] == s.requested);
    CHECK(op["amount"] == s.amount);
    CHECK(op["balance"] == s.balance);
    CHECK(op["at"].is_string());
    done.push_back(op);
    // Every node reads the balance the operation left.
    for (int n = 0; n < 3; ++n) {
      auto a = http_get(b.via(n), accounts + "/" + id, alice.auth());
      REQUIRE(a.status == 200);
      CHECK(a.json()["balance"] == s.balance);
    }
  }
  CHECK(balance_in_db(b.dsn(), id) == 7);

  // Newest first: the operations backwards, then the account's opening.
  auto history = http_get(b.via(1), accounts + "/" + id + "/history", alice.auth());
  REQUIRE(history.status == 200);
  auto ops = history.json();
  REQUIRE(ops.size() == steps.size() + 1);
  for (std::size_t i = 0; i < done.size(); ++i)
    CHECK(ops[i] == done[done.size() - 1 - i]);
  CHECK(ops.back()["kind"] == "open");
  CHECK(ops.back()["amount"] == 0);
  CHECK(ops.back()["balance"] == 0);
  auto last_two = http_get(b.via(2), accounts + "/" + id + "/history?limit=2", alice.auth());
  REQUIRE(last_two.status == 200);
  CHECK(last_two.json() == json::array({done[4], done[3]}));
  for (auto limit : {"0", "-1", "10001", "two", "2x"})
    check_json_error(http_get(b.via(0), accounts + "/" + id + "/history?limit=" + limit, alice.auth()), 400, "limit");

  // The other accounts are untouched.
  for (auto& other : {second, bobs}) {
    auto oid = other["id"].get<std::string>();
    CHECK(balance_in_db(b.dsn(), oid) == 0);
    CHECK(ledger_rows(b.dsn(), oid) == 1);
  }
  check_ledger_invariants(b.dsn());
}

TEST_CASE("a withdraw larger than the balance is refused with 422 insufficient_funds and changes nothing",
          "[integration]") {
  bank b;
  auto alice = new_user_session(b.via(0), b.via(1), "alice", "alice's password");
  auto id = new_account(b.via(2), alice)["id"].get<std::string>();
  applied(deposit(b.via(0), alice, id, 100));
  auto applied_before = ledger_rows(b.dsn(), id, "outcome = 'applied'");

  for (int i = 0; i < 3; ++i) {
    auto r = withdraw(b.via(i), alice, id, 101);
    check_json_error(r, 422, "100");
    auto body = r.json();
    CHECK(body["error"] == "insufficient_funds");
    auto& op = body["operation"];
    INFO(r.body);
    CHECK(op["kind"] == "withdraw");
    CHECK(op["outcome"] == "refused");
    CHECK(op["requested"] == 101);
    CHECK(op["amount"] == 0);
    CHECK(op["balance"] == 100);
  }
  // The balance and the money in the ledger are as they were; the refusals
  // are on record with amount 0.
  CHECK(balance_in_db(b.dsn(), id) == 100);
  CHECK(ledger_sum(b.dsn(), id) == 100);
  CHECK(ledger_rows(b.dsn(), id, "outcome = 'applied'") == applied_before);
  CHECK(ledger_rows(b.dsn(), id, "outcome = 'refused' AND amount = 0 AND requested = 101") == 3);
  auto a = http_get(b.via(1), accounts + "/" + id, alice.auth());
  REQUIRE(a.status == 200);
  CHECK(a.json()["balance"] == 100);

  // The whole balance can go.
  CHECK(applied(withdraw(b.via(1), alice, id, 100))["balance"] == 0);
  check_json_error(withdraw(b.via(2), alice, id, 1), 422, "less than 1");
  CHECK(balance_in_db(b.dsn(), id) == 0);
  check_ledger_invariants(b.dsn());
}

TEST_CASE("amounts that are not positive integers and bodies other than {\"amount\"} are refused with 400 naming "
          "what is wrong",
          "[integration]") {
  bank b;
  auto alice = new_user_session(b.via(0), b.via(1), "alice", "alice's password");
  auto id = new_account(b.via(2), alice)["id"].get<std::string>();

  struct bad_body {
    std::string body;
    std::string named;
  };
  std::vector<bad_body> bodies{
    {R"({"amount":0})", "amount"},
    {R"({"amount":-5})", "amount"},
    {R"({"amount":1.5})", "amount"},
    {R"({"amount":100.0})", "amount"},
    {R"({"amount":1e3})", "amount"},
    {R"({"amount":"100"})", "amount"},
    {R"({"amount":null})", "amount"},
    {R"({"amount":true})", "amount"},
    {R"({"amount":[100]})", "amount"},
    {R"({"amount":{"value":100}})", "amount"},
    {R"({"amount":1000000000000000001})", "amount"},
    {R"({"amount":9223372036854775807})", "amount"},
    {R"({"amount":18446744073709551615})", "amount"},
    {R"({"amount":99999999999999999999999})", "amount"},
    // Beyond a double: not JSON that nlohmann reads.
    {R"({"amount":1e400})", "body"},
    {R"({})", "amount: required"},
    {R"({"amount":100,"currency":"EUR"})", "currency: unknown field"},
    {R"({"sum":100})", "sum: unknown field"},
    {R"({"amount":100)", "body"},
    {R"(amount=100)", "body"},
    {"", "body"},
    {R"([{"amount":100}])", "body"},
    {R"("100")", "body"},
  };
  int i = 0;
  for (auto kind : {"deposits", "withdrawals"})
    for (auto& bad : bodies) {
      INFO(kind << " " << bad.body);
      auto r = post_money(b.via(i++), alice.auth(), id, kind, bad.body);
      check_json_error(r, 400, bad.named);
      CHECK(r.json()["error"] == "invalid_argument");
    }
  // The largest amount the edge takes is taken.
  CHECK(applied(deposit(b.via(0), alice, id, 1'000'000'000'000'000))["balance"] == 1'000'000'000'000'000);
  check_json_error(http_post(b.via(1), accounts, R"({"currency":"EUR"})", alice.auth()), 400, "currency");
  check_json_error(http_post(b.via(2), accounts, R"({"currency":)", alice.auth()), 400, "body");
  // A key as the idempotency rules refuse it elsewhere.
  check_json_error(deposit(b.via(0), alice, id, 5, std::string(256, 'k')), 400, "Idempotency-Key");
  check_json_error(withdraw(b.via(1), alice, id, 5, "tab\there"), 400, "Idempotency-Key");
  check_json_error(open_account(b.via(2), alice, "caf\xc3\xa9"), 400, "Idempotency-Key");

  // Nothing but the opening and that one deposit reached the ledger.
  CHECK(ledger_rows(b.dsn(), id) == 2);
  CHECK(query_value(b.dsn(), "SELECT count(*) FROM accounts") == "1");
  check_ledger_invariants(b.dsn());
}

TEST_CASE("another user's account is forbidden to read and to write, an unknown one is not found, and no "
          "credentials is 401",
          "[integration]") {
  bank b({"--identity.admins=root"});
  auto alice = new_user_session(b.via(0), b.via(1), "alice", "alice's password");
  auto bob = new_user_session(b.via(1), b.via(2), "bob", "bob's password!");
  auto id = new_account(b.via(2), alice)["id"].get<std::string>();
  applied(deposit(b.via(0), alice, id, 300));
  const std::string unknown = "00000000-0000-0000-0000-000000000000";

  for (int i = 0; i < 3; ++i) {
    INFO("through node " << i + 1);
    check_json_error(http_get(b.via(i), accounts + "/" + id, bob.auth()), 403, id);
    check_json_error(http_get(b.via(i), accounts + "/" + id + "/history", bob.auth()), 403, id);
    check_json_error(deposit(b.via(i), bob, id, 10), 403, id);
    check_json_error(withdraw(b.via(i), bob, id, 10), 403, id);

    check_json_error(http_get(b.via(i), accounts + "/" + unknown, bob.auth()), 404, unknown);
    check_json_error(http_get(b.via(i), accounts + "/" + unknown + "/history", bob.auth()), 404, unknown);
    check_json_error(deposit(b.via(i), bob, unknown, 10), 404, unknown);
    check_json_error(withdraw(b.via(i), bob, unknown, 10), 404, unknown);
  }
  auto his = http_get(b.via(0), accounts, bob.auth());
  REQUIRE(his.status == 200);
  CHECK(his.json() == json::array());

  // No credentials, or a token that is not one, on every route.
  for (auto& auth : {header_list{}, bearer("not.a.token")}) {
    check_json_error(http_post(b.via(0), accounts, "", auth), 401, "");
    check_json_error(http_get(b.via(1), accounts, auth), 401, "");
    check_json_error(http_get(b.via(2), accounts + "/" + id, auth), 401, "");
    check_json_error(http_get(b.via(0), accounts + "/" + id + "/history", auth), 401, "");
    check_json_error(post_money(b.via(1), auth, id, "deposits", R"({"amount":10})"), 401, "");
    check_json_error(post_money(b.via(2), auth, id, "withdrawals", R"({"amount":10})"), 401, "");
  }
  CHECK(balance_in_db(b.dsn(), id) == 300);
  CHECK(ledger_rows(b.dsn(), id) == 2);
  CHECK(query_value(b.dsn(), "SELECT count(*) FROM accounts") == "1");

  // An admin may read and move anyone's money.
  REQUIRE(register_user(b.via(0), "root", "root's password").status == 201);
  auto root = log_in(b.via(1), "root", "root's password");
  auto seen = http_get(b.via(2), accounts + "/" + id, root.auth());
  REQUIRE(seen.status == 200);
  CHECK(seen.json()["owner"] == alice.id);
  CHECK(applied(deposit(b.via(0), root, id, 5))["balance"] == 305);
  CHECK(applied(withdraw(b.via(1), root, id, 305))["balance"] == 0);
  check_ledger_invariants(b.dsn());
}

TEST_CASE("withdrawals racing on one account through every node never overdraw it", "[integration]") {
  bank b;
  auto alice = new_user_session(b.via(0), b.via(1), "alice", "alice's password");
  auto id = new_account(b.via(2), alice)["id"].get<std::string>();
  applied(deposit(b.via(0), alice, id, 1000));

  constexpr int threads = 24, each = 5;
  std::mutex m;
  std::map<unsigned, int> statuses;
  std::vector<json> withdrawn;      // the 201s
  std::vector<std::string> unusual; // any other answer than 201 or 422
  in_parallel(threads, [&](int t) {
    for (int k = 0; k < each; ++k) {
      auto r = withdraw(b.via(t + k), alice, id, 100);
      std::lock_guard<std::mutex> lock(m);
      ++statuses[r.status];
      if (r.status == 201)
        withdrawn.push_back(r.json());
      else if (r.status != 422 || r.json()["error"] != "insufficient_funds")
        unusual.push_back(std::to_string(r.status) + " " + r.body + r.error);
    }
  });

  INFO("201: " << statuses[201] << ", 422: " << statuses[422] << "; others: " << unusual.size()
               << (unusual.empty() ? "" : ", the first " + unusual.front()));
  CHECK(unusual.empty());
  CHECK(statuses[201] == 10);
  CHECK(statuses[422] == threads * each - 10);
  // Each applied withdrawal left a balance of its own: 900, 800, ... 0.
  std::set<std::int64_t> left;
  for (auto& op : withdrawn)
    left.insert(op["balance"].get<std::int64_t>());
  CHECK(left == std::set<std::int64_t>{0, 100, 200, 300, 400, 500, 600, 700, 800, 900});

  CHECK(ledger_rows(b.dsn(), id, "kind = 'withdraw' AND outcome = 'applied'") == statuses[201]);
  CHECK(ledger_rows(b.dsn(), id, "kind = 'withdraw' AND outcome = 'refused'") == statuses[422]);
  CHECK(balance_in_db(b.dsn(), id) == 0);
  CHECK(ledger_sum(b.dsn(), id) == 0);
  check_ledger_invariants(b.dsn());
}

TEST_CASE("an Idempotency-Key sent again through other nodes replays the first operation and charges once",
          "[integration]") {
  bank b;
  auto alice = new_user_session(b.via(0), b.via(1), "alice", "alice's password");
  auto bob = new_user_session(b.via(1), b.via(2), "bob", "bob's password!");
  auto id = new_account(b.via(2), alice)["id"].get<std::string>();
  auto other = new_account(b.via(0), alice)["id"].get<std::string>();
  auto bobs = new_account(b.via(1), bob)["id"].get<std::string>();
  applied(deposit(b.via(0), alice, id, 1000, "fund-1"));
  applied(deposit(b.via(1), bob, bobs, 1000));

  auto first = withdraw(b.via(0), alice, id, 300, "pay-1");
  auto op = applied(first);
  CHECK_FALSE(first.has_header("Idempotent-Replayed"));
  CHECK(op["balance"] == 700);
  for (int i = 1; i < 10; ++i) {
    auto again = withdraw(b.via(i), alice, id, 300, "pay-1");
    INFO("repeat " << i << ": " << again.status << " " << again.body << again.error);
    CHECK(again.status == 201);
    CHECK(again.body == first.body);
    CHECK(again.header("Idempotent-Replayed") == "true");
  }
  CHECK(ledger_rows(b.dsn(), id, "op_id = " + sql_literal(op["op_id"].get<std::string>())) == 1);
  CHECK(ledger_rows(b.dsn(), id, "kind = 'withdraw'") == 1);
  CHECK(balance_in_db(b.dsn(), id) == 700);

  // The key names that one operation: anything else asked with it is refused.
  auto reused = [](const http_response& r) {
    check_json_error(r, 422, "another operation");
    CHECK(r.json()["error"] == "idempotency_key_reused");
  };
  reused(withdraw(b.via(1), alice, id, 301, "pay-1"));
  reused(deposit(b.via(2), alice, id, 300, "pay-1"));
  reused(withdraw(b.via(0), alice, other, 300, "pay-1"));
  reused(withdraw(b.via(1), alice, id, 1000, "fund-1"));
  CHECK(balance_in_db(b.dsn(), id) == 700);
  CHECK(balance_in_db(b.dsn(), other) == 0);
  CHECK(ledger_rows(b.dsn(), id) == 3);
  CHECK(ledger_rows(b.dsn(), other) == 1);

  // Another user's key of the same name is another operation.
  auto bobs_first = withdraw(b.via(2), bob, bobs, 300, "pay-1");
  auto bobs_op = applied(bobs_first);
  CHECK_FALSE(bobs_first.has_header("Idempotent-Replayed"));
  CHECK(bobs_op["op_id"] != op["op_id"]);
  CHECK(bobs_op["balance"] == 700);
  CHECK(applied(withdraw(b.via(0), bob, bobs, 300, "pay-1"))["op_id"] == bobs_op["op_id"]);
  CHECK(balance_in_db(b.dsn(), bobs) == 700);

  // A refusal is the operation's answer for good, even once the money is there.
  auto refused = withdraw(b.via(1), alice, id, 5000, "big-1");
  check_json_error(refused, 422, "less than 5000");
  applied(deposit(b.via(2), alice, id, 10'000));
  auto again = withdraw(b.via(0), alice, id, 5000, "big-1");
  check_json_error(again, 422, "less than 5000");
  CHECK(again.json()["operation"] == refused.json()["operation"]);
  CHECK(again.header("Idempotent-Replayed") == "true");
  CHECK(balance_in_db(b.dsn(), id) == 10'700);
  check_ledger_invariants(b.dsn());
}

TEST_CASE("an Idempotency-Key sent from many threads at once is one operation: the first's answer or 409",
          "[integration]") {
  bank b;
  auto alice = new_user_session(b.via(0), b.via(1), "alice", "alice's password");
  auto id = new_account(b.via(2), alice)["id"].get<std::string>();
  applied(deposit(b.via(0), alice, id, 1000));

  for (auto kind : {"withdrawals", "deposits"}) {
    INFO(kind);
    auto key = std::string("race-") + kind;
    constexpr int threads = 16;
    std::vector<http_response> answers(threads);
    in_parallel(threads, [&](int t) {
      answers[t] = post_money(b.via(t), alice.auth(), id, kind, R"({"amount":100})", key);
    });

    std::set<std::string> op_ids, bodies;
    int firsts = 0, in_progress = 0;
    for (auto& r : answers) {
      INFO(r.status << " " << r.body << r.error);
      if (r.status == 201) {
        op_ids.insert(r.json()["op_id"].get<std::string>());
        bodies.insert(r.body);
        firsts += r.has_header("Idempotent-Replayed") ? 0 : 1;
      } else {
        check_json_error(r, 409, "still being processed");
        CHECK(r.json()["error"] == "request_in_progress");
        ++in_progress;
      }
    }
    INFO(in_progress << " answers were 409");
    CHECK(firsts == 1);
    REQUIRE(op_ids.size() == 1);
    CHECK(bodies.size() == 1);
    CHECK(ledger_rows(b.dsn(), id, "op_id = " + sql_literal(*op_ids.begin())) == 1);
    // Once done, the key replays.
    auto later = post_money(b.via(1), alice.auth(), id, kind, R"({"amount":100})", key);
    CHECK(later.status == 201);
    CHECK(bodies.count(later.body) == 1);
    CHECK(later.header("Idempotent-Replayed") == "true");
  }
  CHECK(ledger_rows(b.dsn(), id) == 4);
  CHECK(balance_in_db(b.dsn(), id) == 1000);
  check_ledger_invariants(b.dsn());
}

TEST_CASE("opening an account with a repeated Idempotency-Key returns the same account", "[integration]") {
  bank b;
  auto alice = new_user_session(b.via(0), b.via(1), "alice", "alice's password");
  auto bob = new_user_session(b.via(1), b.via(2), "bob", "bob's password!");

  auto first = open_account(b.via(0), alice, "open-1");
  REQUIRE(first.status == 201);
  auto account = first.json();
  for (int i = 1; i < 6; ++i) {
    auto again = open_account(b.via(i), alice, "open-1");
    INFO(again.status << " " << again.body << again.error);
    CHECK(again.status == 201);
    CHECK(again.json() == account);
  }
  // At once from many threads, another key: one account too.
  std::vector<http_response> answers(12);
  in_parallel(12, [&](int t) { answers[t] = open_account(b.via(t), alice, "open-2"); });
  std::set<json> opened;
  for (auto& r : answers) {
    INFO(r.status << " " << r.body << r.error);
    if (r.status == 201)
      opened.insert(r.json());
    else
      check_json_error(r, 409, "still being processed");
  }
  REQUIRE(opened.size() == 1);
  CHECK(*opened.begin() != account);

  auto listed = http_get(b.via(2), accounts, alice.auth());
  REQUIRE(listed.status == 200);
  CHECK(listed.json() == json::array({account, *opened.begin()}));
  CHECK(query_value(b.dsn(), "SELECT count(*) FROM accounts WHERE owner = " + sql_literal(alice.id)) == "2");
  CHECK(query_value(b.dsn(), "SELECT count(*) FROM ledger WHERE kind = 'open'") == "2");

  // The same key from another user opens an account of their own.
  auto bobs = open_account(b.via(0), bob, "open-1");
  REQUIRE(bobs.status == 201);
  CHECK(bobs.json()["id"] != account["id"]);
  CHECK(bobs.json()["owner"] == bob.id);
  check_ledger_invariants(b.dsn());
}
