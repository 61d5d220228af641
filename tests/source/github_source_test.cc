// GetCacheOrReload against a GitHub-shaped server on 127.0.0.1: zipballs made
// by `git archive` from repositories this test creates, API pages with
// pagination, the default-branch probe; then Python's torch.hub uses what we
// fetched, and we use what Python laid out.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/base/warnings.h"
#include "hub/cache/hub_dir.h"
#include "hub/fs/files.h"
#include "hub/inventory/prune.h"
#include "hub/source/source.h"
#include "tests/servers/fake_github.h"
#include "tests/servers/fault_server.h"
#include "tests/servers/git_cli.h"
#include "tests/servers/subprocess.h"

namespace hub {
namespace {

using ::hub::testing::CommandResult;
using ::hub::testing::FakeGithub;
using ::hub::testing::FaultServer;
using ::hub::testing::Git;
using ::hub::testing::IsOk;
using ::hub::testing::ListDir;
using ::hub::testing::ReadTestFile;
using ::hub::testing::RunCommand;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A GitHub lookalike served from `root_`: "{web}/{o}/{n}/zipball/{ref}",
// "{web}/{o}/{n}/tree/main/", "{web}/api/repos/{o}/{n}/{branches,tags}?...".
constexpr char kHubconf[] =
    "dependencies = []\n\ndef answer():\n    \"\"\"The answer.\"\"\"\n    return 42\n";

class GithubSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = TestDir("root_" + name);
    hub_dir_ = TestDir("hub_" + name);
    work_ = TestDir("work_" + name);
    absl::StatusOr<std::unique_ptr<FaultServer>> server = FaultServer::Start({.root = root_});
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
    SetDir(hub_dir_);
    options_.endpoints = FakeGithub::Endpoints(server_->base_url());
    options_.out = &out_;
    options_.err = &err_;
    options_.trust.mode = TrustMode::kTrue;
    options_.trust.use_environment = false;
    options_.download.sleep = [](absl::Duration) {};
    options_.http.sleep = [](absl::Duration) {};
  }
  void TearDown() override { ClearDir(); }

  // Makes repo `owner/name` with a hubconf and publishes `refs` as GitHub
  // would: zipballs, branch and tag API pages (branches padded with
  // `filler_branches` others so that pagination matters).
  std::string MakeRepo(const std::string& owner, const std::string& name,
                       const std::string& default_branch, const std::vector<std::string>& branches,
                       const std::vector<std::string>& tags, int filler_branches = 0) {
    const std::string repo = absl::StrCat(work_, "/", owner, "_", name);
    WriteTestFile(repo + "/hubconf.py", kHubconf);
    WriteTestFile(repo + "/pkg/__init__.py", "VALUE = 'v1'\n");
    Git(repo, {"init", "-q", "-b", default_branch});
    Git(repo, {"add", "."});
    Git(repo, {"commit", "-q", "-m", "first"});
    for (const std::string& b : branches) {
      if (b != default_branch) Git(repo, {"branch", b});
    }
    for (const std::string& t : tags) Git(repo, {"tag", t});
    std::string sha = Git(repo, {"rev-parse", "HEAD"});
    const std::string owner_name = absl::StrCat(owner, "/", name);
    FakeGithub github(root_);
    for (const std::string& b : branches) github.PublishArchive(repo, owner_name, b);
    for (const std::string& t : tags) github.PublishArchive(repo, owner_name, t);
    if (std::find(branches.begin(), branches.end(), "main") != branches.end()) {
      github.PublishMainBranchProbe(owner_name);
    }
    std::vector<FakeGithub::Head> all_branches, all_tags;
    all_branches.reserve(static_cast<size_t>(filler_branches) + branches.size());
    for (int i = 0; i < filler_branches; ++i)
      all_branches.emplace_back(absl::StrCat("filler", i), sha);
    for (const std::string& b : branches) all_branches.emplace_back(b, sha);
    for (const std::string& t : tags) all_tags.emplace_back(t, sha);
    github.PublishBranches(owner_name, all_branches);
    github.PublishTags(owner_name, all_tags);
    return sha;
  }

