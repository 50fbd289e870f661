#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "http/routes.hpp"

// The edge authenticates a request once, before its handler: the handler
// reads the caller from request::user_id, client_id, role and session_id.
namespace troupe::http {

// Wraps `inner` so that it runs only for a caller the identity actor
// accepts, from `Authorization: Bearer <jwt>` or else the `session` cookie.
// No credentials, or bad ones: 401 with `WWW-Authenticate: Bearer`. A
// `required_role` other than the caller's: 403; an admin passes every role.
handler authenticated(const edge_services& s, handler inner, std::string required_role = "");

// The value of cookie `name` in a Cookie header (RFC 6265 §4.2:
// `a=1; b="2"`), its quotes removed; nothing when it is absent.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// The token of an `Authorization: Bearer <token>` header (scheme in any
// case); nothing for another scheme or no token.
std::optional<std::string> bearer_token(std::string_view authorization);

// The Set-Cookie value of a session: a cookie scripts cannot read, sent
// back on same-site requests and top-level navigations only; an empty
// token and ttl 0 clear it.
std::string session_cookie(const std::string& token, milliseconds ttl);

} // namespace troupe::http
