#include "tests/support/test_cluster.hpp"

#include <stdexcept>

#include <signal.h>

#include "tests/support/free_port.hpp"
#include "tests/support/http_client.hpp"

namespace troupe::testing {
namespace {

// runtime/config.cpp splits a list key on whitespace, and refuses a seed
// with a comma in it.
constexpr const char* seed_separator = " ";

} // namespace

test_cluster::test_cluster(const std::string& dsn, cluster_options options)
  : dsn_(dsn), options_(std::move(options)) {
  if (options_.nodes < 1)
    throw std::invalid_argument("a cluster needs at least one node");
  for (int i = 0; i < options_.nodes; ++i)
    cluster_ports_.push_back(free_port());
  nodes_.resize(options_.nodes);
  paused_.resize(options_.nodes, false);
  for (int i = 0; i < options_.nodes; ++i)
    start(i);
  on_failure_ = std::make_unique<failure_context>("cluster views", [this] { return describe(); });
}

test_cluster::~test_cluster() {
  // SIGKILL ends a stopped process too, so node_process's destructor is
  // enough; SIGCONT first only spares it a stopped state while it dies.
  for (int i = 0; i < size(); ++i)
    if (paused_[i] && nodes_[i])
      ::kill(nodes_[i]->pid(), SIGCONT);
}

std::string test_cluster::name(int i) {
  return "node" + std::to_string(i + 1);
}

int test_cluster::index_of(const std::string& name) {
  if (name.rfind("node", 0) != 0 || name.size() < 5)
    throw std::invalid_argument("not a test cluster's node name: '" + name + "'");
  return std::stoi(name.substr(4)) - 1;
}

void test_cluster::start(int i) {
  if (nodes_.at(i)) {
    kill(i);
    replaced_.push_back(std::move(nodes_[i]));
  }
  std::string seeds;
  for (int j = 0; j < size(); ++j)
    if (j != i)
      seeds += (seeds.empty() ? "" : seed_separator) + std::string("127.0.0.1:") + std::to_string(cluster_ports_[j]);
  std::vector<std::string> flags = {
    "--node.name=" + name(i),
    "--cluster.port=" + std::to_string(cluster_ports_[i]),
    "--cluster.seeds=" + seeds,
    "--cluster.shards=" + std::to_string(options_.shards),
    "--cluster.lease_time=" + options_.lease_time,
    "--cluster.lease_renew_interval=" + options_.lease_renew_interval,
  };
  flags.insert(flags.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  nodes_[i] = std::make_unique<node_process>(dsn_, flags);
  paused_[i] = false;
}

void test_cluster::kill(int i) {
  auto& n = *nodes_.at(i);
  if (n.running()) {
    ::kill(n.pid(), SIGKILL);
    if (!n.wait_for_exit(std::chrono::seconds{10}))
      throw std::runtime_error(name(i) + " (pid " + std::to_string(n.pid()) + ") outlived SIGKILL by 10 s");
  }
  paused_[i] = false;
}

void test_cluster::pause(int i) {
  ::kill(nodes_.at(i)->pid(), SIGSTOP);
  paused_[i] = true;
}

void test_cluster::resume(int i) {
  ::kill(nodes_.at(i)->pid(), SIGCONT);
  paused_[i] = false;
}

nlohmann::json test_cluster::cluster_view(int i) {
  auto r = http_get(port(i), "/api/v1/cluster", {}, std::chrono::seconds{2});
  if (r.status != 200)
    return nullptr;
  auto view = r.json();
  return view.is_object() ? view : nlohmann::json(nullptr);
}

std::string test_cluster::describe() {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    auto& n = *nodes_[i];
    out += name(i) + " (pid " + std::to_string(n.pid()) + "): ";
    if (!n.running()) {
      out += "exited\n";
      continue;
    }
    if (paused_[i]) {
      out += "stopped\n";
      continue;
    }
    auto view = cluster_view(i);
    out += view.is_null() ? std::string("no answer\n") : view.dump() + "\n";
  }
  return out;
}

std::map<std::string, std::string> member_statuses(const nlohmann::json& view) {
  std::map<std::string, std::string> out;
  if (view.is_object() && view.contains("members"))
    for (auto& m : view["members"])
      out[m.at("name").get<std::string>()] = m.at("status").get<std::string>();
  return out;
}

std::map<int, std::string> shard_owners(const nlohmann::json& view) {
  std::map<int, std::string> out;
  if (view.is_object() && view.contains("shards"))
    for (auto& s : view["shards"]) {
      auto& owner = s.at("owner");
      out[s.at("shard").get<int>()] = owner.is_string() ? owner.get<std::string>() : std::string{};
    }
  return out;
}

std::map<int, std::int64_t> shard_epochs(const nlohmann::json& view) {
  std::map<int, std::int64_t> out;
  if (view.is_object() && view.contains("shards"))
    for (auto& s : view["shards"]) {
      auto& epoch = s.at("epoch");
      out[s.at("shard").get<int>()] = epoch.is_number() ? epoch.get<std::int64_t>() : 0;
    }
  return out;
}

std::vector<int> owned_shards(const nlohmann::json& view) {
  std::vector<int> out;
  if (view.is_object() && view.contains("owned"))
    for (auto& s : view["owned"])
      out.push_back(s.get<int>());
  return out;
}

} // namespace troupe::testing