  // The requests that reached the server, recorded as they arrived (before
  // any answer): exact once the client's call has returned.
  std::vector<FaultServer::Request> Arrivals() {
    absl::StatusOr<std::vector<FaultServer::Request>> arrivals = server_->ReadArrivals();
    EXPECT_THAT(arrivals.status(), IsOk());
    return arrivals.ok() ? *std::move(arrivals) : std::vector<FaultServer::Request>{};
  }

  // The same requests with their answers (status, headers). The server logs
  // a request once its response has ended, a moment after the client has
  // seen the end: wait for as many lines as there were arrivals.
  std::vector<FaultServer::Request> Log() {
    const size_t arrived = Arrivals().size();
    absl::StatusOr<std::vector<FaultServer::Request>> log =
        server_->WaitForRequests(arrived, absl::InfiniteDuration());
    EXPECT_THAT(log.status(), IsOk());
    if (!log.ok()) return {};
    EXPECT_EQ(log->size(), arrived);
    return *std::move(log);
  }

  int Count(const std::string& path_part) {
    int n = 0;
    for (const auto& r : Arrivals()) n += absl::StrContains(r.path, path_part) ? 1 : 0;
    return n;
  }

  // Entries of the hub dir other than the repo dirs and our bookkeeping.
  std::vector<std::string> Scratch() {
    std::vector<std::string> odd;
    for (const std::string& n : ListDir(hub_dir_)) {
      if (absl::EndsWith(n, ".lock") || absl::EndsWith(n, ".source") || n == "trusted_list") {
        continue;
      }
      if (absl::StartsWith(n, ".")) odd.push_back(n);
    }
    return odd;
  }

  std::string root_, hub_dir_, work_;
  std::unique_ptr<FaultServer> server_;
  FetchOptions options_;
  std::ostringstream out_, err_;
};

TEST_F(GithubSourceTest, FetchesATagThenUsesTheCache) {
  const std::string sha = MakeRepo("acme", "models", "main", {"main"}, {"v1.0"});
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r, GetCacheOrReload("acme/models:v1.0", options_));
  EXPECT_EQ(r.repo_dir, hub_dir_ + "/acme_models_v1.0");
  EXPECT_FALSE(r.from_cache);
  EXPECT_THAT(ReadTestFile(r.repo_dir + "/hubconf.py"), HasSubstr("def answer"));
  EXPECT_EQ(ReadTestFile(r.repo_dir + "/pkg/__init__.py"), "VALUE = 'v1'\n");
  EXPECT_THAT(out_.str(), HasSubstr(absl::StrCat("Downloading: \"", server_->base_url(),
                                                 "/acme/models/zipball/v1.0\" to ")));
  // The full commit, from the zip's comment (GitHub's zipballs, like `git
  // archive`'s, carry it there).
  EXPECT_EQ(r.commit, sha);
  EXPECT_THAT(ReadTestFile(hub_dir_ + "/.acme_models_v1.0.source"),
              HasSubstr(absl::StrCat("\"commit\":\"", sha, "\"")));
  EXPECT_THAT(Scratch(), IsEmpty());
  EXPECT_EQ(Count("/api/repos/acme/models/tags"), 1);

  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult again, GetCacheOrReload("acme/models:v1.0", options_));
  EXPECT_TRUE(again.from_cache);
  EXPECT_EQ(err_.str(), absl::StrCat("Using cache found in ", r.repo_dir, "\n"));
  EXPECT_EQ(Count("/zipball/"), 1);
}

TEST_F(GithubSourceTest, DefaultBranchIsMainElseMaster) {
  MakeRepo("acme", "new", "main", {"main"}, {});
  MakeRepo("acme", "old", "master", {"master"}, {});
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult a, GetCacheOrReload("acme/new", options_));
  EXPECT_EQ(a.repo_dir, hub_dir_ + "/acme_new_main");
  EXPECT_EQ(*a.repo.ref, "main");
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult b, GetCacheOrReload("acme/old", options_));
  EXPECT_EQ(b.repo_dir, hub_dir_ + "/acme_old_master");
  EXPECT_EQ(*b.repo.ref, "master");
  EXPECT_EQ(ReadTestFile(a.repo_dir + "/hubconf.py"), kHubconf);
  EXPECT_EQ(ReadTestFile(b.repo_dir + "/hubconf.py"), kHubconf);
  EXPECT_EQ(ReadTestFile(b.repo_dir + "/pkg/__init__.py"), "VALUE = 'v1'\n");
}

