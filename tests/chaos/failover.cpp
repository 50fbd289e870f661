// Shard failover under chaos: a node killed, frozen or restarted, and
// PostgreSQL restarted beneath a running cluster. What must hold through all
// of it: each shard's targets are checked by one node at a time, and every
// write is fenced by the epoch of the lease it was made under.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/failure_context.hpp"
#include "tests/support/http_client.hpp"
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

// Conditions that query PostgreSQL open a connection each time: no need to
// ask fifty times a second.
constexpr auto sql_poll = 100ms;

std::vector<int> all_nodes(const test_cluster& c) {
  std::vector<int> out;
  for (int i = 0; i < c.size(); ++i)
    out.push_back(i);
  return out;
}

std::vector<int> all_but(const test_cluster& c, int excluded) {
  auto out = all_nodes(c);
  out.erase(std::remove(out.begin(), out.end(), excluded), out.end());
  return out;
}

std::set<std::string> names_of(const std::vector<int>& nodes) {
  std::set<std::string> out;
  for (int i : nodes)
    out.insert(test_cluster::name(i));
  return out;
}

std::string sql_time(std::int64_t epoch_ms) {
  return "to_timestamp(" + std::to_string(epoch_ms) + "::double precision / 1000)";
}

bool every_node_answers_ready(test_cluster& c, unsigned status) {
  for (int i = 0; i < c.size(); ++i)
    if (http_get(c.port(i), "/ready", {}, 2s).status != status)
      return false;
  return true;
}

// `count` targets added through node `via`, all scraping the exporter's
// /metrics every 200 ms; their names.
std::vector<std::string> add_targets(test_cluster& c, int via, const target_server& exporter, int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    auto name = std::string(i < 10 ? "target-0" : "target-") + std::to_string(i);
    add_target(c.port(via), {{"name", name}, {"url", exporter.url("/metrics")}, {"interval_ms", 200}});
    names.push_back(name);
  }
  return names;
}

// Each of `live` answers and sees all of `live` up; every view names only
// members of `live` as shard owners; and the shards they say they own are
// all the shards, each claimed once, with at least one for every node.
bool live_nodes_share_all_shards(test_cluster& c, const std::vector<int>& live) {
  auto names = names_of(live);
  std::map<int, int> claims;
  for (int i : live) {
    auto view = c.cluster_view(i);
    if (view.is_null())
      return false;
    auto statuses = member_statuses(view);
    for (auto& n : names)
      if (statuses[n] != "up")
        return false;
    auto owners = shard_owners(view);
    if (static_cast<int>(owners.size()) != c.shards())
      return false;
    for (auto& [shard, owner] : owners)
      if (!names.count(owner))
        return false;
    auto owned = owned_shards(view);
    if (owned.empty())
      return false;
    for (int s : owned)
      ++claims[s];
  }
  if (static_cast<int>(claims.size()) != c.shards())
    return false;
  return std::all_of(claims.begin(), claims.end(),
                     [&](auto& claim) { return claim.first >= 0 && claim.first < c.shards() && claim.second == 1; });
}

bool every_view_shows_every_member_up(test_cluster& c) {
  for (int i = 0; i < c.size(); ++i) {
    auto statuses = member_statuses(c.cluster_view(i));
    if (static_cast<int>(statuses.size()) != c.size())
      return false;
    for (auto& [name, status] : statuses)
      if (status != "up")
        return false;
  }
  return true;
}

bool postgres_gives_every_lease_to(const std::string& dsn, int shards, const std::vector<std::string>& nodes) {
  auto held = query_value(dsn, "SELECT count(*) FROM shard_leases WHERE owner IN (" + sql_list(nodes) + ")");
  return held == std::to_string(shards);
}

int node_with_most_shards(const json& view) {
  std::map<std::string, int> counts;
  for (auto& [shard, owner] : shard_owners(view))
    if (!owner.empty())
      ++counts[owner];
  auto most = std::max_element(counts.begin(), counts.end(),
                               [](auto& a, auto& b) { return a.second < b.second; });
  if (most == counts.end())
    throw std::runtime_error("no shard has an owner in " + view.dump());
  return test_cluster::index_of(most->first);
}

struct last_check {
  int shard = -1;
  std::string owner;
};

