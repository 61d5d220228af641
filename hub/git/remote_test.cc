#include "hub/git/remote.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/git_cli.h"
#include "tests/servers/nginx_server.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

namespace fs = std::filesystem;
using ::hub::testing::Git;
using ::hub::testing::ReadTestFile;
using ::hub::testing::StatusIs;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

// --- helpers ------------------------------------------------------------------

// Runs git with a fixed identity in `dir`; fails the test on a non-zero exit.
// Every entry under `root`: relative path -> "dir", "link -> target" or
// "file[ +x]: contents". Links are not followed.
std::map<std::string, std::string> Describe(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    const std::string rel = e.path().lexically_relative(root).string();
    const fs::file_status st = e.symlink_status();
    if (fs::is_symlink(st)) {
      out[rel] = "link -> " + fs::read_symlink(e.path()).string();
    } else if (fs::is_directory(st)) {
      out[rel] = "dir";
    } else {
      const bool exec = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
      out[rel] = absl::StrCat("file", exec ? " +x" : "", ": ", ReadTestFile(e.path().string()));
    }
  }
  return out;
}

// What `git archive <ref>` of `repo` unpacks to.
std::map<std::string, std::string> ArchiveOf(const std::string& repo, const std::string& ref,
                                             const std::string& work) {
  const std::string tar = work + "/archive.tar";
  const std::string dir = work + "/archive";
  fs::create_directories(dir);
  Git(repo, {"archive", "--format=tar", "-o", tar, ref});
  absl::StatusOr<hub::testing::CommandResult> r =
      hub::testing::RunCommand({"tar", "-xf", tar, "-C", dir});
  EXPECT_TRUE(r.ok() && r->exit_code == 0) << (r.ok() ? r->output : r.status().ToString());
  return Describe(dir);
}

bool IsEmptyDir(const std::string& dir) { return fs::is_empty(dir); }

// --- the shared repository -------------------------------------------------------

// One repository for the whole suite, made with the git CLI:
//   main:    README.md, run.sh (+x), dir/sub/file.txt, link -> README.md,
//            dirlink -> dir/sub, vendor/sub (a submodule), README changed
//   feature: main + feature-only.txt
//   tags:    v1 (annotated, at the first commit), v1-light (lightweight, same),
//            same (lightweight, first commit); branch `same` at main
// served as the bare clone <root>/repo.git.
class GitRemoteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (root_ != nullptr) return;  // made once for the suites that share it
    absl::StatusOr<std::string> root = hub::testing::MakeTempDir("git_remote");
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = new std::string(*root);
    const std::string src = *root_ + "/src";
    fs::create_directories(src);
    Git(src, {"init", "-q"});
    WriteTestFile(src + "/README.md", "hello\n");
    WriteTestFile(src + "/run.sh", "#!/bin/sh\necho run\n");
    fs::permissions(src + "/run.sh", fs::perms::owner_all | fs::perms::group_read |
                                         fs::perms::group_exec | fs::perms::others_read |
                                         fs::perms::others_exec);
    WriteTestFile(src + "/dir/sub/file.txt", "nested\n");
    fs::create_symlink("README.md", src + "/link");
    fs::create_symlink("dir/sub", src + "/dirlink");
    Git(src, {"add", "-A"});
    Git(src, {"commit", "-q", "-m", "one"});
    first_ = new std::string(Git(src, {"rev-parse", "HEAD"}));
    Git(src, {"tag", "-a", "v1", "-m", "annotated"});
    Git(src, {"tag", "v1-light"});
    Git(src, {"tag", "same"});
    WriteTestFile(src + "/README.md", "hello again\n");
    Git(src, {"update-index", "--add", "--cacheinfo", "160000," + *first_ + ",vendor/sub"});
    Git(src, {"add", "README.md"});
    Git(src, {"commit", "-q", "-m", "two"});
    main_ = new std::string(Git(src, {"rev-parse", "HEAD"}));
    Git(src, {"branch", "same"});
    Git(src, {"checkout", "-q", "-b", "feature"});
    WriteTestFile(src + "/feature-only.txt", "only here\n");
    Git(src, {"add", "feature-only.txt"});
    Git(src, {"commit", "-q", "-m", "three"});
    feature_ = new std::string(Git(src, {"rev-parse", "HEAD"}));
    Git(src, {"checkout", "-q", "main"});
    Git(*root_, {"clone", "-q", "--bare", src, "repo.git"});
  }

  static std::string Repo() { return *root_ + "/repo.git"; }
  static std::string Url() { return "file://" + Repo(); }

  static std::string* root_;
  static std::string* first_;
  static std::string* main_;
  static std::string* feature_;
};