TEST_F(GithubSourceTest, BranchWithASlashAndPagination) {
  MakeRepo("acme", "models", "main", {"main", "ci/test_slash"}, {}, /*filler_branches=*/150);
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r,
                           GetCacheOrReload("acme/models:ci/test_slash", options_));
  EXPECT_EQ(r.repo_dir, hub_dir_ + "/acme_models_ci_test_slash");
  EXPECT_EQ(Count("/api/repos/acme/models/branches"), 2);  // found on page 2
}

// Refs git allows that mean something in a URL: each is percent-encoded in
// the archive URL, and the server, decoding the path, finds that ref's
// archive (before, "#" cut the path short, "%41" arrived as "A", and
// non-ASCII bytes went out raw).
TEST_F(GithubSourceTest, RefsWithUrlSyntaxInThemReachTheServerAsThemselves) {
  const std::vector<std::string> refs = {"fix#1", "pct%41", "caf\xC3\xA9",
                                         "release/\xE6\x97\xA5#2"};
  MakeRepo("acme", "models", "main", {"main", refs[0], refs[1], refs[2]}, {refs[3]});
  const std::vector<std::string> paths = {"fix%231", "pct%2541", "caf%C3%A9",
                                          "release/%E6%97%A5%232"};
  for (size_t i = 0; i < refs.size(); ++i) {
    HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r,
                             GetCacheOrReload("acme/models:" + refs[i], options_));
    EXPECT_EQ(r.archive_url, absl::StrCat(server_->base_url(), "/acme/models/zipball/", paths[i]));
    EXPECT_THAT(ReadTestFile(r.repo_dir + "/hubconf.py"), HasSubstr("def answer"));
  }
  std::vector<std::string> zipballs;
  for (const auto& request : Log()) {
    if (absl::StrContains(request.path, "/zipball/")) {
      zipballs.push_back(absl::StrCat(request.path, " ", request.status));
    }
  }
  EXPECT_THAT(zipballs, ::testing::UnorderedElementsAre(
                            "/acme/models/zipball/fix%231 200", "/acme/models/zipball/pct%2541 200",
                            "/acme/models/zipball/caf%C3%A9 200",
                            "/acme/models/zipball/release/%E6%97%A5%232 200"));
}

TEST_F(GithubSourceTest, CommitPrefixOfAHeadValidates) {
  const std::string sha = MakeRepo("acme", "models", "main", {"main"}, {});
  // A commit ref: GitHub serves its zipball too.
  FakeGithub(root_).PublishArchive(work_ + "/acme_models", "acme/models", "HEAD",
                                   sha.substr(0, 10));
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r,
                           GetCacheOrReload("acme/models:" + sha.substr(0, 10), options_));
  EXPECT_EQ(r.repo_dir, hub_dir_ + "/acme_models_" + sha.substr(0, 10));
  EXPECT_EQ(r.commit, sha);
  EXPECT_EQ(ReadTestFile(r.repo_dir + "/hubconf.py"), kHubconf);
  EXPECT_EQ(ReadTestFile(r.repo_dir + "/pkg/__init__.py"), "VALUE = 'v1'\n");
}

TEST_F(GithubSourceTest, UnknownRefHasTorchHubsErrorAndDownloadsNothing) {
  MakeRepo("acme", "models", "main", {"main"}, {"v1.0"});
  EXPECT_THAT(GetCacheOrReload("acme/models:nope", options_),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("Cannot find nope in ", server_->base_url(),
                                    "/acme/models. If it's a commit from a forked repo, please "
                                    "call hub.load() with forked repo directly.")));
  EXPECT_EQ(Count("/zipball/"), 0);
  EXPECT_FALSE(PathExists(hub_dir_ + "/acme_models_nope"));
}

TEST_F(GithubSourceTest, SkipValidationMakesNoApiCalls) {
  MakeRepo("acme", "models", "main", {"main"}, {"v1.0"});
  options_.skip_validation = true;
  ASSERT_THAT(GetCacheOrReload("acme/models:v1.0", options_).status(), IsOk());
  EXPECT_EQ(Count("/api/"), 0);
}