// target name -> the shard and the writer of its latest check.
std::map<std::string, last_check> latest_checks(const std::string& dsn) {
  std::map<std::string, last_check> out;
  for (auto& row : query(dsn, "SELECT DISTINCT ON (target_name) target_name, shard, owner FROM checks"
                              " ORDER BY target_name, checked_at DESC, id DESC"))
    out[row[0]] = {row[1].empty() ? -1 : std::stoi(row[1]), row[2]};
  return out;
}

std::vector<std::string> targets_last_checked_by(const std::map<std::string, last_check>& latest,
                                                 const std::string& node) {
  std::vector<std::string> out;
  for (auto& [target, check] : latest)
    if (check.owner == node)
      out.push_back(target);
  return out;
}

// All `targets` targets have checks, each the latest made by the owner its
// shard has in `view`: the shards have stopped moving since the targets were
// added, so who checks what can be read from the checks.
bool targets_checked_by_their_owners(const std::string& dsn, const json& view, std::size_t targets) {
  auto latest = latest_checks(dsn);
  if (latest.size() != targets)
    return false;
  auto owners = shard_owners(view);
  for (auto& [target, check] : latest) {
    auto owner = owners.find(check.shard);
    if (owner == owners.end() || owner->second != check.owner)
      return false;
  }
  return true;
}

bool settled(test_cluster& c, const std::string& dsn, std::size_t targets) {
  return live_nodes_share_all_shards(c, all_nodes(c)) &&
         targets_checked_by_their_owners(dsn, c.cluster_view(0), targets);
}

std::size_t targets_checked_since(const std::string& dsn, std::int64_t since_ms) {
  return std::stoul(
    query_value(dsn, "SELECT count(DISTINCT target_name) FROM checks WHERE checked_at > " + sql_time(since_ms)));
}

// target name -> when (epoch ms) its first check after `since_ms` by any
// node but `excluded` was made.
std::map<std::string, std::int64_t> first_checks_after(const std::string& dsn, std::int64_t since_ms,
                                                       const std::string& excluded) {
  std::map<std::string, std::int64_t> out;
  for (auto& row : query(dsn, "SELECT target_name, (extract(epoch FROM min(checked_at)) * 1000)::bigint FROM checks"
                              " WHERE checked_at > " + sql_time(since_ms) + " AND owner <> " + sql_literal(excluded) +
                              " GROUP BY target_name"))
    out[row[0]] = std::stoll(row[1]);
  return out;
}

// How many of `targets` another node has checked under a newer epoch than
// any `node` checked them under: the takeover bumped the epoch.
std::size_t targets_checked_by_others_under_newer_epochs(const std::string& dsn, const std::string& node,
                                                         const std::vector<std::string>& targets) {
  auto me = sql_literal(node);
  return std::stoul(query_value(
    dsn, "SELECT count(*) FROM unnest(ARRAY[" + sql_list(targets) + "]::text[]) AS t(name) WHERE EXISTS ("
         " SELECT 1 FROM checks theirs WHERE theirs.target_name = t.name AND theirs.owner <> " + me +
         " AND theirs.epoch > (SELECT max(epoch) FROM checks mine WHERE mine.target_name = t.name"
         " AND mine.owner = " + me + "))"));
}

// shard -> epoch of every lease `node` holds, as PostgreSQL has them.
std::map<int, std::int64_t> leases_held_by(const std::string& dsn, const std::string& node) {
  std::map<int, std::int64_t> out;
  for (auto& row : query(dsn, "SELECT shard, epoch FROM shard_leases WHERE owner = " + sql_literal(node)))
    out[std::stoi(row[0])] = std::stoll(row[1]);
  return out;
}

std::int64_t checks_written_under(const std::string& dsn, const std::string& node,
                                  const std::map<int, std::int64_t>& leases) {
  std::string pairs;
  for (auto& [shard, epoch] : leases)
    pairs += (pairs.empty() ? "(" : ", (") + std::to_string(shard) + ", " + std::to_string(epoch) + ")";
  return std::stoll(query_value(dsn, "SELECT count(*) FROM checks WHERE owner = " + sql_literal(node) +
                                       " AND (shard, epoch) IN (" + pairs + ")"));
}