std::string* GitRemoteTest::root_ = nullptr;
std::string* GitRemoteTest::first_ = nullptr;
std::string* GitRemoteTest::main_ = nullptr;
std::string* GitRemoteTest::feature_ = nullptr;

const RemoteRef* FindRef(const std::vector<RemoteRef>& refs, const std::string& name) {
  for (const RemoteRef& r : refs) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

// --- LsRemote ---------------------------------------------------------------------

TEST_F(GitRemoteTest, LsRemoteListsHeadBranchesAndTags) {
  HUB_ASSERT_OK_AND_ASSIGN(std::vector<RemoteRef> refs, LsRemote(Url()));
  std::vector<std::string> names;
  names.reserve(refs.size());
  for (const RemoteRef& r : refs) names.push_back(r.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre(
                         "HEAD", "refs/heads/main", "refs/heads/feature", "refs/heads/same",
                         "refs/tags/v1", "refs/tags/v1-light", "refs/tags/same"));
  const RemoteRef* head = FindRef(refs, "HEAD");
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->oid, *main_);
  EXPECT_EQ(head->symref_target, "refs/heads/main");
  EXPECT_EQ(FindRef(refs, "refs/heads/main")->oid, *main_);
  EXPECT_EQ(FindRef(refs, "refs/heads/main")->peeled_oid, "");
  EXPECT_EQ(FindRef(refs, "refs/heads/feature")->oid, *feature_);
  const RemoteRef* v1 = FindRef(refs, "refs/tags/v1");
  EXPECT_EQ(v1->oid, Git(Repo(), {"rev-parse", "refs/tags/v1"}));
  EXPECT_NE(v1->oid, *first_);  // the tag object
  EXPECT_EQ(v1->peeled_oid, *first_);
  EXPECT_EQ(FindRef(refs, "refs/tags/v1-light")->oid, *first_);
  EXPECT_EQ(FindRef(refs, "refs/tags/v1-light")->peeled_oid, "");
}

TEST_F(GitRemoteTest, LsRemoteOfMissingRepositoryIsNotFound) {
  const std::string url = "file://" + *root_ + "/no-such-repo.git";
  EXPECT_THAT(LsRemote(url), StatusIs(absl::StatusCode::kNotFound, HasSubstr(url)));
}

// A loopback port that accepts connections and closes each at once,
// counting them: how many times a client tried, with no clock involved.
class ClosingListener {
 public:
  ClosingListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd_, 16) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "ClosingListener: " << std::strerror(errno);
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        const int c = accept(fd_, nullptr, nullptr);
        if (c < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          return;  // shut down
        }
        accepted_.fetch_add(1);
        close(c);
      }
    });
  }
  ~ClosingListener() {
    if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);  // wakes accept()
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  ClosingListener(const ClosingListener&) = delete;
  ClosingListener& operator=(const ClosingListener&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Nothing listens: refused at once, no retry. (No time bound: a call that
// hung would be caught by the test's own timeout; the attempt count below
// shows there is no retry loop.)
TEST_F(GitRemoteTest, UnreachableRemoteIsUnavailable) {
  absl::StatusOr<int> port = hub::testing::PickFreePort();  // closed again: nothing listens
  ASSERT_TRUE(port.ok());
  const std::string url = absl::StrCat("git://127.0.0.1:", *port, "/repo.git");
  EXPECT_THAT(LsRemote(url), StatusIs(absl::StatusCode::kUnavailable, HasSubstr(url)));
  const std::string dest = hub::testing::TestDir("out") + "/tree";
  const std::string scratch = hub::testing::TestDir("scratch");
  ResolvedRef ref{"branch", "refs/heads/main", *main_, "refs/heads/main"};
  EXPECT_THAT(FetchTree(url, ref, dest, scratch),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(url)));
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_TRUE(IsEmptyDir(scratch));
}

// A remote that drops every connection: one connection per call, not a
// retry loop; nothing is left behind.
TEST_F(GitRemoteTest, DroppedConnectionIsUnavailableAfterOneAttempt) {
  ClosingListener listener;
  ASSERT_GT(listener.port(), 0);
  const std::string url = absl::StrCat("git://127.0.0.1:", listener.port(), "/repo.git");
  EXPECT_THAT(LsRemote(url), StatusIs(absl::StatusCode::kUnavailable, HasSubstr(url)));
  EXPECT_EQ(listener.accepted(), 1);
  const std::string dest = hub::testing::TestDir("out") + "/tree";
  const std::string scratch = hub::testing::TestDir("scratch");
  ResolvedRef ref{"branch", "refs/heads/main", *main_, "refs/heads/main"};
  EXPECT_THAT(FetchTree(url, ref, dest, scratch),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(url)));
  EXPECT_EQ(listener.accepted(), 2);
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_TRUE(IsEmptyDir(scratch));
}