TEST_F(GithubSourceTest, TokenGoesToTheApiOnly) {
  MakeRepo("acme", "models", "main", {"main"}, {"v1.0"});
  options_.http.github_token = "secret";
  options_.download.github_token = "secret";
  // The API and the web host are one server here; tell them apart by name.
  options_.endpoints.api = server_->UrlOnHost("localhost", "/api");
  ASSERT_THAT(GetCacheOrReload("acme/models:v1.0", options_).status(), IsOk());
  for (const auto& r : Log()) {
    if (absl::StrContains(r.path, "/api/")) {
      EXPECT_EQ(r.authorization, "token secret") << r.path;
    } else {
      EXPECT_EQ(r.authorization, "") << r.path;
    }
  }
}

TEST_F(GithubSourceTest, AmbiguousRefWarnsAndTakesTheBranch) {
  MakeRepo("acme", "models", "main", {"main", "both"}, {});
  // GitHub answers 300 for a name that is a branch and a tag.
  WriteTestFile(root_ + "/acme/models/zipball/both.http-status", "300");
  const std::string zip = root_ + "/acme/models/zipball/both";
  ASSERT_THAT(MakeDirs(root_ + "/acme/models/zipball/refs/heads"), IsOk());
  ASSERT_EQ(std::rename(zip.c_str(), (root_ + "/acme/models/zipball/refs/heads/both").c_str()), 0);
  std::vector<std::string> warnings;
  ScopedWarningHandler capture(
      [&](WarningCategory, absl::string_view m) { warnings.emplace_back(m); });
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r, GetCacheOrReload("acme/models:both", options_));
  EXPECT_EQ(r.repo_dir, hub_dir_ + "/acme_models_both");
  EXPECT_THAT(r.archive_url, HasSubstr("/zipball/refs/heads/both"));
  EXPECT_THAT(warnings, Contains(HasSubstr("The ref both is ambiguous.")));
}

TEST_F(GithubSourceTest, HostileArchiveInstallsNothing) {
  MakeRepo("acme", "models", "main", {"main"}, {});
  // Replace the zipball with one that climbs out.
  HUB_ASSERT_OK_AND_ASSIGN(const CommandResult r,
                           RunCommand({"/usr/bin/python3", "-c",
                                       "import sys, zipfile\n"
                                       "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
                                       "    z.writestr('acme-models-1/hubconf.py', 'x')\n"
                                       "    z.writestr('../../evil.py', 'x')\n",
                                       root_ + "/acme/models/zipball/main"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(GetCacheOrReload("acme/models:main", options_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("../../evil.py")));
  EXPECT_FALSE(PathExists(hub_dir_ + "/acme_models_main"));
  EXPECT_FALSE(PathExists(DirName(hub_dir_) + "/evil.py"));
  EXPECT_THAT(Scratch(), IsEmpty());
}

TEST_F(GithubSourceTest, ForceReloadReplacesTheDirectory) {
  MakeRepo("acme", "models", "main", {"main"}, {});
  ASSERT_THAT(GetCacheOrReload("acme/models:main", options_).status(), IsOk());
  WriteTestFile(hub_dir_ + "/acme_models_main/stale.txt", "old");
  options_.force_reload = true;
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r, GetCacheOrReload("acme/models:main", options_));
  EXPECT_FALSE(r.from_cache);
  EXPECT_FALSE(PathExists(r.repo_dir + "/stale.txt"));
  EXPECT_TRUE(PathExists(r.repo_dir + "/hubconf.py"));
  EXPECT_THAT(Scratch(), IsEmpty());
}

TEST_F(GithubSourceTest, OfflineUsesTheCacheOrSaysWhatIsMissing) {
  MakeRepo("acme", "models", "main", {"main"}, {});
  ASSERT_THAT(GetCacheOrReload("acme/models", options_).status(), IsOk());
  const size_t requests = Arrivals().size();
  options_.offline = true;
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r, GetCacheOrReload("acme/models", options_));
  EXPECT_TRUE(r.from_cache);
  EXPECT_EQ(r.repo_dir, hub_dir_ + "/acme_models_main");
  EXPECT_THAT(GetCacheOrReload("acme/models:v2", options_),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr(hub_dir_ + "/acme_models_v2 does not exist")));
  EXPECT_THAT(GetCacheOrReload("acme/other", options_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("acme_other_master")));
  EXPECT_EQ(Arrivals().size(), requests);  // no network at all
}

