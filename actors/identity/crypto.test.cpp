#include "actors/identity/crypto.hpp"

#include <set>

#include <catch2/catch.hpp>

using namespace troupe::identity;

TEST_CASE("base64url has no padding and reads back what it wrote", "[identity]") {
  CHECK(crypto::base64url("") == "");
  CHECK(crypto::base64url("f") == "Zg");
  CHECK(crypto::base64url("fo") == "Zm8");
  CHECK(crypto::base64url("foo") == "Zm9v");
  CHECK(crypto::base64url("\xfb\xff") == "-_8");
  for (std::string s : {std::string(), std::string("f"), std::string("fooba"), std::string("foobar"),
                        std::string("\xfb\xff\x00\x01", 4)})
    CHECK(crypto::from_base64url(crypto::base64url(s)) == s);
}

TEST_CASE("base64url refuses padding, the standard alphabet and stray bits", "[identity]") {
  CHECK_FALSE(crypto::from_base64url("Zg=="));
  CHECK_FALSE(crypto::from_base64url("+/8"));
  CHECK_FALSE(crypto::from_base64url("Zh")); // "Zg" with a non-zero leftover bit
  CHECK_FALSE(crypto::from_base64url("Z"));
  CHECK_FALSE(crypto::from_base64url("Zm9v "));
}

TEST_CASE("SHA-256 is lower-case hex", "[identity]") {
  CHECK(crypto::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("HMAC-SHA-256 matches RFC 4231 with a key of any length", "[identity]") {
  // RFC 4231 test case 2, and test case 6 (a 131-byte key).
  CHECK(crypto::hmac_sha256("Jefe", "what do ya want for nothing?") ==
        std::string("\x5b\xdc\xc1\x46\xbf\x60\x75\x4e\x6a\x04\x24\x26\x08\x95\x75\xc7"
                    "\x5a\x00\x3f\x08\x9d\x27\x39\x83\x9d\xec\x58\xb9\x64\xec\x38\x43",
                    32));
  CHECK(crypto::hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        std::string("\x60\xe4\x31\x59\x1e\xe0\xb6\x7f\x0d\x8a\x26\xaa\xcb\xf5\xb7\x7f"
                    "\x8e\x0b\xc6\x21\x37\x28\xc5\x14\x05\x46\x04\x0f\x0e\xe3\x7f\x54",
                    32));
}

TEST_CASE("random tokens are base64url of the bytes asked for, and differ", "[identity]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto t = crypto::random_token(32);
    CHECK(t.size() == 43);
    CHECK(crypto::from_base64url(t)->size() == 32);
    seen.insert(t);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("constant-time comparison compares length and content", "[identity]") {
  CHECK(crypto::equal_in_constant_time("abc", "abc"));
  CHECK_FALSE(crypto::equal_in_constant_time("abc", "abd"));
  CHECK_FALSE(crypto::equal_in_constant_time("abc", "abcd"));
  CHECK(crypto::equal_in_constant_time("", ""));
}