// --- ResolveRef -------------------------------------------------------------------

class ResolveRefTest : public ::testing::Test {
 protected:
  const std::string a_ = std::string(40, 'a');
  const std::string b_ = "b" + std::string(39, '1');
  const std::string c_ = "bbbb" + std::string(36, '2');
  const std::string tag_object_ = std::string(40, 'f');
  const std::vector<RemoteRef> refs_ = {
      {"HEAD", a_, "", "refs/heads/main"},
      {"refs/heads/main", a_, "", ""},
      {"refs/heads/dev", b_, "", ""},
      {"refs/heads/same", a_, "", ""},
      {"refs/tags/same", b_, "", ""},
      {"refs/tags/v1", tag_object_, c_, ""},
      {"refs/tags/light", b_, "", ""},
      {"refs/heads/abcd", b_, "", ""},  // a branch whose name looks like a prefix
  };
  const std::string url_ = "https://github.com/o/r";
};

TEST_F(ResolveRefTest, Branch) {
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef r, ResolveRef(refs_, "dev", url_));
  EXPECT_EQ(r.kind, "branch");
  EXPECT_EQ(r.full_name, "refs/heads/dev");
  EXPECT_EQ(r.commit, b_);
  EXPECT_EQ(r.fetch_ref, "refs/heads/dev");
  EXPECT_FALSE(r.ambiguous);
}

TEST_F(ResolveRefTest, LightweightTag) {
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef r, ResolveRef(refs_, "light", url_));
  EXPECT_EQ(r.kind, "tag");
  EXPECT_EQ(r.full_name, "refs/tags/light");
  EXPECT_EQ(r.commit, b_);
}

TEST_F(ResolveRefTest, AnnotatedTagIsPeeled) {
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef r, ResolveRef(refs_, "v1", url_));
  EXPECT_EQ(r.kind, "tag");
  EXPECT_EQ(r.commit, c_);
  EXPECT_EQ(r.fetch_ref, "refs/tags/v1");
}

TEST_F(ResolveRefTest, FullNames) {
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef branch, ResolveRef(refs_, "refs/heads/same", url_));
  EXPECT_EQ(branch.kind, "branch");
  EXPECT_EQ(branch.commit, a_);
  EXPECT_FALSE(branch.ambiguous);
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef tag, ResolveRef(refs_, "refs/tags/same", url_));
  EXPECT_EQ(tag.kind, "tag");
  EXPECT_EQ(tag.commit, b_);
  EXPECT_THAT(ResolveRef(refs_, "refs/heads/nope", url_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Cannot find refs/heads/nope")));
}

TEST_F(ResolveRefTest, BranchWinsOverTagOfTheSameName) {
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef r, ResolveRef(refs_, "same", url_));
  EXPECT_EQ(r.kind, "branch");
  EXPECT_EQ(r.full_name, "refs/heads/same");
  EXPECT_EQ(r.commit, a_);
  EXPECT_TRUE(r.ambiguous);
}