TEST_F(GithubSourceTest, NoNetworkFallsBackToACachedDefaultBranch) {
  MakeRepo("acme", "models", "main", {"main"}, {});
  ASSERT_THAT(GetCacheOrReload("acme/models", options_).status(), IsOk());
  server_.reset();  // the network is gone
  options_.http.max_attempts = 1;
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r, GetCacheOrReload("acme/models", options_));
  EXPECT_TRUE(r.from_cache);
  EXPECT_THAT(GetCacheOrReload("acme/other", options_),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("It looks like there is no internet connection and the repo "
                                 "could not be found in the cache (" +
                                 hub_dir_ + ")")));
}

TEST_F(GithubSourceTest, UntrustedRepoIsRefusedBeforeAnyRequest) {
  MakeRepo("acme", "models", "main", {"main"}, {});
  options_.trust.mode = TrustMode::kCheck;  // nobody to ask: no terminal here
  EXPECT_THAT(
      GetCacheOrReload("acme/models:main", options_),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("acme/models"), HasSubstr("is not trusted (trust_repo=check)"),
                     HasSubstr("could not be confirmed"))));
  EXPECT_THAT(Arrivals(), IsEmpty());
  EXPECT_THAT(ListDir(hub_dir_), Not(Contains("acme_models_main")));
}

