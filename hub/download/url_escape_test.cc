#include "hub/download/url_escape.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace hub {
namespace {

struct Case {
  std::string input;
  std::string segment;  // EscapeUrlPathSegment
  std::string path;     // EscapeUrlPath
};

TEST(UrlEscapeTest, Table) {
  for (const Case& c : std::vector<Case>{
           {"v0.10.0", "v0.10.0", "v0.10.0"},
           {"main", "main", "main"},
           {"a-b_c.d~e", "a-b_c.d~e", "a-b_c.d~e"},
           {"release/1.0", "release%2F1.0", "release/1.0"},
           {"refs/heads/ci/test", "refs%2Fheads%2Fci%2Ftest", "refs/heads/ci/test"},
           {"fix#1", "fix%231", "fix%231"},
           {"50%", "50%25", "50%25"},
           {"%41", "%2541", "%2541"},
           {"what?x=1", "what%3Fx=1", "what%3Fx=1"},
           {"a b", "a%20b", "a%20b"},
           {"tab\there", "tab%09here", "tab%09here"},
           {std::string("nul\0x", 5), "nul%00x", "nul%00x"},
           {"del\x7f", "del%7F", "del%7F"},
           {"caf\xC3\xA9", "caf%C3%A9", "caf%C3%A9"},
           {"\xE2\x9C\x93/\xF0\x9F\x98\x80", "%E2%9C%93%2F%F0%9F%98%80", "%E2%9C%93/%F0%9F%98%80"},
           {"\xFF", "%FF", "%FF"},
           {"v1.0+cu118", "v1.0%2Bcu118", "v1.0%2Bcu118"},
           {"a;b", "a%3Bb", "a%3Bb"},
           {"back\\slash", "back%5Cslash", "back%5Cslash"},
           {"q\"<>[]{}|^`", "q%22%3C%3E%5B%5D%7B%7D%7C%5E%60", "q%22%3C%3E%5B%5D%7B%7D%7C%5E%60"},
           {"!$&'()*,=:@", "!$&'()*,=:@", "!$&'()*,=:@"},
           {"..", "%2E%2E", "%2E%2E"},
           {".", "%2E", "%2E"},
           {"a/../b", "a%2F..%2Fb", "a/%2E%2E/b"},
           {"./a", ".%2Fa", "%2E/a"},
           {"..a/.b", "..a%2F.b", "..a/.b"},
           {"", "", ""},
           {"/", "%2F", "/"},
           {"a//b/", "a%2F%2Fb%2F", "a//b/"},
       }) {
    EXPECT_EQ(EscapeUrlPathSegment(c.input), c.segment) << c.input;
    EXPECT_EQ(EscapeUrlPath(c.input), c.path) << c.input;
  }
}

TEST(UrlEscapeTest, EveryByteOutsideTheKeptSetIsEscaped) {
  const std::string kept =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*,=:@";
  for (int c = 0; c < 256; ++c) {
    const std::string byte(1, static_cast<char>(c));
    const std::string escaped = EscapeUrlPathSegment(byte + "x");  // "." alone is a dot segment
    if (kept.find(static_cast<char>(c)) != std::string::npos) {
      EXPECT_EQ(escaped, byte + "x") << c;
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      EXPECT_EQ(escaped, std::string({'%', kHex[c >> 4], kHex[c & 0xF], 'x'})) << c;
    }
  }
}

}  // namespace
}  // namespace hub
