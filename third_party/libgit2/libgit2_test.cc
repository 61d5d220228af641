// Proves Debian's libgit2 links and runs: it opens a repository this test
// makes with the git CLI and reads its HEAD commit.
#include <git2.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace {

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

TEST(Libgit2Test, OpensRepositoryMadeByGitCli) {
  const std::string dir = TempDir() + "/repo";
  const std::string git = "git -C " + dir +
                          " -c user.name=t -c user.email=t@example.com"
                          " -c init.defaultBranch=main ";
  ASSERT_EQ(std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  ASSERT_EQ(std::system((git + "init -q").c_str()), 0);
  std::ofstream(dir + "/hubconf.py") << "dependencies = []\n";
  ASSERT_EQ(std::system((git + "add hubconf.py").c_str()), 0);
  ASSERT_EQ(std::system((git + "commit -q -m first").c_str()), 0);

  ASSERT_GE(git_libgit2_init(), 1);
  git_repository* repo = nullptr;
  ASSERT_EQ(git_repository_open(&repo, dir.c_str()), 0) << git_error_last()->message;
  git_reference* head = nullptr;
  ASSERT_EQ(git_repository_head(&head, repo), 0);
  EXPECT_STREQ(git_reference_shorthand(head), "main");
  git_commit* commit = nullptr;
  ASSERT_EQ(git_commit_lookup(&commit, repo, git_reference_target(head)), 0);
  EXPECT_STREQ(git_commit_message(commit), "first\n");
  git_commit_free(commit);
  git_reference_free(head);
  git_repository_free(repo);
  git_libgit2_shutdown();
}

}  // namespace