// One of `observers` shows every shard of `leases` owned by one of
// `observers`, under a newer epoch than the lease's.
bool shards_taken_over(test_cluster& c, const std::vector<int>& observers,
                       const std::map<int, std::int64_t>& leases) {
  auto names = names_of(observers);
  for (int i : observers) {
    auto view = c.cluster_view(i);
    auto owners = shard_owners(view);
    auto epochs = shard_epochs(view);
    if (std::all_of(leases.begin(), leases.end(), [&](auto& lease) {
          return names.count(owners[lease.first]) > 0 && epochs[lease.first] > lease.second;
        }))
      return true;
  }
  return false;
}

// A node's own view claims a shard, and none under a lease it held before
// `old_leases` were taken from it: a shard it owns again has a newer epoch.
bool owns_shards_under_new_epochs(const json& own_view, const std::map<int, std::int64_t>& old_leases) {
  auto owned = owned_shards(own_view);
  auto epochs = shard_epochs(own_view);
  return !owned.empty() && std::all_of(owned.begin(), owned.end(), [&](int shard) {
    auto old = old_leases.find(shard);
    return old == old_leases.end() || epochs[shard] > old->second;
  });
}

// Lines of a node's log that tell of a crash: an uncaught exception, or a
// supervisor restarting a failed actor or giving up on it.
std::vector<std::string> crash_lines(const std::string& log) {
  static const char* const markers[] = {"terminate called", "Segmentation fault", "restarting in", "escalating"};
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin < log.size()) {
    auto end = log.find('\n', begin);
    if (end == std::string::npos)
      end = log.size();
    auto line = log.substr(begin, end - begin);
    if (std::any_of(std::begin(markers), std::end(markers),
                    [&](const char* m) { return line.find(m) != std::string::npos; }))
      out.push_back(line);
    begin = end + 1;
  }
  return out;
}

// What fencing promises about the whole history: every check names the
// lease it was written under; each epoch of a shard has one writer; and a
// target's checks under an older epoch all come before its first check under
// a newer one.
void check_epochs_never_overlap(const std::string& dsn) {
  CHECK(query_value(dsn, "SELECT count(*) FROM checks WHERE shard IS NULL OR epoch IS NULL OR owner IS NULL") == "0");
  {
    auto shared = query(dsn, "SELECT shard, epoch, string_agg(DISTINCT owner, ', ') FROM checks"
                             " GROUP BY shard, epoch HAVING count(DISTINCT owner) > 1 ORDER BY shard, epoch");
    INFO("shard | epoch | its writers\n" << text_of(shared));
    CHECK(shared.empty());
  }
  {
    auto overlapping = query(dsn, R"(
      WITH spans AS (
        SELECT target_name, shard, epoch, min(checked_at) AS first_at, max(checked_at) AS last_at
        FROM checks GROUP BY target_name, shard, epoch)
      SELECT older.target_name, older.shard, older.epoch, older.last_at, newer.epoch, newer.first_at
      FROM spans older JOIN spans newer
        ON newer.target_name = older.target_name AND newer.shard = older.shard AND newer.epoch > older.epoch
      WHERE older.last_at > newer.first_at
      ORDER BY 1, 3, 5)");
    INFO("target | shard | older epoch | its last check | newer epoch | its first check\n" << text_of(overlapping));
    CHECK(overlapping.empty());
  }
}

// Three nodes and `count` targets added through node1, once every target
// is checked by the owner of its shard.
struct checked_cluster {
  explicit checked_cluster(int count) {
    exporter.reply("/metrics", 200, "up 1\n");
    REQUIRE(wait_until([&] { return every_node_answers_ready(c, 200); }, 30s));
    targets = add_targets(c, 0, exporter, count);
    REQUIRE(wait_until([&] { return settled(c, pg.dsn(), targets.size()); }, 30s, sql_poll));
  }

  target_server exporter;
  pg_instance pg;
  failure_context leases{"shard_leases", lease_table(pg.dsn())};
  test_cluster c{pg.dsn()};
  std::vector<std::string> targets;
};

} // namespace