TEST_F(ResolveRefTest, CommitPrefixOfAHead) {
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef r, ResolveRef(refs_, "aaaaaaa", url_));
  EXPECT_EQ(r.kind, "commit");
  EXPECT_EQ(r.full_name, "");
  EXPECT_EQ(r.commit, a_);
  EXPECT_EQ(r.fetch_ref, "refs/heads/main");
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef full, ResolveRef(refs_, a_, url_));
  EXPECT_EQ(full.commit, a_);
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef upper, ResolveRef(refs_, "AAAA", url_));
  EXPECT_EQ(upper.commit, a_);
  // An annotated tag's commit counts, its tag object doesn't.
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef peeled, ResolveRef(refs_, "bbbb2", url_));
  EXPECT_EQ(peeled.commit, c_);
  EXPECT_EQ(peeled.fetch_ref, "refs/tags/v1");
  EXPECT_THAT(ResolveRef(refs_, "ffff", url_), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ResolveRefTest, BranchNameThatLooksLikeAPrefixIsTheBranch) {
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef r, ResolveRef(refs_, "abcd", url_));
  EXPECT_EQ(r.kind, "branch");
  EXPECT_EQ(r.commit, b_);
}

TEST_F(ResolveRefTest, AmbiguousPrefixIsRefused) {
  // Refs that name the same commit are no ambiguity.
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef same, ResolveRef(refs_, "b111", url_));
  EXPECT_EQ(same.commit, b_);
  const std::vector<RemoteRef> two = {{"refs/heads/x", "1234" + std::string(36, '5'), "", ""},
                                      {"refs/heads/y", "1234" + std::string(36, '6'), "", ""}};
  EXPECT_THAT(ResolveRef(two, "1234", url_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("ambiguous"), HasSubstr("refs/heads/x"),
                             HasSubstr("refs/heads/y"))));
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef r, ResolveRef(two, "123455", url_));
  EXPECT_EQ(r.fetch_ref, "refs/heads/x");
}

TEST_F(ResolveRefTest, MissingRefHasTorchHubsText) {
  EXPECT_THAT(ResolveRef(refs_, "nope", url_),
              StatusIs(absl::StatusCode::kNotFound,
                       "Cannot find nope in https://github.com/o/r. If it's a commit from a "
                       "forked repo, please call hub.load() with forked repo directly."));
  EXPECT_THAT(ResolveRef(refs_, "", url_), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ResolveRef(refs_, "HEAD", url_), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ResolveRefTest, TooShortPrefixIsNotFound) {
  EXPECT_THAT(ResolveRef(refs_, "aaa", url_),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("Cannot find aaa"), HasSubstr("at least 4 hex digits"))));
}

TEST_F(GitRemoteTest, ResolveRefAgainstARealRemote) {
  HUB_ASSERT_OK_AND_ASSIGN(std::vector<RemoteRef> refs, LsRemote(Url()));
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef v1, ResolveRef(refs, "v1", Url()));
  EXPECT_EQ(v1.commit, *first_);
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef same, ResolveRef(refs, "same", Url()));
  EXPECT_EQ(same.kind, "branch");
  EXPECT_EQ(same.commit, *main_);
  EXPECT_TRUE(same.ambiguous);
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef prefix, ResolveRef(refs, feature_->substr(0, 8), Url()));
  EXPECT_EQ(prefix.commit, *feature_);
  EXPECT_EQ(prefix.fetch_ref, "refs/heads/feature");
}

// --- FetchTree --------------------------------------------------------------------

class FetchTreeTest : public GitRemoteTest {
 protected:
  void SetUp() override {
    out_ = hub::testing::TestDir("out");
    scratch_ = hub::testing::TestDir("scratch");
    work_ = hub::testing::TestDir("work");
    dest_ = out_ + "/tree";
  }

  // Resolves `ref` at Url(), fetches it and checks the result against `git archive`.
  void FetchAndCompare(const std::string& ref, const std::string& expected_commit) {
    HUB_ASSERT_OK_AND_ASSIGN(std::vector<RemoteRef> refs, LsRemote(Url()));
    HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef resolved, ResolveRef(refs, ref, Url()));
    HUB_ASSERT_OK_AND_ASSIGN(std::string sha, FetchTree(Url(), resolved, dest_, scratch_));
    EXPECT_EQ(sha, expected_commit);
    const std::map<std::string, std::string> got = Describe(dest_);
    EXPECT_EQ(got, ArchiveOf(Repo(), expected_commit, work_));
    EXPECT_FALSE(got.count(".git"));
    EXPECT_TRUE(IsEmptyDir(scratch_));
    EXPECT_EQ(std::distance(fs::directory_iterator(out_), fs::directory_iterator()),
              1);  // no staging directory left
  }

  std::string out_, scratch_, work_, dest_;
};

