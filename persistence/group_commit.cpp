#include "persistence/group_commit.hpp"

#include <memory>
#include <set>

#include <pqxx/pqxx>

#include "persistence/lease_store.hpp"
#include "persistence/pg_pool.hpp"
#include "persistence/prepared.hpp"
#include "runtime/errors.hpp"

namespace troupe::persistence {

void group_commit::batch::send_pipelined() {
  while (!pipelined_.empty()) {
    auto sent = std::exchange(pipelined_, {});
    std::vector<pqxx::result> results;
    {
      pqxx::pipeline p(tx);
      p.retain(static_cast<int>(sent.size())); // all sent at once, by complete()
      std::vector<pqxx::pipeline::query_id> ids;
      for (auto& [statement, then] : sent)
        ids.push_back(p.insert(statement));
      p.complete();
      // In order: a failure throws here, and the statements after it did not run.
      for (auto id : ids)
        results.push_back(p.retrieve(id));
    }
    // Once the pipeline has let go of `tx`, which a `then` may use.
    for (std::size_t i = 0; i < sent.size(); ++i)
      sent[i].second(results[i]);
  }
}

group_commit::group_commit(pg_pool& pool, std::int64_t incarnation, int in_flight, std::size_t limit)
  : pool_(pool), incarnation_(incarnation), max_in_flight_(in_flight), limit_(limit) {}

void group_commit::submit(job work, done_fn done, std::optional<fence> f) {
  std::unique_lock lock(mutex_);
  queue_.push_back({std::move(work), std::move(done), f});
  start_batches(lock);
}

void group_commit::start_batches(std::unique_lock<std::mutex>& lock) {
  while (in_flight_ < max_in_flight_ && !queue_.empty()) {
    auto jobs = std::make_shared<std::vector<queued>>();
    while (!queue_.empty() && jobs->size() < limit_) {
      jobs->push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    ++in_flight_;
    lock.unlock();
    auto finish = [self = shared_from_this(), jobs](const std::vector<caf::error>& errors) {
      for (std::size_t i = 0; i < jobs->size(); ++i)
        (*jobs)[i].done(errors[i]);
      std::unique_lock lock(self->mutex_);
      --self->in_flight_;
      self->start_batches(lock);
    };
    pool_.submit([self = shared_from_this(), jobs, finish](pqxx::connection_base& c) { finish(self->run(c, *jobs)); },
                 [jobs, finish](caf::error e) { finish(std::vector<caf::error>(jobs->size(), e)); });
    lock.lock();
  }
}

std::vector<caf::error> group_commit::run(pqxx::connection_base& c, const std::vector<queued>& jobs) {
  try {
    // BEGIN and COMMIT are sent by hand, each with other statements.
    pqxx::nontransaction tx(c);
    std::set<int> shards;
    for (auto& j : jobs)
      if (j.f)
        shards.insert(j.f->shard);
    auto held = lease_store::begin_holding(tx, shards, incarnation_);
    batch b(tx);
    std::vector<caf::error> out;
    for (auto& j : jobs) {
      auto h = j.f ? held.find(j.f->shard) : held.end();
      if (j.f && (h == held.end() || h->second != j.f->epoch))
        out.push_back(make_error(errc::lease_lost, "shard " + std::to_string(j.f->shard) + " has moved"));
      else
        out.push_back(j.work(b));
    }
    b.send_pipelined();
    tx.exec(b.deferred_ + "COMMIT");
    return out;
  } catch (const pqxx::broken_connection&) {
    throw; // the pool reports the outage to every job
  } catch (const std::exception& e) {
    pqxx::nontransaction(c).exec("ROLLBACK");
    if (jobs.size() == 1)
      return {make_error(errc::internal, std::string("write failed: ") + e.what())};
  }
  std::vector<caf::error> out;
  for (auto& j : jobs)
    out.push_back(run(c, {j}).front());
  return out;
}

} // namespace troupe::persistence
