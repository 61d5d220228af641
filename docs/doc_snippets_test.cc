// The documentation's C++ blocks (readme_snippets.cc and
// libraries_snippets.cc, generated from README.md and docs/libraries.md by
// docs/doc_snippets.sh, one file per page) compile and link: that is the
// check, done by building this test. They are not run: they fetch from
// GitHub.
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace doc_snippets {
extern const std::vector<absl::Status (*)()> kReadmeSnippets;
extern const std::vector<absl::Status (*)()> kLibrariesSnippets;
}  // namespace doc_snippets

namespace {

TEST(DocSnippetsTest, EveryPageWithCppIsCompiledIn) {
  // README's API section; docs/libraries.md's "The libraries directly".
  EXPECT_EQ(doc_snippets::kReadmeSnippets.size(), 1u);
  EXPECT_EQ(doc_snippets::kLibrariesSnippets.size(), 1u);
}

}  // namespace