TEST_F(FetchTreeTest, BranchMatchesGitArchive) {
  FetchAndCompare("main", *main_);
  const std::map<std::string, std::string> got = Describe(dest_);
  EXPECT_EQ(got.at("run.sh"), "file +x: #!/bin/sh\necho run\n");
  EXPECT_EQ(got.at("README.md"), "file: hello again\n");
  EXPECT_EQ(got.at("link"), "link -> README.md");
  EXPECT_EQ(got.at("dirlink"), "link -> dir/sub");
  EXPECT_EQ(got.at("dir/sub/file.txt"), "file: nested\n");
  EXPECT_EQ(got.at("vendor/sub"), "dir");
  EXPECT_FALSE(got.count("feature-only.txt"));
}

TEST_F(FetchTreeTest, AnnotatedTagMatchesGitArchive) {
  FetchAndCompare("v1", *first_);
  EXPECT_EQ(Describe(dest_).at("README.md"), "file: hello\n");
}

TEST_F(FetchTreeTest, CommitPrefixMatchesGitArchive) {
  FetchAndCompare(feature_->substr(0, 7), *feature_);
  EXPECT_EQ(Describe(dest_).at("feature-only.txt"), "file: only here\n");
}

TEST_F(FetchTreeTest, ExistingDestinationIsAlreadyExists) {
  fs::create_directories(dest_);
  const ResolvedRef ref{"branch", "refs/heads/main", *main_, "refs/heads/main"};
  EXPECT_THAT(FetchTree(Url(), ref, dest_, scratch_),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr(dest_)));
  EXPECT_TRUE(IsEmptyDir(dest_));
  EXPECT_TRUE(IsEmptyDir(scratch_));
}

