#include "actors/saga/definitions.hpp"

#include <caf/all.hpp>

#include "actors/billing/messages.hpp"
#include "actors/clients/messages.hpp"
#include "actors/notifications/messages.hpp"
#include "actors/orders/messages.hpp"
#include "topology/entity_host.hpp"
#include "topology/placement.hpp"
#include "topology/shard_region.hpp"

namespace troupe::saga {
using json = nlohmann::json;

saga_definition order_saga(const node_config& cfg) {
  auto timeout = cfg.saga.step_timeout;
  saga_definition d{"order", {}};
  d.steps.push_back(
    {"order create",
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       orders::order o{text(c.input, "order_id"), text(c.input, "client_id"), text(c.input, "user_id"),
                       c.input.value("sum", std::int64_t{0}), "pending", 0};
       request_step<orders::order>(self, local(self, orders::orders_name), timeout,
                                   caf::make_message(caf::add_atom::value, o), succeeded<orders::order>, done);
     },
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       request_step<orders::order>(self, local(self, orders::orders_name), timeout,
                                   caf::make_message(orders::reject_atom::value, text(c.input, "order_id")),
                                   succeeded<orders::order>, done);
     },
     false});
  d.steps.push_back(
    {"billing withdraw",
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       auto account_id = text(c.input, "client_id");
       auto sum = c.input.value("sum", std::int64_t{0});
       request_step<billing::operation>(
         self, local(self, topology::shard_region_name), timeout,
         caf::make_message(topology::route_atom::value, billing::accounts_name, topology::key_of(account_id),
                           topology::entity_message(account_id, caf::make_message(billing::withdraw_atom::value,
                                                                                  c.key, sum, std::string{}))),
         [](billing::operation& op) {
           if (op.outcome == "refused")
             return step_reply{step_result::failed,
                               "insufficient funds: the balance is " + std::to_string(op.balance_after) +
                                 ", the order needs " + std::to_string(op.requested),
                               json::object()};
           return step_reply{step_result::succeeded, {}, {{"balance_after", op.balance_after}}};
         },
         done);
     },
     nullptr, true});
  d.steps.push_back(
    {"order confirm",
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       request_step<orders::order>(self, local(self, orders::orders_name), timeout,
                                   caf::make_message(orders::confirm_atom::value, text(c.input, "order_id")),
                                   succeeded<orders::order>, done);
     },
     nullptr, false});
  d.steps.push_back(
    {"notify",
     [timeout](caf::event_based_actor* self, const step_call& c, std::function<void(step_reply)> done) {
       request_step<clients::client>(
         self, local(self, clients::clients_name), timeout,
         caf::make_message(caf::get_atom::value, text(c.input, "client_id")),
         [](clients::client& cl) {
           return step_reply{step_result::succeeded,
                             {},
                             {{"client", {{"firstName", cl.first_name}, {"lastName", cl.last_name}, {"email", cl.email}}}}};
         },
         [=](step_reply r) {
           if (r.result != step_result::succeeded)
             return done(r);
           json data{{"orderId", text(c.input, "order_id")},
                     {"sum", c.input.value("sum", std::int64_t{0})},
                     {"client", r.context["client"]}};
           notifications::notification n{0, c.key, text(c.input, "user_id"), "newOrderCreated", data.dump(), 0};
           request_step<std::int64_t>(self, local(self, notifications::notifications_name), timeout,
                                      caf::make_message(notifications::notify_atom::value, n),
                                      succeeded<std::int64_t>, done);
         });
     },
     nullptr, false});
  return d;
}

} // namespace troupe::saga
