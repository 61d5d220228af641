#include "hub/inventory/inventory.h"

#include <unistd.h>

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"

namespace hub {
namespace {

using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::hub::testing::WriteTestFile;
using ::testing::IsEmpty;

constexpr char kHex32[] = "0123456789abcdef0123456789abcdef";

std::map<std::string, InventoryEntry> ByName(const Inventory& inv) {
  std::map<std::string, InventoryEntry> m;
  for (const InventoryEntry& e : inv.entries) m[e.name] = e;
  return m;
}

TEST(ScanHubDirTest, ClassifiesEveryEntry) {
  const std::string hub = TestDir("every");
  WriteTestFile(hub + "/o_n_main/hubconf.py", "x");
  WriteTestFile(hub + "/.o_n_main.source", "{}");
  WriteTestFile(hub + "/.o_n_main.lock", "");
  WriteTestFile(absl::StrCat(hub, "/.o_n_main.", kHex32, ".staging/f"), "x");
  WriteTestFile(hub + "/.o_n_main.zip", "zip");
  WriteTestFile(hub + "/main.zip", "python's");
  WriteTestFile(hub + "/trusted_list", "o_n\n");
  WriteTestFile(hub + "/.trusted_list.lock", "");
  WriteTestFile(hub + "/checkpoints/w.pth", "weights");
  WriteTestFile(hub + "/checkpoints/.w.pth.source", "{}");
  WriteTestFile(hub + "/checkpoints/.w.pth.lock", "");
  WriteTestFile(hub + "/checkpoints/w.pth.lock", "");  // an older version's
  WriteTestFile(absl::StrCat(hub, "/checkpoints/w.pth.", kHex32, ".partial"), "wei");
  WriteTestFile(hub + "/checkpoints/.w.pth.source.0123456789abcdef.tmp", "{");
  WriteTestFile(hub + "/.torchhub-cpp/entrypoints/abc.json", "{}");
  HUB_ASSERT_OK_AND_ASSIGN(const Inventory inv, ScanHubDir(hub));
  const auto m = ByName(inv);
  const std::map<std::string, EntryKind> want = {
      {"o_n_main", EntryKind::kRepo},
      {".o_n_main.source", EntryKind::kRecord},
      {".o_n_main.lock", EntryKind::kLockFile},
      {absl::StrCat(".o_n_main.", kHex32, ".staging"), EntryKind::kScratch},
      {".o_n_main.zip", EntryKind::kScratch},
      {"main.zip", EntryKind::kTemp},
      {"trusted_list", EntryKind::kOther},
      {".trusted_list.lock", EntryKind::kLockFile},
      {".torchhub-cpp", EntryKind::kOther},
      {"checkpoints/w.pth", EntryKind::kCheckpoint},
      {"checkpoints/.w.pth.source", EntryKind::kRecord},
      {"checkpoints/.w.pth.lock", EntryKind::kLockFile},
      {"checkpoints/w.pth.lock", EntryKind::kLockFile},
      {absl::StrCat("checkpoints/w.pth.", kHex32, ".partial"), EntryKind::kTemp},
      {"checkpoints/.w.pth.source.0123456789abcdef.tmp", EntryKind::kTemp},
      {".torchhub-cpp/entrypoints/abc.json", EntryKind::kEntry},
  };
  for (const auto& [name, kind] : want) {
    ASSERT_EQ(m.count(name), 1u) << name;
    EXPECT_EQ(KindName(m.at(name).kind), KindName(kind)) << name;
  }
  EXPECT_EQ(m.size(), want.size());

  // What each belongs to, and the lock its writer takes.
  const InventoryEntry& repo = m.at("o_n_main");
  EXPECT_EQ(repo.lock, hub + "/.o_n_main.lock");
  EXPECT_EQ(repo.legacy_lock, "");
  EXPECT_EQ(m.at(".o_n_main.zip").owner, hub + "/o_n_main");
  EXPECT_EQ(m.at(".o_n_main.source").owner, hub + "/o_n_main");
  const InventoryEntry& w = m.at("checkpoints/w.pth");
  EXPECT_EQ(w.bytes, 7);
  EXPECT_EQ(w.lock, hub + "/checkpoints/.w.pth.lock");
  EXPECT_EQ(w.legacy_lock, hub + "/checkpoints/w.pth.lock");
  const InventoryEntry& partial = m.at(absl::StrCat("checkpoints/w.pth.", kHex32, ".partial"));
  EXPECT_TRUE(partial.download_temp);
  EXPECT_EQ(partial.owner, w.path);
  EXPECT_EQ(partial.lock, w.lock);
  EXPECT_EQ(m.at("checkpoints/.w.pth.source").owner, w.path);
  EXPECT_EQ(m.at("checkpoints/w.pth.lock").owner, w.path);
  EXPECT_EQ(m.at("checkpoints/.w.pth.lock").owner, w.path);
}

TEST(ScanHubDirTest, TreesAreMeasuredOnlyWhenAsked) {
  const std::string hub = TestDir("measure");
  WriteTestFile(hub + "/o_n_main/hubconf.py", "12345");
  WriteTestFile(hub + "/o_n_main/sub/m.py", "123");
  HUB_ASSERT_OK_AND_ASSIGN(Inventory inv, ScanHubDir(hub));
  EXPECT_EQ(ByName(inv).at("o_n_main").bytes, 0);
  ScanOptions options;
  options.measure_trees = true;
  HUB_ASSERT_OK_AND_ASSIGN(inv, ScanHubDir(hub, options));
  EXPECT_EQ(ByName(inv).at("o_n_main").bytes, 8);
}

TEST(ScanHubDirTest, LinksAreMarked) {
  const std::string hub = TestDir("links");
  const std::string elsewhere = TestDir("links_elsewhere");
  WriteTestFile(elsewhere + "/repo/hubconf.py", "x");
  WriteTestFile(elsewhere + "/w.pth", "w");
  ASSERT_EQ(::symlink((elsewhere + "/repo").c_str(), (hub + "/o_l_main").c_str()), 0);
  WriteTestFile(hub + "/checkpoints/x.pth", "x");
  ASSERT_EQ(::symlink((elsewhere + "/w.pth").c_str(), (hub + "/checkpoints/w.pth").c_str()), 0);
  HUB_ASSERT_OK_AND_ASSIGN(const Inventory inv, ScanHubDir(hub));
  const auto m = ByName(inv);
  EXPECT_EQ(m.at("o_l_main").kind, EntryKind::kRepo);
  EXPECT_TRUE(m.at("o_l_main").is_link);
  EXPECT_EQ(m.at("checkpoints/w.pth").kind, EntryKind::kCheckpoint);
  EXPECT_TRUE(m.at("checkpoints/w.pth").is_link);
  EXPECT_FALSE(m.at("checkpoints/x.pth").is_link);
}

TEST(ScanHubDirTest, MissingHubDirIsEmptyAndAFileIsAnError) {
  const std::string dir = TestDir("missing");
  HUB_ASSERT_OK_AND_ASSIGN(const Inventory inv, ScanHubDir(dir + "/none"));
  EXPECT_THAT(inv.entries, IsEmpty());
  WriteTestFile(dir + "/file", "");
  EXPECT_THAT(ScanHubDir(dir + "/file"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace hub