TEST_F(FetchTreeTest, MissingParentIsNotFound) {
  const ResolvedRef ref{"branch", "refs/heads/main", *main_, "refs/heads/main"};
  EXPECT_THAT(FetchTree(Url(), ref, out_ + "/no/tree", scratch_),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(FetchTree(Url(), ref, dest_, scratch_ + "/no"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(IsEmptyDir(out_));
}

TEST_F(FetchTreeTest, RefGoneFromRemoteIsNotFoundAndLeavesNothing) {
  const ResolvedRef ref{"branch", "refs/heads/gone", *main_, "refs/heads/gone"};
  EXPECT_THAT(FetchTree(Url(), ref, dest_, scratch_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("refs/heads/gone")));
  EXPECT_TRUE(IsEmptyDir(out_));
  EXPECT_TRUE(IsEmptyDir(scratch_));
}

TEST_F(FetchTreeTest, CommitNotInTheRefIsNotFound) {
  const ResolvedRef ref{"commit", "", *feature_, "refs/heads/main"};
  EXPECT_THAT(FetchTree(Url(), ref, dest_, scratch_), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(IsEmptyDir(out_));
  EXPECT_TRUE(IsEmptyDir(scratch_));
}

TEST_F(FetchTreeTest, BadRefsAreRefusedBeforeAnyWork) {
  for (const std::string bad : {"refs/heads/a:refs/heads/b", "main", "refs/heads/..", ""}) {
    const ResolvedRef ref{"branch", bad, *main_, bad};
    EXPECT_THAT(FetchTree(Url(), ref, dest_, scratch_),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  const ResolvedRef short_commit{"commit", "", "abcd", "refs/heads/main"};
  EXPECT_THAT(FetchTree(Url(), short_commit, dest_, scratch_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(IsEmptyDir(out_));
  EXPECT_TRUE(IsEmptyDir(scratch_));
}

// A repository whose only commit holds `links` (name -> target) and a file.
std::string MakeRepoWithLinks(const std::string& dir,
                              const std::vector<std::pair<std::string, std::string>>& links) {
  fs::create_directories(dir);
  Git(dir, {"init", "-q"});
  WriteTestFile(dir + "/file", "x\n");
  for (const auto& [name, target] : links) {
    fs::create_directories(fs::path(absl::StrCat(dir, "/", name)).parent_path());
    fs::create_symlink(target, absl::StrCat(dir, "/", name));
  }
  Git(dir, {"add", "-A"});
  Git(dir, {"commit", "-q", "-m", "links"});
  return "file://" + dir;
}

TEST_F(FetchTreeTest, EscapingSymlinksAreRefused) {
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>
      cases = {
          {"absolute", {{"evil", "/etc/passwd"}}},
          {"up", {{"evil", "../outside"}}},
          {"nested_up", {{"a/b/evil", "../../../x"}}},
          // Each link stays inside by itself; through `sub/up` the second doesn't.
          {"chained", {{"sub/up", ".."}, {"evil", "sub/up/../x"}}},
          {"loop", {{"l1", "l2"}, {"l2", "l1/x"}}},
      };
  for (const auto& [name, links] : cases) {
    const std::string url = MakeRepoWithLinks(work_ + "/" + name, links);
    const ResolvedRef ref{"branch", "refs/heads/main", "", "refs/heads/main"};
    EXPECT_THAT(FetchTree(url, ref, dest_, scratch_),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("symbolic link")))
        << name;
    EXPECT_TRUE(IsEmptyDir(out_)) << name;
    EXPECT_TRUE(IsEmptyDir(scratch_)) << name;
  }
}

// Git itself never commits a ".git" entry, but a hostile server can serve a
// tree that holds one (hooks, config); written out, it would make the cached
// repo a git repository of the server's choosing.
TEST_F(FetchTreeTest, ATreeWithADotGitEntryIsRefused) {
  const std::string dir = work_ + "/dot_git";
  fs::create_directories(dir);
  Git(dir, {"init", "-q"});
  WriteTestFile(dir + "/blob", "[core]\n\thooksPath = /tmp\n");
  const std::string blob = Git(dir, {"hash-object", "-w", "blob"});
  // A raw tree object: "MODE NAME\0" and the 20-byte id, entries sorted.
  const std::string id = absl::HexStringToBytes(blob);
  WriteTestFile(dir + "/tree", absl::StrCat("100644 .git", std::string(1, '\0'), id,
                                            "100644 hubconf.py", std::string(1, '\0'), id));
  const std::string tree = Git(dir, {"hash-object", "-t", "tree", "-w", "--literally", "tree"});
  const std::string commit = Git(dir, {"commit-tree", tree, "-m", "hostile"});
  Git(dir, {"update-ref", "refs/heads/main", commit});
  const ResolvedRef ref{"branch", "refs/heads/main", "", "refs/heads/main"};
  EXPECT_THAT(FetchTree("file://" + dir, ref, dest_, scratch_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("the tree holds an entry named \".git\"")));
  EXPECT_TRUE(IsEmptyDir(out_));
  EXPECT_TRUE(IsEmptyDir(scratch_));
}

TEST_F(FetchTreeTest, LinksThatStayInsideAreKept) {
  const std::string url = MakeRepoWithLinks(
      work_ + "/ok", {{"a/b/up", "../../file"}, {"a/dot", "."}, {"dangling", "nope"}});
  const ResolvedRef ref{"branch", "refs/heads/main", "", "refs/heads/main"};
  HUB_ASSERT_OK_AND_ASSIGN(std::string sha, FetchTree(url, ref, dest_, scratch_));
  EXPECT_EQ(sha, Git(work_ + "/ok", {"rev-parse", "HEAD"}));
  const std::map<std::string, std::string> got = Describe(dest_);
  EXPECT_EQ(got.at("a/b/up"), "link -> ../../file");
  EXPECT_EQ(got.at("a/dot"), "link -> .");
  EXPECT_EQ(got.at("dangling"), "link -> nope");
}

// --- git daemon -------------------------------------------------------------------

class GitDaemonTest : public FetchTreeTest {
 protected:
  void SetUp() override {
    FetchTreeTest::SetUp();
    absl::StatusOr<hub::testing::CommandResult> exec_path =
        hub::testing::RunCommand({"git", "--exec-path"}, {.separate_stderr = true});
    ASSERT_TRUE(exec_path.ok()) << exec_path.status();
    const std::string daemon =
        std::string(absl::StripTrailingAsciiWhitespace(exec_path->output)) + "/git-daemon";
    if (access(daemon.c_str(), X_OK) != 0) {
      GTEST_SKIP() << daemon << " is not installed (Debian's `git` package ships it)";
    }
    const std::string log = work_ + "/daemon.log";
    for (int attempt = 0; attempt < 5 && port_ < 0; ++attempt) {
      absl::StatusOr<int> port = hub::testing::PickFreePort();
      ASSERT_TRUE(port.ok());
      absl::StatusOr<pid_t> pid = hub::testing::StartProcess(
          {"git", "daemon", "--reuseaddr", "--base-path=" + *root_, "--export-all",
           "--listen=127.0.0.1", absl::StrCat("--port=", *port), *root_},
          log);
      ASSERT_TRUE(pid.ok()) << pid.status();
      pid_ = *pid;
      // No deadline: the daemon either listens or exits (say, the port was
      // taken meanwhile); a slow machine only waits longer.
      while (true) {
        if (hub::testing::CanConnectToLoopback(*port)) {
          port_ = *port;
          break;
        }
        if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        absl::SleepFor(absl::Milliseconds(10));
      }
      if (port_ < 0) StopDaemon();
    }
    ASSERT_GT(port_, 0) << "git daemon did not start:\n" << ReadTestFile(log);
  }

  void TearDown() override { StopDaemon(); }

  void StopDaemon() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string DaemonUrl(const std::string& path) const {
    return absl::StrCat("git://127.0.0.1:", port_, "/", path);
  }

  pid_t pid_ = -1;
  int port_ = -1;
};

TEST_F(GitDaemonTest, LsRemoteAndFetchTreeOverGitProtocol) {
  const std::string url = DaemonUrl("repo.git");
  HUB_ASSERT_OK_AND_ASSIGN(std::vector<RemoteRef> refs, LsRemote(url));
  EXPECT_THAT(refs, Contains(AllOf(Field(&RemoteRef::name, "HEAD"),
                                   Field(&RemoteRef::symref_target, "refs/heads/main"))));
  EXPECT_THAT(refs, Contains(AllOf(Field(&RemoteRef::name, "refs/tags/v1"),
                                   Field(&RemoteRef::peeled_oid, *first_))));
  EXPECT_THAT(refs, Contains(AllOf(Field(&RemoteRef::name, "refs/heads/main"),
                                   Field(&RemoteRef::oid, *main_))));
  HUB_ASSERT_OK_AND_ASSIGN(ResolvedRef ref, ResolveRef(refs, "feature", url));
  HUB_ASSERT_OK_AND_ASSIGN(std::string sha, FetchTree(url, ref, dest_, scratch_));
  EXPECT_EQ(sha, *feature_);
  EXPECT_EQ(Describe(dest_), ArchiveOf(Repo(), *feature_, work_));
  EXPECT_TRUE(IsEmptyDir(scratch_));
}

TEST_F(GitDaemonTest, MissingRepositoryIsNotFound) {
  const std::string url = DaemonUrl("nope.git");
  const absl::StatusOr<std::vector<RemoteRef>> refs = LsRemote(url);
  // git daemon answers "access denied or repository not exported".
  EXPECT_THAT(refs, StatusIs(absl::StatusCode::kNotFound, HasSubstr(url)));
}

TEST_F(GitDaemonTest, FetchPastTheTimeLimitIsDeadlineExceeded) {
  const std::string url = DaemonUrl("repo.git");
  const ResolvedRef ref{"branch", "refs/heads/main", *main_, "refs/heads/main"};
  EXPECT_THAT(FetchTree(url, ref, dest_, scratch_, {.timeout = absl::ZeroDuration()}),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr(url)));
  EXPECT_TRUE(IsEmptyDir(out_));
  EXPECT_TRUE(IsEmptyDir(scratch_));
}

// --- https ------------------------------------------------------------------------

// nginx serves a static smart-HTTP ref advertisement (what
// `git upload-pack --advertise-refs` answers for /info/refs), enough for
// LsRemote; a fetch would need git-http-backend.
TEST_F(GitRemoteTest, LsRemoteOverHttpsWithCaFile) {
  const std::string docroot = hub::testing::TestDir("docroot");
  absl::StatusOr<hub::testing::CommandResult> adv = hub::testing::RunCommand(
      {"git", "upload-pack", "--stateless-rpc", "--advertise-refs", Repo()},
      {.separate_stderr = true});
  ASSERT_TRUE(adv.ok() && adv->exit_code == 0);
  WriteTestFile(docroot + "/repo.git/info/refs",
                absl::StrCat("001e# service=git-upload-pack\n0000", adv->output));
  HUB_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<hub::testing::NginxServer> server,
      hub::testing::NginxServer::Start({.root = docroot,
                                        .extra_server_config =
                                            "location /repo.git/info/ { types { } default_type "
                                            "application/x-git-upload-pack-advertisement; }"}));
  // mbedTLS matches DNS names only, not IP addresses.
  const std::string base = absl::StrCat("https://localhost:", server->port());
  const std::string url = base + "/repo.git";
  const GitOptions trusting{.ca_file = server->ca_file()};

  HUB_ASSERT_OK_AND_ASSIGN(std::vector<RemoteRef> refs, LsRemote(url, trusting));
  EXPECT_THAT(refs, Contains(AllOf(Field(&RemoteRef::name, "refs/tags/v1"),
                                   Field(&RemoteRef::peeled_oid, *first_))));
  EXPECT_THAT(refs, Contains(AllOf(Field(&RemoteRef::name, "refs/heads/feature"),
                                   Field(&RemoteRef::oid, *feature_))));
  EXPECT_THAT(LsRemote(base + "/nope.git", trusting),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nope.git")));
  // Without the CA file the default trust store is back, and refuses it.
  EXPECT_THAT(LsRemote(url), StatusIs(absl::StatusCode::kUnavailable, HasSubstr(url)));
  EXPECT_THAT(LsRemote(url, {.ca_file = docroot + "/no-such-ca.pem"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no-such-ca.pem")));
}

// An https remote whose server redirects the ref advertisement to a plain
// http:// server that would answer it: refused, naming both URLs, and the
// http:// server is never asked.
TEST_F(GitRemoteTest, RedirectFromHttpsToHttpIsRefused) {
  const std::string docroot = hub::testing::TestDir("docroot_downgrade");
  absl::StatusOr<hub::testing::CommandResult> adv = hub::testing::RunCommand(
      {"git", "upload-pack", "--stateless-rpc", "--advertise-refs", Repo()},
      {.separate_stderr = true});
  ASSERT_TRUE(adv.ok() && adv->exit_code == 0);
  WriteTestFile(docroot + "/repo.git/info/refs",
                absl::StrCat("001e# service=git-upload-pack\n0000", adv->output));
  const std::string types =
      "location /repo.git/info/ { types { } default_type "
      "application/x-git-upload-pack-advertisement; }";
  HUB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<hub::testing::NginxServer> plain,
                           hub::testing::NginxServer::Start(
                               {.root = docroot, .tls = false, .extra_server_config = types}));
  const std::string target = absl::StrCat("http://localhost:", plain->port(),
                                          "/repo.git/info/refs?service=git-upload-pack");
  HUB_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<hub::testing::NginxServer> tls,
      hub::testing::NginxServer::Start(
          {.root = docroot,
           .extra_server_config = absl::StrCat(
               "location /moved.git/ { return 302 ", target,
               "; } location /renamed.git/ { return 301 "
               "https://$host:$server_port/repo.git/info/refs?service=git-upload-pack; } ",
               types)}));
  // mbedTLS matches DNS names only, not IP addresses.
  const std::string url = absl::StrCat("https://localhost:", tls->port(), "/moved.git");
  const GitOptions trusting{.ca_file = tls->ca_file()};
  EXPECT_THAT(LsRemote(url, trusting),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(url), HasSubstr(target), HasSubstr("plain HTTP"))));
  const std::string dest = hub::testing::TestDir("downgrade_out") + "/tree";
  const ResolvedRef main_ref{.kind = "branch",
                             .full_name = "refs/heads/main",
                             .commit = *main_,
                             .fetch_ref = "refs/heads/main"};
  EXPECT_THAT(FetchTree(url, main_ref, dest, hub::testing::TestDir("downgrade_scratch"), trusting),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(url), HasSubstr(target), HasSubstr("plain HTTP"))));
  EXPECT_FALSE(fs::exists(dest));
  // Followed, the advertisement would have been fetched from the plain server.
  EXPECT_THAT(plain->ReadAccessLog(), Not(HasSubstr("info/refs")));
  // A redirect that stays on https:// is followed.
  HUB_ASSERT_OK_AND_ASSIGN(
      std::vector<RemoteRef> refs,
      LsRemote(absl::StrCat("https://localhost:", tls->port(), "/renamed.git"), trusting));
  EXPECT_THAT(refs, Contains(AllOf(Field(&RemoteRef::name, "refs/heads/feature"),
                                   Field(&RemoteRef::oid, *feature_))));
}

}  // namespace
}  // namespace hub
