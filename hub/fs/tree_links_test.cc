#include "hub/fs/tree_links.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace hub {
namespace {

LinkEscape Resolve(const std::map<std::string, std::string>& links, const std::string& link) {
  return ResolveTreeLink(link, links.at(link), [&](const std::string& path) -> const std::string* {
    auto it = links.find(path);
    return it == links.end() ? nullptr : &it->second;
  });
}

TEST(ResolveTreeLinkTest, InsideLinksAreFine) {
  const std::map<std::string, std::string> links = {
      {"a/up", ".."}, {"a/self", "./x"}, {"b/c/peer", "../../a/x"}, {"chain", "a/up/a/x"}};
  EXPECT_EQ(Resolve(links, "a/up"), LinkEscape::kNone);
  EXPECT_EQ(Resolve(links, "a/self"), LinkEscape::kNone);
  EXPECT_EQ(Resolve(links, "b/c/peer"), LinkEscape::kNone);
  EXPECT_EQ(Resolve(links, "chain"), LinkEscape::kNone);
}

TEST(ResolveTreeLinkTest, EscapesAreNamed) {
  const std::map<std::string, std::string> links = {
      {"empty", ""},          {"abs", "/etc"},     {"out", "../x"},      {"sub/up", ".."},
      {"climb", "sub/up/.."}, {"to_abs", "abs/x"}, {"loop_a", "loop_b"}, {"loop_b", "loop_a"}};
  EXPECT_EQ(Resolve(links, "empty"), LinkEscape::kNoTarget);
  EXPECT_EQ(Resolve(links, "abs"), LinkEscape::kAbsolute);
  EXPECT_EQ(Resolve(links, "out"), LinkEscape::kOutside);
  // Each step looks harmless; together they leave the root.
  EXPECT_EQ(Resolve(links, "climb"), LinkEscape::kOutside);
  EXPECT_EQ(Resolve(links, "to_abs"), LinkEscape::kAbsolute);
  EXPECT_EQ(Resolve(links, "loop_a"), LinkEscape::kLoop);
}

}  // namespace
}  // namespace hub
