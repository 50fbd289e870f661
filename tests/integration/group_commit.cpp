// The group commit (persistence/group_commit.hpp) on a real pool and
// PostgreSQL: jobs that share a batch get their own results, and one bad
// job fails only itself.
#include <catch2/catch.hpp>

#include <future>
#include <map>
#include <mutex>

#include <pqxx/pqxx>

#include "persistence/group_commit.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/prepared.hpp"
#include "runtime/metrics.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using troupe::persistence::group_commit;

TEST_CASE("jobs sharing a batch each get their own results, and a failing statement fails only its job",
          "[integration]") {
  pg_instance pg;
  query(pg.dsn(), "CREATE TABLE gc (id INTEGER PRIMARY KEY, v INTEGER NOT NULL CHECK (v >= 0))");
  // Declared before the pool: a job still running when a check fails
  // writes here until the pool has stopped.
  std::mutex mutex;
  std::map<int, caf::expected<int>> results;
  troupe::metrics m;
  troupe::persistence::pg_pool pool(pg.dsn(), 1, 1000, 100ms, 10s, [](pqxx::connection_base&) {}, m);
  REQUIRE(wait_until([&] { return pool.up(); }, 30s));
  auto writes = std::make_shared<group_commit>(pool, 7, 1, 1000);

  // A batch that holds the pool's only connection until it is opened:
  // the jobs queued meanwhile go in the next batch, together.
  auto hold = [&] {
    auto gate = std::make_shared<std::promise<void>>();
    writes->submit([open = gate->get_future().share()](group_commit::batch&) -> caf::error {
      open.wait();
      return {};
    }, [](caf::error) {});
    return gate;
  };

  auto finished = [&](std::size_t n) {
    return wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return results.size() == n;
      },
      30s);
  };
  using deliver = group_commit::deliver<int>;
  // Inserts its row and reads back twice its value.
  auto insert = [&](int id, int v) {
    writes->run<int>(
      [id, v](group_commit::batch& b, deliver then) {
        troupe::persistence::pipelined(
          b, [then](const pqxx::result& r) { then(r.at(0)[0].as<int>()); },
          "INSERT INTO gc (id, v) VALUES ($1, $2) RETURNING v * 2", id, v);
      },
      [&, id](caf::expected<int> r) {
        std::lock_guard lock(mutex);
        results.emplace(id, std::move(r));
      });
  };

  auto gate = hold();
  for (int id : {1, 2, 3})
    insert(id, id * 10);
  // Statements queued from a result go in the next round trip of the same
  // transaction: this one sees its own insert.
  writes->run<int>(
    [](group_commit::batch& b, deliver then) {
      troupe::persistence::pipelined(
        b,
        [&b, then](const pqxx::result&) {
          troupe::persistence::pipelined(
            b, [then](const pqxx::result& r) { then(r.at(0)[0].as<int>()); }, "SELECT v FROM gc WHERE id = $1", 4);
        },
        "INSERT INTO gc (id, v) VALUES ($1, $2) RETURNING v * 2", 4, 40);
    },
    [&](caf::expected<int> r) {
      std::lock_guard lock(mutex);
      results.emplace(4, std::move(r));
    });
  // A write nobody reads goes with the COMMIT.
  writes->submit([](group_commit::batch& b) -> caf::error {
    troupe::persistence::defer(b, "INSERT INTO gc (id, v) VALUES ($1, $2)", 5, 50);
    return {};
  }, [&](caf::error e) {
    std::lock_guard lock(mutex);
    results.emplace(5, e ? caf::expected<int>(std::move(e)) : caf::expected<int>(0));
  });
  gate->set_value();
  REQUIRE(finished(5));
  for (auto [id, value] : std::map<int, int>{{1, 20}, {2, 40}, {3, 60}, {4, 40}, {5, 0}}) {
    INFO("job " << id);
    REQUIRE(results.at(id));
    CHECK(*results.at(id) == value);
  }

  // -1 breaks the CHECK: that batch cannot commit, and its jobs run again alone.
  gate = hold();
  insert(6, 60);
  insert(7, -1);
  insert(8, 80);
  gate->set_value();
  REQUIRE(finished(8));
  CHECK(results.at(6));
  CHECK_FALSE(results.at(7));
  CHECK(results.at(8));
  CHECK(query_value(pg.dsn(), "SELECT string_agg(id || '=' || v, ',' ORDER BY id) FROM gc") ==
        "1=10,2=20,3=30,4=40,5=50,6=60,8=80");
}
