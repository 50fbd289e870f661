// Who checks a target: the owner of its shard, whichever node took the
// request that created or changed it; and where shards go when their owner
// leaves, or when there is no cluster at all.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/failure_context.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/pg_instance.hpp"
#include "tests/support/settled_cluster.hpp"
#include "tests/support/sql.hpp"
#include "tests/support/target_server.hpp"
#include "tests/support/test_cluster.hpp"
#include "tests/support/troupe_api.hpp"
#include "tests/support/wait_until.hpp"

using namespace troupe::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Conditions that open a connection to PostgreSQL or ask every node for its
// view: no need to ask fifty times a second.
constexpr auto slow_poll = 100ms;

// Scrapes of every other target that must pass without one of a target's
// own before it counts as no longer checked: four requests to each of them
// span at least three of its 200 ms intervals.
constexpr std::size_t quiet_scrapes = 4;

std::vector<std::string> names_of(const std::vector<int>& nodes) {
  std::vector<std::string> out;
  for (int i : nodes)
    out.push_back(test_cluster::name(i));
  return out;
}

struct checks_summary {
  std::size_t count = 0;
  std::size_t writers = 0; // distinct owners that wrote them
  std::string writer;      // the first of them by name
  std::size_t shards = 0;  // distinct shards they name
  int shard = -1;          // the lowest of them
};

// target name -> what the checks table says of its checks.
std::map<std::string, checks_summary> checks_by_target(const std::string& dsn) {
  std::map<std::string, checks_summary> out;
  for (auto& row : query(dsn, "SELECT target_name, count(*), count(DISTINCT owner), min(owner),"
                              " count(DISTINCT shard), min(shard) FROM checks GROUP BY target_name"))
    out[row[0]] = {std::stoul(row[1]), std::stoul(row[2]), row[3], std::stoul(row[4]),
                   row[5].empty() ? -1 : std::stoi(row[5])};
  return out;
}

std::size_t checks_of_target(const std::string& dsn, const std::string& name) {
  return std::stoul(query_value(dsn, "SELECT count(*) FROM checks WHERE target_name = " + sql_literal(name)));
}

// Waits until each of `paths` has had `n` more requests than now.
bool scrapes_pass(const target_server& exporter, const std::vector<std::string>& paths, std::size_t n,
                  std::chrono::milliseconds timeout) {
  std::map<std::string, std::size_t> start;
  for (auto& p : paths)
    start[p] = exporter.requests(p);
  return wait_until(
    [&] {
      return std::all_of(paths.begin(), paths.end(),
                         [&](const std::string& p) { return exporter.requests(p) >= start[p] + n; });
    },
    timeout);
}

// Waits until `path` has had no request while every one of `others` had
// `quiet_scrapes`: its target is checked nowhere any more, while the nodes
// go on checking the rest. False at the deadline, e.g. when every such
// stretch saw a request to `path`.
bool no_longer_scraped(const target_server& exporter, const std::string& path,
                       const std::vector<std::string>& others, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto before = exporter.requests(path);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!scrapes_pass(exporter, others, quiet_scrapes, left))
      return false;
    if (exporter.requests(path) == before)
      return true;
  }
  return false;
}

// Each of `live` names only members of `live` as shard owners, for every
// shard, and PostgreSQL agrees.
bool every_shard_owned_by(test_cluster& c, const std::string& dsn, const std::vector<int>& live) {
  auto names = names_of(live);
  std::set<std::string> allowed(names.begin(), names.end());
  for (int i : live) {
    auto owners = shard_owners(c.cluster_view(i));
    if (static_cast<int>(owners.size()) != c.shards())
      return false;
    for (auto& [shard, owner] : owners)
      if (!allowed.count(owner))
        return false;
  }
  auto held = query_value(dsn, "SELECT count(*) FROM shard_leases WHERE owner IN (" + sql_list(names) + ")");
  return held == std::to_string(c.shards());
}

} // namespace

