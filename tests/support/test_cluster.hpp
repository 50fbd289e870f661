#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/failure_context.hpp"
#include "tests/support/node_process.hpp"

namespace troupe::testing {

// Leases short enough that a test sees a frozen node lose them within a
// couple of seconds, and few shards so that views stay readable in a log.
struct cluster_options {
  int nodes = 3;
  int shards = 16;
  std::string lease_time = "1500ms";
  std::string lease_renew_interval = "250ms";
  // More "--section.key=value" flags for every node; one with the key of a
  // flag set here replaces it.
  std::vector<std::string> extra_flags;
};

// N `troupe node` processes named node1..nodeN against one database, each
// with a cluster port of its own and every other node's port as a seed.
// Nodes are numbered from 0 here: node(0) is "node1". Destruction kills every
// node, stopped (SIGSTOP) ones included. While it lives, a failed assertion
// also prints every node's view of the cluster.
class test_cluster {
public:
  // Starts every node; waits for none of them.
  test_cluster(const std::string& dsn, cluster_options options = {});
  ~test_cluster();
  test_cluster(const test_cluster&) = delete;
  test_cluster& operator=(const test_cluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  int shards() const { return options_.shards; }
  // "node" + (i + 1)
  static std::string name(int i);
  // The inverse of name(): "node3" -> 2.
  static int index_of(const std::string& name);

  // (Re)starts node i on its cluster port: a fresh process with a new HTTP
  // port. A process still running there is killed first. The previous
  // process's log is kept, and printed when an assertion fails.
  void start(int i);
  // SIGKILL, then waits until the process is gone.
  void kill(int i);
  // SIGSTOP / SIGCONT: the process keeps its sockets but does nothing.
  void pause(int i);
  void resume(int i);

  node_process& node(int i) { return *nodes_.at(i); }
  // The HTTP port of node i's current process.
  std::uint16_t port(int i) const { return nodes_.at(i)->port(); }
  std::uint16_t cluster_port(int i) const { return cluster_ports_.at(i); }

  // GET /api/v1/cluster on node i: {"node", "members", "shards", "owned"};
  // null when it does not answer 200 within two seconds.
  nlohmann::json cluster_view(int i);
  // Every node's process state and view, a line each.
  std::string describe();

private:
  std::string dsn_;
  cluster_options options_;
  std::vector<std::uint16_t> cluster_ports_;
  std::vector<std::unique_ptr<node_process>> nodes_;
  std::vector<bool> paused_;
  std::vector<std::unique_ptr<node_process>> replaced_;
  // Last, so that it goes first: it reads the nodes.
  std::unique_ptr<failure_context> on_failure_;
};

// Readings of one cluster view; a null view reads as empty.

// member name -> status ("up", "suspect", "down", "joining").
std::map<std::string, std::string> member_statuses(const nlohmann::json& view);
// shard -> owner's name, "" for a shard nobody owns.
std::map<int, std::string> shard_owners(const nlohmann::json& view);
// shard -> epoch (0 where the view gives none).
std::map<int, std::int64_t> shard_epochs(const nlohmann::json& view);
// The shards the answering node says it owns.
std::vector<int> owned_shards(const nlohmann::json& view);

} // namespace troupe::testing
