#include "topology/shard_region.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"
#include "topology/messages.hpp"

using namespace troupe;
using namespace troupe::topology;
using namespace std::chrono_literals;

namespace {

constexpr caf::atom_value host_name = caf::atom("doubler");

// The entity host of the tests: answers n with 2n.
caf::behavior doubler(caf::event_based_actor*) {
  return {[](int n) { return 2 * n; }};
}

struct region_fixture {
  explicit region_fixture(std::size_t buffer, milliseconds timeout = 60s) {
    cfg.cluster.shards = 4;
    cfg.cluster.region_buffer = buffer;
    cfg.cluster.region_buffer_timeout = timeout;
    region = spawn_shard_region(sys, cfg, &m);
    auto host = sys.spawn(doubler);
    sys.registry().put(host_name, caf::actor_cast<caf::strong_actor_ptr>(host));
  }
  ~region_fixture() {
    caf::anon_send_exit(region, caf::exit_reason::user_shutdown);
    if (auto host = sys.registry().get(host_name))
      caf::anon_send_exit(caf::actor_cast<caf::actor>(host), caf::exit_reason::user_shutdown);
  }
  // Every shard owned by this node.
  void own_everything() {
    placement p;
    p.self = "me";
    p.owners.assign(4, "me");
    caf::anon_send(region, placement_atom::value, std::move(p));
  }

  node_config cfg;
  caf::actor_system_config caf_cfg;
  caf::actor_system sys{caf_cfg};
  metrics m;
  caf::actor region;
};

} // namespace

TEST_CASE("the region delivers to the owner's host, holding messages until the shard has an owner",
          "[region]") {
  region_fixture f(10);
  caf::scoped_actor self{f.sys};
  caf::expected<int> answer = caf::sec::unexpected_message;
  auto request = self->request(f.region, 10s, route_atom::value, host_name, std::uint64_t{7}, caf::make_message(21));
  // No placement yet: the message waits instead of failing.
  f.own_everything();
  request.receive([&](int x) { answer = x; }, [&](caf::error& e) { answer = e; });
  REQUIRE(answer);
  CHECK(*answer == 42);

  // Owned now: delivered at once.
  self->request(f.region, 10s, route_atom::value, host_name, std::uint64_t{3}, caf::make_message(5))
    .receive([&](int x) { answer = x; }, [&](caf::error& e) { answer = e; });
  REQUIRE(answer);
  CHECK(*answer == 10);
}

TEST_CASE("a full region buffer refuses its oldest message as unavailable", "[region]") {
  region_fixture f(1);
  caf::scoped_actor self{f.sys};
  auto first = self->request(f.region, 10s, route_atom::value, host_name, std::uint64_t{7}, caf::make_message(1));
  auto second = self->request(f.region, 10s, route_atom::value, host_name, std::uint64_t{7}, caf::make_message(2));
  caf::error refused;
  first.receive([](int) {}, [&](caf::error& e) { refused = e; });
  CHECK(is(refused, errc::unavailable));
  CHECK(f.m.region_undelivered.Value() == 1);

  // The one still held is delivered once the shard has an owner.
  f.own_everything();
  int answer = 0;
  second.receive([&](int x) { answer = x; }, [](caf::error&) {});
  CHECK(answer == 4);
}

TEST_CASE("a message whose shard finds no owner in time is refused as unavailable", "[region]") {
  region_fixture f(10, 50ms);
  caf::scoped_actor self{f.sys};
  caf::error refused;
  self->request(f.region, 10s, route_atom::value, host_name, std::uint64_t{7}, caf::make_message(1))
    .receive([](int) {}, [&](caf::error& e) { refused = e; });
  CHECK(is(refused, errc::unavailable));
}
