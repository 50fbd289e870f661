#include "actors/saga/definitions.hpp"

#include <caf/all.hpp>

#include "actors/billing/messages.hpp"
#include "actors/clients/messages.hpp"
#include "actors/identity/messages.hpp"
#include "actors/notifications/messages.hpp"
#include "topology/entity_host.hpp"
#include "topology/placement.hpp"
#include "topology/shard_region.hpp"

namespace troupe::saga {
using json = nlohmann::json;

saga_definition registration_saga(const node_config& cfg) {
  auto timeout = cfg.saga.step_timeout;
  saga_definition d{"registration", {}};
  auto client_status = [timeout](auto atom) {
    return [=](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
      request_step<clients::client>(self, local(self, clients::clients_name), timeout,
                                    caf::make_message(atom, text(c.input, "client_id")), succeeded<clients::client>,
                                    done);
    };
  };
  d.steps.push_back(
    {"client add",
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       clients::client cl{text(c.input, "client_id"), text(c.input, "login"), text(c.input, "first_name"),
                          text(c.input, "last_name"),  text(c.input, "email"), "pending", {}, 0};
       request_step<clients::client>(self, local(self, clients::clients_name), timeout,
                                     caf::make_message(caf::add_atom::value, cl), succeeded<clients::client>, done);
     },
     client_status(clients::reject_atom::value), false});
  d.steps.push_back(
    {"user register",
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       identity::new_user u{text(c.input, "login"), text(c.input, "first_name"), text(c.input, "last_name"),
                            text(c.input, "email"), "", c.key};
       request_step<identity::user>(
         self, local(self, identity::identity_name), timeout,
         caf::make_message(identity::register_hashed_atom::value, u, text(c.input, "password_hash")),
         [](identity::user& created) { return step_reply{step_result::succeeded, {}, {{"user_id", created.id}}}; },
         done);
     },
     nullptr, true});
  d.steps.push_back(
    {"client approve",
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       auto client_id = text(c.input, "client_id");
       auto user_id = text(c.context, "user_id");
       request_step<clients::client>(
         self, local(self, clients::clients_name), timeout,
         caf::make_message(clients::approve_atom::value, client_id, user_id),
         [](clients::client&) { return step_reply{}; },
         [=](step_reply r) {
           if (r.result != step_result::succeeded)
             return done(r);
           request_step<bool>(self, local(self, identity::identity_name), timeout,
                              caf::make_message(identity::set_client_atom::value, user_id, client_id),
                              succeeded<bool>, done);
         });
     },
     nullptr, false});
  d.steps.push_back(
    {"billing create account",
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       auto account_id = text(c.input, "client_id");
       request_step<billing::account>(
         self, local(self, topology::shard_region_name), timeout,
         caf::make_message(topology::route_atom::value, billing::accounts_name, topology::key_of(account_id),
                           topology::entity_message(account_id, caf::make_message(billing::open_atom::value,
                                                                                  text(c.context, "user_id"), c.key))),
         succeeded<billing::account>, done);
     },
     nullptr, false});
  d.steps.push_back(
    {"notify",
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       json data{{"clientId", text(c.input, "client_id")},   {"login", text(c.input, "login")},
                 {"firstName", text(c.input, "first_name")}, {"lastName", text(c.input, "last_name")},
                 {"email", text(c.input, "email")}};
       notifications::notification n{0, c.key, text(c.context, "user_id"), "newClientCreated", data.dump(), 0};
       request_step<std::int64_t>(self, local(self, notifications::notifications_name), timeout,
                                  caf::make_message(notifications::notify_atom::value, n), succeeded<std::int64_t>,
                                  done);
     },
     nullptr, false});
  return d;
}

definitions all_definitions(const node_config& cfg) {
  definitions out;
  for (auto d : {registration_saga(cfg), order_saga(cfg)})
    out.emplace(d.type, d);
  return out;
}

} // namespace troupe::saga
