#pragma once

#include <string>

#include <caf/fwd.hpp>
#include <nlohmann/json.hpp>

#include "actors/saga/messages.hpp"
#include "http/routes.hpp"

namespace troupe::http {

// GET /api/v1/sagas/{id} and GET /api/v1/sagas?state=..., for admins.
void add_saga_routes(router& r, const edge_services& s);

// A saga as the API shows it; its input without secrets (password hashes);
// "steps" only when `v` holds them (not in lists).
nlohmann::json to_json(const saga::saga_view& v);

// Starts saga `type` with `input` under `id` (or joins the one under that
// id) and hands `done` the saga once it has finished.
void run_saga(const edge_services& s, const std::string& id, const std::string& type, const nlohmann::json& input,
              std::function<void(caf::expected<saga::saga_view>)> done);

} // namespace troupe::http