TEST_CASE("a target changed through any node is checked only on its shard's owner", "[integration]") {
  target_server exporter;
  pg_instance pg;
  failure_context leases("shard_leases", lease_table(pg.dsn()));
  test_cluster c(pg.dsn());
  REQUIRE(wait_until([&] { return shards_at_their_final_owners(c); }, 30s, slow_poll));

  // Each target on a path of its own, so that the exporter tells who is
  // still scraped; all added through node1.
  std::vector<std::string> targets;
  std::map<std::string, std::string> path_of;
  std::map<std::string, std::int64_t> id_of;
  for (int i = 0; i < 9; ++i) {
    auto name = "target-" + std::to_string(i);
    auto path = "/t" + std::to_string(i);
    exporter.reply(path, 200, "up 1\n");
    id_of[name] = add_target(c.port(0), {{"name", name}, {"url", exporter.url(path)}, {"interval_ms", 200}});
    path_of[name] = path;
    targets.push_back(name);
  }
  REQUIRE(wait_until(
    [&] {
      auto checks = checks_by_target(pg.dsn());
      return std::all_of(targets.begin(), targets.end(), [&](auto& t) { return checks[t].count >= 3; });
    },
    20s, slow_poll));

  auto view = c.cluster_view(0);
  auto owners = shard_owners(view);
  auto checks = checks_by_target(pg.dsn());
  std::map<std::string, int> owner_of; // target name -> index of the node that checks it
  std::set<std::string> checking_nodes;
  for (auto& t : targets) {
    auto& s = checks[t];
    INFO(t << ": " << s.count << " checks by " << s.writers << " node(s), the first " << s.writer << ", in "
           << s.shards << " shard(s), the first " << s.shard << "; its owner in node1's view: " << owners[s.shard]);
    REQUIRE(s.writers == 1);
    REQUIRE(s.shards == 1);
    REQUIRE(s.writer == owners[s.shard]);
    owner_of[t] = test_cluster::index_of(s.writer);
    checking_nodes.insert(s.writer);
  }
  // Shards did not move meanwhile, or the above would say little.
  REQUIRE(shards_at_their_final_owners(c));
  // Adding all through node1 did not keep them all there (the ids and the
  // node names are the same in every run, and so is this spread).
  CHECK(checking_nodes.size() > 1);

  // The subject lives elsewhere than node1; it is paused through the one
  // node that neither owns it nor took its creation, resumed through node1,
  // and deleted through the pausing node.
  auto subject = std::find_if(targets.begin(), targets.end(), [&](auto& t) { return owner_of[t] != 0; });
  REQUIRE(subject != targets.end());
  auto owner = owner_of[*subject];
  auto pauser = 3 - owner; // neither 0 nor `owner` among 0, 1, 2
  auto resumer = 0;
  auto subject_path = path_of[*subject];
  std::vector<std::string> others;
  for (auto& t : targets)
    if (t != *subject)
      others.push_back(path_of[t]);
  auto api_path = "/api/v1/targets/" + std::to_string(id_of[*subject]);
  INFO(*subject << " (" << api_path << ", scraped at " << subject_path << ") is owned by "
                << test_cluster::name(owner) << ", paused through " << test_cluster::name(pauser)
                << ", resumed through " << test_cluster::name(resumer));

  auto paused = http_post(c.port(pauser), api_path + "/pause");
  REQUIRE(paused.status == 200);
  CHECK(paused.json()["paused"] == true);
  CHECK(http_get(c.port(owner), api_path).json()["paused"] == true);
  REQUIRE(no_longer_scraped(exporter, subject_path, others, 15s));
  auto requests_when_paused = exporter.requests(subject_path);
  auto checks_when_paused = checks_of_target(pg.dsn(), *subject);
  REQUIRE(scrapes_pass(exporter, others, 5, 15s));
  CHECK(exporter.requests(subject_path) == requests_when_paused);
  CHECK(checks_of_target(pg.dsn(), *subject) == checks_when_paused);

  auto resumed = http_post(c.port(resumer), api_path + "/resume");
  REQUIRE(resumed.status == 200);
  CHECK(resumed.json()["paused"] == false);
  CHECK(wait_until(
    [&] {
      return exporter.requests(subject_path) >= requests_when_paused + 3 &&
             checks_of_target(pg.dsn(), *subject) >= checks_when_paused + 3;
    },
    15s, slow_poll));
  {
    auto s = checks_by_target(pg.dsn())[*subject];
    INFO("after the resume: " << s.count << " checks by " << s.writers << " node(s), the first " << s.writer);
    CHECK(s.writers == 1);
    CHECK(s.writer == test_cluster::name(owner));
  }

  auto deleted = http_delete(c.port(pauser), api_path);
  REQUIRE(deleted.status == 204);
  CHECK(http_get(c.port(owner), api_path).status == 404);
  REQUIRE(no_longer_scraped(exporter, subject_path, others, 15s));
  auto requests_when_deleted = exporter.requests(subject_path);
  REQUIRE(scrapes_pass(exporter, others, 5, 15s));
  CHECK(exporter.requests(subject_path) == requests_when_deleted);
}

