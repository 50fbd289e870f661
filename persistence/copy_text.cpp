#include "persistence/copy_text.hpp"

#include <charconv>
#include <cmath>
#include <ctime>

namespace troupe::persistence::copy_text {

void append_field(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2)
      return 0;
  if (n == 2 && b < 0xC2)
    return 0; // overlong
  if (n == 3) {
    auto b1 = static_cast<unsigned char>(s[i + 1]);
    if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 >= 0xA0))
      return 0; // overlong or a surrogate
  }
  if (n == 4) {
    auto b1 = static_cast<unsigned char>(s[i + 1]);
    if ((b == 0xF0 && b1 < 0x90) || b > 0xF4 || (b == 0xF4 && b1 >= 0x90))
      return 0;
  }
  return n;
}

} // namespace

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (auto n = s[i] != 0 ? utf8_length(s, i) : 0; n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      // jsonb refuses \u0000, so NUL becomes U+FFFD like other bad bytes.
      if (c == 0)
        out += "\xEF\xBF\xBD";
      else
        out += {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      ++i;
    } else if (auto n = utf8_length(s, i); n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out += '"';
}

void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "Infinity" : "-Infinity";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
  }
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_timestamp(std::string& out, std::int64_t epoch_ms) {
  auto secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  auto n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  n += std::snprintf(buf + n, sizeof buf - n, ".%03d+00", static_cast<int>(epoch_ms % 1000));
  out.append(buf, n);
}

} // namespace troupe::persistence::copy_text