TEST_CASE("kill -9 of a node: survivors scrape all its targets within 2 s, and no two owners' epochs overlap",
          "[chaos]") {
  checked_cluster f(30);
  auto& [exporter, pg, leases, c, targets] = f;

  auto victim = node_with_most_shards(c.cluster_view(0));
  auto victim_name = test_cluster::name(victim);
  auto orphans = targets_last_checked_by(latest_checks(pg.dsn()), victim_name);
  INFO(victim_name << " is killed; it checked " << orphans.size() << " of " << targets.size() << " targets");
  REQUIRE_FALSE(orphans.empty());

  // Read before the signal, so the delays measured can only be longer than
  // the real ones.
  auto killed_at = now_ms();
  c.kill(victim);

  std::map<std::string, std::int64_t> first;
  std::vector<std::string> waiting;
  bool all_taken_over = wait_until(
    [&] {
      first = first_checks_after(pg.dsn(), killed_at, victim_name);
      waiting.clear();
      for (auto& t : orphans)
        if (!first.count(t))
          waiting.push_back(t);
      return waiting.empty();
    },
    10s, sql_poll);
  {
    INFO("never checked again: " << sql_list(waiting));
    REQUIRE(all_taken_over);
  }
  for (auto& t : orphans) {
    INFO("target " << t << " first checked by a survivor " << first[t] - killed_at << " ms after the kill");
    CHECK(first[t] - killed_at <= 2000);
  }
  CHECK(targets_checked_by_others_under_newer_epochs(pg.dsn(), victim_name, orphans) == orphans.size());
  check_epochs_never_overlap(pg.dsn());
}

TEST_CASE("a frozen node is fenced: not one write after its lease moved, and it gets shards back", "[chaos]") {
  checked_cluster f(15);
  auto& [exporter, pg, leases, c, targets] = f;

  auto frozen = node_with_most_shards(c.cluster_view(0));
  auto frozen_name = test_cluster::name(frozen);
  auto held = leases_held_by(pg.dsn(), frozen_name);
  INFO(frozen_name << " is frozen");
  REQUIRE_FALSE(held.empty());

  c.pause(frozen);
  REQUIRE(wait_until([&] { return shards_taken_over(c, all_but(c, frozen), held); }, 10s));
  // From here on, a check written under one of `held` got past the fence.
  auto writes_under_old_leases = checks_written_under(pg.dsn(), frozen_name, held);

  c.resume(frozen);
  REQUIRE(wait_until([&] { return owns_shards_under_new_epochs(c.cluster_view(frozen), held); }, 20s));
  auto regained_at = now_ms();
  CHECK(wait_until([&] { return targets_checked_since(pg.dsn(), regained_at) == targets.size(); }, 10s, sql_poll));

  CHECK(checks_written_under(pg.dsn(), frozen_name, held) == writes_under_old_leases);
  CHECK(c.node(frozen).running());
  auto crashes = crash_lines(c.node(frozen).log());
  for (auto& line : crashes)
    UNSCOPED_INFO(frozen_name << " logged: " << line);
  CHECK(crashes.empty());
  check_epochs_never_overlap(pg.dsn());
}

TEST_CASE("a killed node that restarts rejoins and the shards are balanced again", "[chaos]") {
  pg_instance pg;
  failure_context leases("shard_leases", lease_table(pg.dsn()));
  test_cluster c(pg.dsn());
  REQUIRE(wait_until([&] { return live_nodes_share_all_shards(c, all_nodes(c)); }, 30s));

  c.kill(1);
  REQUIRE(wait_until([&] { return live_nodes_share_all_shards(c, all_but(c, 1)); }, 10s));

  c.start(1);
  std::vector<std::string> everyone;
  for (int i = 0; i < c.size(); ++i)
    everyone.push_back(test_cluster::name(i));
  CHECK(wait_until(
    [&] {
      return live_nodes_share_all_shards(c, all_nodes(c)) && every_view_shows_every_member_up(c) &&
             postgres_gives_every_lease_to(pg.dsn(), c.shards(), everyone);
    },
    30s, sql_poll));
}

TEST_CASE("PostgreSQL stopped and started under the cluster: no node exits, checks resume", "[chaos]") {
  checked_cluster f(5);
  auto& [exporter, pg, leases, c, targets] = f;

  pg.stop();
  REQUIRE(wait_until([&] { return every_node_answers_ready(c, 503); }, 20s));
  pg.start();
  auto restarted_at = now_ms();
  REQUIRE(wait_until([&] { return every_node_answers_ready(c, 200); }, 30s));

  for (int i = 0; i < c.size(); ++i) {
    INFO(test_cluster::name(i));
    CHECK(c.node(i).running());
  }
  CHECK(wait_until([&] { return targets_checked_since(pg.dsn(), restarted_at) == targets.size(); }, 20s, sql_poll));
}