TEST_CASE("a node stopped with SIGTERM hands its shards over at once", "[integration]") {
  pg_instance pg;
  failure_context leases("shard_leases", lease_table(pg.dsn()));
  // Leases that outlast the test: no shard is free before its owner says so.
  cluster_options options;
  options.lease_time = "60s";
  options.lease_renew_interval = "1s";
  test_cluster c(pg.dsn(), options);
  REQUIRE(wait_until([&] { return shards_at_their_final_owners(c); }, 30s, slow_poll));
  for (int i = 0; i < c.size(); ++i) {
    INFO(test_cluster::name(i) << " owns no shard");
    REQUIRE_FALSE(owned_shards(c.cluster_view(i)).empty());
  }

  const int leaving = 1;
  const std::vector<int> survivors = {0, 2};
  auto leaving_name = sql_literal(test_cluster::name(leaving));
  // Peers that see a node die may take its leases too; frozen, they take
  // nothing, so what frees the leaving node's shards by the time it has
  // exited can only be the node itself.
  for (int i : survivors)
    c.pause(i);
  auto code = c.node(leaving).terminate(15s);
  auto still_held = query_value(pg.dsn(), "SELECT count(*) FROM shard_leases WHERE owner = " + leaving_name);
  auto free_shards = query_value(pg.dsn(), "SELECT count(*) FROM shard_leases WHERE owner IS NULL");
  for (int i : survivors)
    c.resume(i);
  CHECK(code == 0);
  CHECK(still_held == "0");
  CHECK(free_shards != "0");

  CHECK(wait_until([&] { return every_shard_owned_by(c, pg.dsn(), survivors); }, 10s, slow_poll));
}

TEST_CASE("a node without a cluster port owns every shard, and says so in its view and its metrics",
          "[integration]") {
  pg_instance pg;
  node_process node(pg.dsn(), {"--cluster.shards=8"});
  REQUIRE(node.wait_ready_http());
  json view;
  REQUIRE(wait_until(
    [&] {
      auto r = http_get(node.port(), "/api/v1/cluster");
      view = r.json();
      return r.status == 200 && owned_shards(view).size() == 8;
    },
    15s));

  INFO(view.dump());
  CHECK(view["node"] == "test-node");
  auto owners = shard_owners(view);
  CHECK(owners.size() == 8);
  for (int shard = 0; shard < 8; ++shard) {
    INFO("shard " << shard);
    CHECK(owners[shard] == "test-node");
  }
  for (auto& s : view["shards"])
    CHECK(s["live"] == true);
  auto owned = owned_shards(view);
  std::sort(owned.begin(), owned.end());
  CHECK(owned == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(exposed_metric(node.port(), "troupe_shards_owned").value_or(-1) == 8);
}
