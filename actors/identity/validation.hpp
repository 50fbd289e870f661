#pragma once

#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "actors/identity/messages.hpp"

// What identity accepts from a client. Each refusal is
// errc::invalid_argument with a message that starts with the field's name.
namespace troupe::identity {

// login: 3 to 64 characters, no spaces or control characters; first_name,
// last_name: 1 to 100 characters; email: at most 254 characters, something
// on both sides of an '@'; role: empty, "user" or "admin"; created_by: at
// most 200 bytes. Every string valid UTF-8 without NUL.
caf::error validate(const new_user& u);

// 8 to 256 bytes of valid UTF-8; `field` names it in the message.
caf::error validate_password(std::string_view password, const std::string& field = "password");

// Valid UTF-8 with no NUL (which PostgreSQL's TEXT cannot hold); the
// number of code points, or -1.
long utf8_length(std::string_view s);

} // namespace troupe::identity
