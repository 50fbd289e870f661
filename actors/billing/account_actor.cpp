#include "actors/billing/account_actor.hpp"

#include <deque>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/billing/ledger_rules.hpp"
#include "actors/billing/ledger_writer.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/atoms.hpp"
#include "runtime/errors.hpp"
#include "runtime/metrics.hpp"
#include "topology/entity_host.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::optional<troupe::billing::account>)

namespace troupe::billing {
namespace {

namespace store = persistence::ledger_store;
using load_atom = caf::atom_constant<caf::atom("load")>;

// A request waiting for its turn.
struct request {
  std::string kind; // open, deposit, withdraw
  std::string op_id;
  std::int64_t amount = 0;
  std::string owner; // open: the new owner; deposit, withdraw: who asks ("" = the system)
  caf::response_promise reply;
};

struct account_state {
  bool loaded = false;
  bool loading = false;
  bool busy = false;     // an operation is at the ledger writer
  bool stopping = false; // quit once the queue is empty
  std::optional<account> acc; // empty: no such account (yet)
  std::deque<request> queue;
  std::string in_flight; // the op_id at the writer
  int stale_retries = 0;
  std::function<void()> pump; // decides what is queued, when it can
  static inline const char* name = "account";
};

constexpr int max_stale_retries = 3;

caf::behavior account_actor(caf::stateful_actor<account_state>* self, std::string id, int shard, std::int64_t epoch,
                            services s) {
  s.metrics->accounts_active.Increment();
  self->attach_functor([m = s.metrics] { m->accounts_active.Decrement(); });
  auto me = caf::actor_cast<caf::actor>(self);
  auto pump = [=] { self->state.pump(); };
  auto load = [=] {
    auto& st = self->state;
    if (st.loading)
      return;
    st.loading = true;
    s.pool->run<std::optional<account>>(
      [id](pqxx::connection_base& c) -> caf::expected<std::optional<account>> { return store::find(c, id); },
      [me](caf::expected<std::optional<account>> a) {
        if (a)
          caf::anon_send(me, load_atom::value, std::move(*a));
        else
          caf::anon_send(me, load_atom::value, a.error());
      });
  };
  // The answer to an operation whose op_id is in the ledger already.
  auto replay = [id](const request& r, const operation& first) -> caf::expected<operation> {
    if (first.account_id != id || first.kind != r.kind || first.requested != r.amount)
      return make_error(errc::idempotency_key_reused,
                        "operation id '" + r.op_id + "' was used for another operation (a " + first.kind + " of " +
                          std::to_string(first.requested) + " on account " + first.account_id + ")");
    auto op = first;
    op.replayed = true;
    return op;
  };
  auto send_to_writer = [=](request r, store::entry e) {
    auto& st = self->state;
    auto writer = self->system().registry().get(ledger_writer_name);
    if (!writer) {
      r.reply.deliver(make_error(errc::unavailable, "the ledger writer is restarting"));
      return;
    }
    st.busy = true;
    st.in_flight = r.op_id;
    self->request(caf::actor_cast<caf::actor>(writer), s.config->http.request_timeout, commit_atom::value, e)
      .then(
        [=](store::outcome& o) mutable {
          auto& st = self->state;
          st.busy = false;
          st.in_flight.clear();
          switch (o.v) {
            case store::verdict::applied:
              st.stale_retries = 0;
              if (o.op.kind == "open")
                st.acc = account{id, e.owner, 0, o.op.at_ms};
              else
                st.acc->balance = o.op.balance_after;
              s.metrics->ledger_operations.Add({{"kind", o.op.kind}, {"outcome", o.op.outcome}}).Increment();
              if (o.op.kind == "open")
                r.reply.deliver(*st.acc);
              else
                r.reply.deliver(o.op);
              break;
            case store::verdict::replayed: {
              s.metrics->ledger_operations.Add({{"kind", r.kind}, {"outcome", "replayed"}}).Increment();
              // An open of this account replayed: it exists after all.
              if (r.kind == "open" && o.op.account_id == id) {
                st.loaded = false;
                st.queue.push_front(std::move(r));
                break;
              }
              auto answer = replay(r, o.op);
              answer ? r.reply.deliver(*answer) : r.reply.deliver(answer.error());
              break;
            }
            case store::verdict::fenced:
              r.reply.deliver(make_error(errc::lease_lost, "account " + id + " is moving to another node"));
              st.stopping = true;
              break;
            case store::verdict::stale:
              // Someone else wrote this account (an actor of a previous
              // epoch finishing): read it again and decide again.
              if (++st.stale_retries > max_stale_retries) {
                r.reply.deliver(make_error(errc::unavailable, "account " + id + " keeps changing, retry later"));
              } else {
                st.queue.push_front(std::move(r));
              }
              st.loaded = false;
              break;
          }
          pump();
        },
        [=](caf::error& err) mutable {
          // The commit may or may not have happened: what the database
          // says is read again before the next operation.
          auto& st = self->state;
          st.busy = false;
          st.in_flight.clear();
          st.loaded = false;
          r.reply.deliver(err);
          pump();
        });
  };
  // Decides the next operation from the balance, if the account is loaded
  // and nothing is at the writer.
  self->state.pump = [=] {
    auto& st = self->state;
    while (!st.busy && !st.queue.empty()) {
      if (!st.loaded)
        return load();
      auto r = std::move(st.queue.front());
      st.queue.pop_front();
      if (r.kind == "open" && st.acc) {
        // Opening is idempotent by the account's id.
        st.acc->owner == r.owner
          ? r.reply.deliver(*st.acc)
          : r.reply.deliver(make_error(errc::conflict, "account " + id + " belongs to someone else"));
        continue;
      }
      if (!st.acc && r.kind != "open") {
        r.reply.deliver(make_error(errc::not_found, "no account " + id));
        continue;
      }
      if (r.kind != "open" && !r.owner.empty() && r.owner != st.acc->owner) {
        r.reply.deliver(make_error(errc::forbidden, "account " + id + " is not yours"));
        continue;
      }
      auto balance = st.acc ? st.acc->balance : 0;
      auto decided = decide(r.kind, r.amount, balance);
      if (!decided) {
        r.reply.deliver(decided.error());
        continue;
      }
      store::entry e{std::move(*decided), r.owner, balance, shard, epoch};
      e.op.op_id = r.op_id;
      e.op.account_id = id;
      send_to_writer(std::move(r), std::move(e));
    }
    if (st.stopping && !st.busy && st.queue.empty())
      self->quit();
  };
  auto enqueue = [=](request r) {
    auto& st = self->state;
    auto same = [&](const request& q) { return !r.op_id.empty() && q.op_id == r.op_id; };
    if ((!r.op_id.empty() && st.in_flight == r.op_id) || std::any_of(st.queue.begin(), st.queue.end(), same))
      return r.reply.deliver(
        make_error(errc::request_in_progress, "operation '" + r.op_id + "' is still being processed, retry later"));
    st.queue.push_back(std::move(r));
    pump();
  };
  return {
    [=](open_atom, const std::string& owner, const std::string& op_id) -> caf::result<account> {
      enqueue({"open", op_id, 0, owner, self->make_response_promise()});
      return caf::delegated<account>{};
    },
    [=](deposit_atom, const std::string& op_id, std::int64_t amount, const std::string& by)
      -> caf::result<operation> {
      enqueue({"deposit", op_id, amount, by, self->make_response_promise()});
      return caf::delegated<operation>{};
    },
    [=](withdraw_atom, const std::string& op_id, std::int64_t amount, const std::string& by)
      -> caf::result<operation> {
      enqueue({"withdraw", op_id, amount, by, self->make_response_promise()});
      return caf::delegated<operation>{};
    },
    [=](load_atom, std::optional<account>& a) {
      auto& st = self->state;
      st.loading = false;
      st.loaded = true;
      st.acc = std::move(a);
      pump();
    },
    [=](load_atom, const caf::error& err) {
      auto& st = self->state;
      st.loading = false;
      for (auto& r : st.queue)
        r.reply.deliver(err);
      st.queue.clear();
      pump();
    },
    [=](stop_atom) {
      self->state.stopping = true;
      pump();
    },
  };
}

} // namespace

caf::actor spawn_account_host(caf::actor_system& system, services s) {
  topology::entity_host_spec spec;
  spec.kind = "accounts";
  spec.name = accounts_name;
  spec.shards = s.config->cluster.shards;
  spec.passivate_after = s.config->billing.passivate_after;
  spec.spawn = [s](caf::actor_system& sys, const std::string& id, int shard, std::int64_t epoch) {
    return sys.spawn(account_actor, id, shard, epoch, s);
  };
  return topology::spawn_entity_host(system, std::move(spec));
}

} // namespace troupe::billing
