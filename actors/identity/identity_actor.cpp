#include "actors/identity/identity_actor.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/identity/crypto.hpp"
#include "actors/identity/jwt.hpp"
#include "actors/identity/password.hpp"
#include "actors/identity/validation.hpp"
#include "persistence/identity_store.hpp"
#include "persistence/notification_listener.hpp"
#include "persistence/pg_pool.hpp"
#include "runtime/errors.hpp"

namespace troupe::identity {
namespace {

namespace store = persistence::identity_store;

using step_atom = caf::atom_constant<caf::atom("step")>;

// The rest of a request, to run in the actor once the pool or the hasher
// has answered: the workers never call each other, and only the actor
// reads its state.
struct step {
  std::function<void()> run;
};

} // namespace
} // namespace troupe::identity

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::identity::step)

namespace troupe::identity {
namespace {

using identity_impl = identity_actor::extend<caf::reacts_to<step_atom, step>>;

using secret_waiter = std::function<void(caf::expected<std::string>)>;

// A request's session, to look up with the others that wait.
struct session_check {
  std::string session_id;
  std::string user_id; // a bearer token's subject, which must be the session's user; "" for a cookie
  caf::typed_response_promise<caller> promise;
};

struct identity_state {
  std::string secret; // empty until read from the config or the database
  bool loading_secret = false;
  std::vector<secret_waiter> waiting_for_secret;
  // Sessions are looked up one statement at a time; the requests that come
  // meanwhile wait and go together in the next.
  std::vector<session_check> sessions_wanted;
  bool checking_sessions = false;
  std::function<void()> check_sessions;
  // The live sessions read so far, until a session ends or a caller changes
  // (0010_session_changes.sql notifies every node): most requests need no
  // round trip to the database.
  std::unordered_map<std::string, persistence::identity_store::live_session> known;
  std::uint64_t forgotten = 0; // how often `known` was cleared: a read begun before must not fill it
  std::unique_ptr<persistence::notification_listener> listener;
  void forget() {
    known.clear();
    ++forgotten;
  }
  static inline const char* name = "identity";
};

caf::error wrong_credentials() {
  return make_error(errc::unauthenticated, "wrong login or password");
}

caf::error required(const char* field) {
  return make_error(errc::invalid_argument, std::string(field) + ": required");
}

// A worker's callback that hands `then(result)` back to the actor `me`.
template <class T, class Then>
std::function<void(caf::expected<T>)> back_to(const caf::actor& me, Then then) {
  return [me, then](caf::expected<T> r) {
    caf::anon_send(me, step_atom::value, step{[then, r]() mutable { then(std::move(r)); }});
  };
}

// A worker's callback that answers the request of `promise` directly.
template <class T>
std::function<void(caf::expected<T>)> deliver_to(caf::typed_response_promise<T> promise) {
  return [promise](caf::expected<T> r) mutable {
    if (r)
      promise.deliver(std::move(*r));
    else
      promise.deliver(std::move(r.error()));
  };
}

// What a request's session check comes to, given its live session (or none).
caf::expected<caller> verdict(const session_check& c, const persistence::identity_store::live_session* live) {
  if (!live)
    return make_error(errc::unauthenticated, "the session has ended");
  if (!c.user_id.empty() && c.user_id != live->who.user_id)
    return make_error(errc::unauthenticated, "the bearer token is invalid");
  return live->who;
}

identity_impl::behavior_type identity_actor_impl(identity_impl::stateful_pointer<identity_state> self, services s) {
  self->system().registry().put(identity_name, caf::actor_cast<caf::strong_actor_ptr>(self));
  self->attach_functor([sys = &self->system()] { sys->registry().erase(identity_name); });
  auto me = caf::actor_cast<caf::actor>(self);
  const auto* cfg = &s.config->identity;
  std::set<std::string> admins(cfg->admins.begin(), cfg->admins.end());
  self->state.secret = cfg->jwt_secret;
  if (!cfg->jwt_secret.empty() && cfg->jwt_secret.size() < 32)
    spdlog::warn("identity.jwt_secret is shorter than 32 bytes: bearer tokens are easier to forge");

  // Calls `f` with the JWT secret, reading it from the database first when
  // it is not known yet (and again after a failed read, so that a node that
  // started while PostgreSQL was down recovers by itself).
  auto with_secret = [=](secret_waiter f) {
    auto& st = self->state;
    if (!st.secret.empty())
      return f(st.secret);
    st.waiting_for_secret.push_back(std::move(f));
    if (st.loading_secret)
      return;
    st.loading_secret = true;
    s.pool->run<std::string>(
      [candidate = crypto::random_token(32)](pqxx::connection_base& c) -> caf::expected<std::string> {
        return store::jwt_secret(c, candidate);
      },
      back_to<std::string>(me, [self](caf::expected<std::string> secret) {
        auto& st = self->state;
        st.loading_secret = false;
        if (secret)
          st.secret = *secret;
        else
          spdlog::warn("identity: cannot read the JWT secret: {}", error_message(secret.error()));
        auto waiting = std::move(st.waiting_for_secret);
        st.waiting_for_secret.clear();
        for (auto& w : waiting)
          w(secret);
      }));
  };

  // Answers a request from the sessions known, or looks its session up
  // with the others that wait, all in one statement, and answers each
  // request on the worker.
  auto check_session = [=](session_check c) {
    auto& st = self->state;
    if (auto k = st.known.find(c.session_id); k != st.known.end() && k->second.expires_at_ms > s.now_ms()) {
      auto who = verdict(c, &k->second);
      who ? c.promise.deliver(*who) : c.promise.deliver(who.error());
      return;
    }
    st.sessions_wanted.push_back(std::move(c));
    st.check_sessions();
  };
  self->state.check_sessions = [=] {
    auto& st = self->state;
    if (st.checking_sessions || st.sessions_wanted.empty())
      return;
    st.checking_sessions = true;
    auto checks = std::make_shared<std::vector<session_check>>(std::move(st.sessions_wanted));
    st.sessions_wanted.clear();
    std::vector<std::string> ids;
    for (auto& c : *checks)
      ids.push_back(c.session_id);
    using found = std::map<std::string, store::live_session>;
    s.pool->run<found>(
      [ids = std::move(ids)](pqxx::connection_base& c) -> caf::expected<found> { return store::live_sessions(c, ids); },
      [checks, me, self, forgotten = st.forgotten](caf::expected<found> live) {
        for (auto& c : *checks) {
          const store::live_session* session = nullptr;
          if (live)
            if (auto i = live->find(c.session_id); i != live->end())
              session = &i->second;
          auto who = live ? verdict(c, session) : caf::expected<caller>(live.error());
          who ? c.promise.deliver(*who) : c.promise.deliver(who.error());
        }
        caf::anon_send(me, step_atom::value, step{[self, forgotten, live = std::move(live)] {
                         auto& st = self->state;
                         if (live && forgotten == st.forgotten) {
                           if (st.known.size() + live->size() > 100'000)
                             st.known.clear();
                           st.known.insert(live->begin(), live->end());
                         }
                         st.checking_sessions = false;
                         st.check_sessions();
                       }});
      });
  };
  // Another node's change reaches this one through PostgreSQL; this
  // node's own changes are forgotten before their callers hear back.
  self->state.listener = std::make_unique<persistence::notification_listener>(
    s.config->postgres.dsn, "troupe_sessions", s.config->postgres.reconnect_interval,
    [weak = caf::actor_cast<caf::weak_actor_ptr>(self), self] {
      if (auto strong = caf::actor_cast<caf::actor>(weak))
        caf::anon_send(strong, step_atom::value, step{[self] { self->state.forget(); }});
    });
  auto forgetting = [=](caf::typed_response_promise<bool> promise) {
    return back_to<bool>(me, [self, promise](caf::expected<bool> r) mutable {
      self->state.forget();
      r ? promise.deliver(*r) : promise.deliver(r.error());
    });
  };

  // Stores a user whose password is hashed already.
  auto insert = [=](caf::typed_response_promise<user> promise, const new_user& u, const std::string& hash) {
    auto role = admins.count(u.login) ? "admin" : u.role.empty() ? "user" : u.role;
    s.pool->run<user>([u, role, hash](pqxx::connection_base& c) { return store::create_user(c, u, role, hash); },
                      deliver_to(promise));
  };

  // A new session for `u`, and a bearer token for it that ends no later.
  auto open_session = [=](caf::typed_response_promise<session> promise, const user& u) {
    with_secret([=](caf::expected<std::string> secret) mutable {
      if (!secret) {
        promise.deliver(secret.error());
        return;
      }
      s.pool->run<store::new_session>(
        [id = u.id, ttl = cfg->session_ttl](pqxx::connection_base& c) -> caf::expected<store::new_session> {
          return store::create_session(c, id, ttl);
        },
        [=, secret = *secret](caf::expected<store::new_session> opened) mutable {
          if (!opened) {
            promise.deliver(opened.error());
            return;
          }
          auto now = s.now_ms() / 1000;
          auto exp = std::min(now + cfg->token_ttl.count() / 1000, opened->expires_at_ms / 1000);
          jwt::claims claims{u.id, opened->id, u.role, u.client_id, now, exp};
          promise.deliver(session{opened->token, jwt::sign(claims, secret), exp * 1000, opened->expires_at_ms, u});
        });
    });
  };

  if (self->state.secret.empty())
    with_secret([](caf::expected<std::string>) {}); // read ahead of the first login
  return {
    [](step_atom, step& next) { next.run(); },
    [=](register_atom, const new_user& u, std::string& password) -> caf::result<user> {
      if (auto err = validate(u))
        return err;
      if (auto err = validate_password(password))
        return err;
      auto promise = self->make_response_promise<user>();
      s.hasher->hash(std::move(password), back_to<std::string>(me, [=](caf::expected<std::string> hash) mutable {
                       if (hash)
                         insert(promise, u, *hash);
                       else
                         promise.deliver(hash.error());
                     }));
      return promise;
    },
    [=](hash_atom, std::string& password) -> caf::result<std::string> {
      if (auto err = validate_password(password))
        return err;
      auto promise = self->make_response_promise<std::string>();
      s.hasher->hash(std::move(password), deliver_to(promise));
      return promise;
    },
    [=](register_hashed_atom, const new_user& u, const std::string& hash) -> caf::result<user> {
      if (auto err = validate(u))
        return err;
      if (!is_argon2id_hash(hash))
        return make_error(errc::invalid_argument, "password_hash: expected an argon2id string");
      auto promise = self->make_response_promise<user>();
      insert(promise, u, hash);
      return promise;
    },
    // An unknown login costs a verification against a dummy hash, like a
    // wrong password, and gets the same answer: neither its time nor its
    // words tell whether the login exists.
    [=](login_atom, const std::string& login, std::string& password) -> caf::result<session> {
      if (login.empty())
        return required("login");
      if (password.empty())
        return required("password");
      if (password.size() > 256)
        return wrong_credentials(); // longer than any stored password
      auto promise = self->make_response_promise<session>();
      s.pool->run<store::user_with_hash>(
        [login](pqxx::connection_base& c) { return store::find_by_login(c, login); },
        back_to<store::user_with_hash>(
          me, [=, password = std::move(password)](caf::expected<store::user_with_hash> found) mutable {
            if (!found && !is(found.error(), errc::not_found)) {
              promise.deliver(found.error());
              return;
            }
            auto hash = found ? found->password_hash : std::string{};
            s.hasher->verify(std::move(password), std::move(hash), back_to<bool>(me, [=](caf::expected<bool> ok) mutable {
                               if (!ok)
                                 promise.deliver(ok.error());
                               else if (!*ok)
                                 promise.deliver(wrong_credentials());
                               else
                                 open_session(promise, found->user);
                             }));
          }));
      return promise;
    },
    // A bearer token needs a good signature, a future expiry, and a live
    // session: logging out ends the cookie and the token at once. Role and
    // client id come from the database, as they may have changed since the
    // token was signed.
    [=](authenticate_atom, const credentials& presented) -> caf::result<caller> {
      auto promise = self->make_response_promise<caller>();
      if (!presented.jwt.empty()) {
        with_secret([=](caf::expected<std::string> secret) mutable {
          if (!secret) {
            promise.deliver(secret.error());
            return;
          }
          auto claims = jwt::verify(presented.jwt, *secret, s.now_ms() / 1000);
          if (!claims) {
            promise.deliver(claims.error());
            return;
          }
          check_session({claims->sid, claims->sub, promise});
        });
      } else if (!presented.session_token.empty()) {
        check_session({crypto::sha256_hex(presented.session_token), "", promise});
      } else {
        promise.deliver(make_error(errc::unauthenticated, "credentials required"));
      }
      return promise;
    },
    [=](logout_atom, const std::string& session_id) -> caf::result<bool> {
      auto promise = self->make_response_promise<bool>();
      s.pool->run<bool>(
        [session_id](pqxx::connection_base& c) -> caf::expected<bool> {
          store::revoke_session(c, session_id);
          return true;
        },
        forgetting(promise));
      return promise;
    },
    [=](password_atom, password_change& change) -> caf::result<bool> {
      if (change.old_password.empty())
        return required("old_password");
      if (auto err = validate_password(change.new_password, "new_password"))
        return err;
      auto promise = self->make_response_promise<bool>();
      auto store_hash = [=](caf::expected<std::string> hash) mutable {
        if (!hash) {
          promise.deliver(hash.error());
          return;
        }
        s.pool->run<bool>(
          [change, hash = *hash](pqxx::connection_base& c) {
            return store::set_password_hash(c, change.user_id, hash, change.session_id);
          },
          forgetting(promise));
      };
      auto check_old = [=](caf::expected<bool> ok) mutable {
        if (!ok)
          promise.deliver(ok.error());
        else if (!*ok)
          promise.deliver(make_error(errc::unauthenticated, "old_password: wrong password"));
        else
          s.hasher->hash(change.new_password, back_to<std::string>(me, store_hash));
      };
      s.pool->run<store::user_with_hash>(
        [id = change.user_id](pqxx::connection_base& c) { return store::find_by_id(c, id); },
        back_to<store::user_with_hash>(me, [=](caf::expected<store::user_with_hash> found) mutable {
          if (!found)
            promise.deliver(found.error());
          else
            s.hasher->verify(change.old_password, found->password_hash, back_to<bool>(me, check_old));
        }));
      return promise;
    },
    [=](caf::get_atom, const std::string& user_id) -> caf::result<user> {
      auto promise = self->make_response_promise<user>();
      s.pool->run<user>(
        [user_id](pqxx::connection_base& c) -> caf::expected<user> {
          auto found = store::find_by_id(c, user_id);
          if (!found)
            return found.error();
          return found->user;
        },
        deliver_to(promise));
      return promise;
    },
    [=](set_client_atom, const std::string& user_id, const std::string& client_id) -> caf::result<bool> {
      if (client_id.size() > 200 || utf8_length(client_id) < 0)
        return make_error(errc::invalid_argument, "client_id: must be at most 200 bytes of valid UTF-8");
      auto promise = self->make_response_promise<bool>();
      s.pool->run<bool>(
        [user_id, client_id](pqxx::connection_base& c) { return store::set_client_id(c, user_id, client_id); },
        forgetting(promise));
      return promise;
    },
  };
}

} // namespace

caf::actor spawn_identity(caf::actor_system& system, services s) {
  return caf::actor_cast<caf::actor>(system.spawn(identity_actor_impl, std::move(s)));
}

} // namespace troupe::identity
