#include "runtime/uuid.hpp"

#include <cstdint>

#include <sodium.h>

namespace troupe {

std::string new_uuid() {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  std::uint8_t b[16];
  randombytes_buf(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40; // version 4
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 0xf];
  }
  return out;
}

} // namespace troupe