TEST_F(GithubSourceTest, ThreadsFetchingOneRepoMakeOneDownload) {
  MakeRepo("acme", "models", "main", {"main"}, {});
  std::vector<absl::StatusOr<FetchResult>> results(4);
  std::vector<std::thread> threads;
  threads.reserve(results.size());
  for (auto& result : results) {
    threads.emplace_back([this, slot = &result] {
      FetchOptions o = options_;
      std::ostringstream out, err;
      o.out = &out;
      o.err = &err;
      *slot = GetCacheOrReload("acme/models:main", o);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& r : results) ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(Count("/zipball/"), 1);
  EXPECT_THAT(Scratch(), IsEmpty());
}

// After a prune, what is left is still a cache Python's torch.hub uses as is,
// and what went is wholly gone (no scratch, no record, no lock).
TEST_F(GithubSourceTest, PythonTorchHubUsesWhatPruneLeft) {
  MakeRepo("acme", "models", "main", {"main"}, {"v1.0"});
  ASSERT_THAT(GetCacheOrReload("acme/models:v1.0", options_).status(), IsOk());
  ASSERT_THAT(GetCacheOrReload("acme/models:main", options_).status(), IsOk());
  const timespec old = absl::ToTimespec(absl::Now() - absl::Hours(24 * 60));
  const timespec times[2] = {old, old};
  for (const char* path : {"/acme_models_main/hubconf.py", "/acme_models_main"}) {
    ASSERT_EQ(::utimensat(AT_FDCWD, (hub_dir_ + path).c_str(), times, 0), 0);
  }
  PruneOptions prune;
  prune.older_than = absl::Hours(24 * 30);
  HUB_ASSERT_OK_AND_ASSIGN(const PruneReport report, PruneCache(hub_dir_, prune));
  for (const PruneItem& item : report.items) {
    // The repo, and the lock files the archive downloads left.
    const bool removed = item.action == PruneItem::Action::kRemoved;
    EXPECT_EQ(removed, item.name == "acme_models_main" || item.kind == PruneItem::Kind::kLockFile)
        << item.name;
  }
  EXPECT_FALSE(PathExists(hub_dir_ + "/acme_models_main"));
  EXPECT_THAT(ListDir(hub_dir_), Not(Contains(HasSubstr("acme_models_main"))));
  EXPECT_THAT(Scratch(), IsEmpty());
  HUB_ASSERT_OK_AND_ASSIGN(
      const CommandResult py,
      RunCommand({"/usr/bin/python3", "-c",
                  "import sys, torch.hub as hub\n"
                  "hub.set_dir(sys.argv[1])\n"
                  "print(hub.list('acme/models:v1.0', trust_repo=True, skip_validation=True))\n",
                  hub_dir_},
                 {.separate_stderr = true}));
  ASSERT_EQ(py.exit_code, 0) << py.output << py.error_output;
  EXPECT_THAT(py.output, HasSubstr("['answer']"));
  EXPECT_THAT(py.error_output, HasSubstr("Using cache found in " + hub_dir_ + "/acme_models_v1.0"));
}

// Both ways with Python's torch.hub on one hub dir, no network for Python.
TEST_F(GithubSourceTest, PythonTorchHubLoadsWhatWeFetchedAndWeUseWhatPythonLaidOut) {
  MakeRepo("acme", "models", "main", {"main"}, {"v1.0"});
  ASSERT_THAT(GetCacheOrReload("acme/models:v1.0", options_).status(), IsOk());
  HUB_ASSERT_OK_AND_ASSIGN(
      const CommandResult py,
      RunCommand({"/usr/bin/python3", "-c",
                  "import sys, torch.hub as hub\n"
                  "hub.set_dir(sys.argv[1])\n"
                  "print(hub.load('acme/models:v1.0', 'answer', trust_repo=True,\n"
                  "               skip_validation=True))\n"
                  "print(hub.list('acme/models:v1.0', trust_repo=True, skip_validation=True))\n",
                  hub_dir_},
                 {.separate_stderr = true}));
  ASSERT_EQ(py.exit_code, 0) << py.output << py.error_output;
  EXPECT_THAT(py.output, HasSubstr("42\n['answer']"));
  EXPECT_THAT(py.error_output, HasSubstr("Using cache found in " + hub_dir_ + "/acme_models_v1.0"));

  // A directory as Python's torch.hub leaves it: ours uses it as is.
  WriteTestFile(hub_dir_ + "/acme_models_py/hubconf.py", "def f():\n    return 1\n");
  HUB_ASSERT_OK_AND_ASSIGN(const FetchResult r, GetCacheOrReload("acme/models:py", options_));
  EXPECT_TRUE(r.from_cache);
  EXPECT_EQ(Count("/zipball/py"), 0);
}

// The same through the `torchhub` binary: fetch, the cache, cache ls.
TEST_F(GithubSourceTest, TorchhubFetchAndCacheLs) {
  MakeRepo("acme", "models", "main", {"main"}, {"v1.0"});
  const std::string torchhub = hub::testing::RunfilePath("hub/cli/torchhub");
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {
        "env",
        absl::StrCat("TORCHHUB_GITHUB_URL=", server_->base_url()),
        absl::StrCat("TORCHHUB_GITHUB_API_URL=", server_->base_url(), "/api"),
        torchhub,
        "--hub-dir",
        hub_dir_};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> r = RunCommand(argv, {.separate_stderr = true});
    EXPECT_THAT(r.status(), IsOk());
    return r.ok() ? *r : CommandResult();
  };
  const CommandResult fetched =
      run({"fetch", "acme/models:v1.0", "--trust-repo", "true", "--json"});
  EXPECT_EQ(fetched.exit_code, 0) << fetched.error_output;
  EXPECT_THAT(fetched.output, HasSubstr(absl::StrCat("\"repo_dir\":\"", hub_dir_,
                                                     "/acme_models_v1.0\",\"from_cache\":false")));
  EXPECT_THAT(fetched.error_output, HasSubstr("Downloading: "));

  const CommandResult cached =
      run({"fetch", "acme/models:v1.0", "--offline", "--trust-repo", "true"});
  EXPECT_EQ(cached.exit_code, 0) << cached.error_output;
  EXPECT_EQ(cached.output, hub_dir_ + "/acme_models_v1.0\n");
  EXPECT_THAT(cached.error_output, HasSubstr("Using cache found in"));

  const CommandResult missing =
      run({"fetch", "acme/models:v9", "--offline", "--trust-repo", "true"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.error_output, HasSubstr("acme_models_v9 does not exist"));

  const CommandResult ls = run({"cache", "ls", "--json"});
  EXPECT_EQ(ls.exit_code, 0) << ls.error_output;
  EXPECT_THAT(ls.output, HasSubstr("{\"dir\":\"acme_models_v1.0\",\"source\":{\"repo\":"));

  const CommandResult bad = run({"fetch", "acme/models:v1.0", "--trust-repo", "maybe"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(GithubSourceTest, ProcessesFetchingOneRepoMakeOneDownload) {
  MakeRepo("acme", "models", "main", {"main"}, {});
  const std::string torchhub = hub::testing::RunfilePath("hub/cli/torchhub");
  std::vector<pid_t> pids;
  for (int i = 0; i < 6; ++i) {
    absl::StatusOr<pid_t> pid = hub::testing::StartProcess(
        {"env", absl::StrCat("TORCHHUB_GITHUB_URL=", server_->base_url()),
         absl::StrCat("TORCHHUB_GITHUB_API_URL=", server_->base_url(), "/api"), torchhub,
         "--hub-dir", hub_dir_, "fetch", "acme/models:main", "--trust-repo", "true"},
        absl::StrCat(work_, "/fetch", i, ".log"));
    ASSERT_THAT(pid.status(), IsOk());
    pids.push_back(*pid);
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    int status = 0;
    ASSERT_EQ(::waitpid(pids[i], &status, 0), pids[i]);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << ReadTestFile(absl::StrCat(work_, "/fetch", i, ".log"));
  }
  EXPECT_EQ(Count("/zipball/"), 1);
  EXPECT_TRUE(PathExists(hub_dir_ + "/acme_models_main/hubconf.py"));
  EXPECT_THAT(Scratch(), IsEmpty());
}

TEST_F(GithubSourceTest, TokenRefusedByTheApiIsRetriedWithoutIt) {
  MakeRepo("acme", "models", "main", {"main"}, {"v1.0"});
  // The API refuses this token (say, it lacks permissions), as torch.hub expects.
  WriteTestFile(root_ + "/api/repos/acme/models/branches?per_page=100&page=1.auth-http-status",
                "401");
  options_.http.github_token = "stale";
  options_.endpoints.api = server_->UrlOnHost("localhost", "/api");
  ASSERT_THAT(GetCacheOrReload("acme/models:v1.0", options_).status(), IsOk());
  std::vector<std::string> api;
  for (const auto& r : Log()) {
    if (absl::StrContains(r.path, "/api/")) {
      api.push_back(absl::StrCat(r.path, "?", r.query, " ", r.status, " ",
                                 r.authorization.empty() ? "-" : r.authorization));
    }
  }
  EXPECT_THAT(api, ::testing::ElementsAre(
                       "/api/repos/acme/models/branches?per_page=100&page=1 401 token stale",
                       "/api/repos/acme/models/branches?per_page=100&page=1 200 -",
                       "/api/repos/acme/models/branches?per_page=100&page=2 200 -",
                       "/api/repos/acme/models/tags?per_page=100&page=1 200 -"));
}

TEST_F(GithubSourceTest, LeftoversOfAKilledFetchAreCleanedUp) {
  MakeRepo("acme", "models", "main", {"main"}, {});
  const std::string hex(32, 'a');
  WriteTestFile(absl::StrCat(hub_dir_, "/.acme_models_main.", hex, ".staging/top/hubconf.py"), "x");
  WriteTestFile(absl::StrCat(hub_dir_, "/.acme_models_main.", hex, ".old/hubconf.py"), "x");
  WriteTestFile(hub_dir_ + "/.unrelated.staging/keep", "x");  // not ours: left alone
  ASSERT_THAT(GetCacheOrReload("acme/models:main", options_).status(), IsOk());
  EXPECT_THAT(Scratch(), ::testing::ElementsAre(".unrelated.staging"));
}

TEST_F(GithubSourceTest, ApiRefusalWithoutATokenIsOneRequestAndSaysWhatToDo) {
  MakeRepo("acme", "models", "main", {"main"}, {"v1.0"});
  // GitHub's answer once the unauthenticated rate limit is used up.
  WriteTestFile(root_ + "/api/repos/acme/models/branches?per_page=100&page=1.http-status", "403");
  options_.http.github_token.clear();
  ::unsetenv("GITHUB_TOKEN");
  EXPECT_THAT(GetCacheOrReload("acme/models:v1.0", options_),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("HTTP Error 403"), HasSubstr("set GITHUB_TOKEN"),
                             HasSubstr("--validate-with-git"))));
  EXPECT_EQ(Count("/api/"), 1);
  EXPECT_EQ(Count("/zipball/"), 0);
}

}  // namespace
}  // namespace hub
