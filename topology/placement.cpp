#include "topology/placement.hpp"

namespace troupe::topology {
namespace {

// splitmix64's finaliser: every input bit moves every output bit, so that
// consecutive ids and shard numbers spread evenly.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

} // namespace

std::uint64_t key_of(const std::string& id) {
  return fnv1a(id.substr(0, id.find('.')));
}

int shard_of(std::uint64_t key, int shards) {
  return static_cast<int>(mix(key) % static_cast<std::uint64_t>(shards));
}

std::string rendezvous_owner(int shard, const std::vector<std::string>& members) {
  const std::string* best = nullptr;
  std::uint64_t best_score = 0;
  for (auto& m : members) {
    auto score = mix(fnv1a(m) ^ mix(static_cast<std::uint64_t>(shard)));
    // Ties (astronomically rare) go to the smaller name, the same everywhere.
    if (!best || score > best_score || (score == best_score && m < *best)) {
      best = &m;
      best_score = score;
    }
  }
  return best ? *best : std::string{};
}

} // namespace troupe::topology
