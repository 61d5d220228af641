// hub/ref and hub/cache against Python's torch.hub on a table of repo
// strings: real ones, edge cases and hostile ones. For each string the table
// says what must happen:
//   kSame        both accept; owner, name, ref and cache directory agree
//                (torch.hub's directory is what its own _get_cache_or_reload
//                creates, with the default-branch probe answering "main")
//   kStricter    torch.hub accepts it, we refuse it on purpose (unsafe or
//                malformed; see hub/ref/repo_ref.h)
//   kBothRefuse  both refuse it
// The Python side is checked too, so the table can't drift from torch.hub.

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/cache/layout.h"
#include "hub/ref/repo_ref.h"
#include "tests/compat/oracle.h"

namespace hub {
namespace {

using ::hub::testing::AskTorchHub;
using ::hub::testing::Hex;
using ::hub::testing::Unhex;

enum Expect { kSame, kStricter, kBothRefuse };

struct Case {
  std::string repo;
  Expect expect;
};

const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      // Real repos and refs from the hub's ecosystem.
      {"pytorch/vision:v0.10.0", kSame},
      {"pytorch/vision", kSame},
      {"pytorch/vision:main", kSame},
      {"pytorch/vision:release/0.14", kSame},
      {"pytorch/vision:4e2c216", kSame},
      {"pytorch/fairseq", kSame},
      {"NVIDIA/DeepLearningExamples:torchhub", kSame},
      {"facebookresearch/pytorch_GAN_zoo:hub", kSame},
      {"huggingface/pytorch-transformers", kSame},
      {"ailzhang/torchhub_example", kSame},
      {"ailzhang/torchhub_example:master", kSame},
      {"ailzhang/torchhub_example:ci/test_slash", kSame},
      {"ultralytics/yolov5", kSame},
      {"ultralytics/yolov5:v7.0", kSame},
      {"facebookresearch/dino:main", kSame},
      {"facebookresearch/detr:main", kSame},
      {"facebookresearch/xcit:main", kSame},
      {"facebookresearch/dinov2", kSame},
      {"facebookresearch/deit:main", kSame},
      {"facebookresearch/swav:main", kSame},
      {"facebookresearch/barlowtwins:main", kSame},
      {"facebookresearch/WSL-Images", kSame},
      {"facebookresearch/semi-supervised-ImageNet1K-models", kSame},
      {"facebookresearch/pytorchvideo:main", kSame},
      {"facebookresearch/fairseq", kSame},
      {"snakers4/silero-models", kSame},
      {"snakers4/silero-vad", kSame},
      {"intel-isl/MiDaS", kSame},
      {"isl-org/ZoeDepth", kSame},
      {"hustvl/yolop", kSame},
      {"datvuthanh/hybridnets", kSame},
      {"mateuszbuda/brain-segmentation-pytorch", kSame},
      {"nicolalandro/ntsnet-cub200", kSame},
      {"szq0214/MEAL-V2", kSame},
      {"zhanghang1989/ResNeSt", kSame},
      {"moskomule/senet.pytorch", kSame},
      {"huawei-noah/ghostnet", kSame},
      {"HRNet/HRNet-Image-Classification", kSame},
      {"sovit-123/fasterrcnn-pytorch-training-pipeline:v1.0", kSame},
      {"openai/whisper:v20230314", kSame},
      // Ref forms.
      {"o/n:refs/heads/main", kSame},
      {"o/n:refs/tags/v1.0", kSame},
      {"o/n:v1.0-rc.1", kSame},
      {"o/n:feature/a/b/c", kSame},
      {"o/n:0123456789abcdef0123456789abcdef01234567", kSame},
      {"o/n:a@b", kSame},
      {"o/n:@x", kSame},
      {"o/n:x;y", kSame},
      {"o/n:caf\xc3\xa9", kSame},
      {"o/n:1", kSame},
      {"o/n:x_y", kSame},
      {"o/n:UPPER", kSame},
      {"owner-with-dash/name.with.dots:ref_with_underscore", kSame},
      {"a.b/c.d:e.f", kSame},
      {"_/_:_", kSame},
      {"a1/b2:3", kSame},
      {"O/N", kSame},
      {std::string(100, 'o') + "/" + std::string(100, 'n') + ":" + std::string(18, 'r'), kSame},
      // Accepted by torch.hub, refused here: empty parts.
      {"/vision", kStricter},
      {"pytorch/", kStricter},
      {"/", kStricter},
      {"/:", kStricter},
      {"pytorch/vision:", kStricter},
      // Whitespace, NUL, control characters.
      {" pytorch/vision", kStricter},
      {"pytorch/vision ", kStricter},
      {"pytorch/vi sion", kStricter},
      {"pytorch/vision:v1\n", kStricter},
      {"pytorch/vision:\tv1", kStricter},
      {std::string("pytorch/vi\0sion", 15), kStricter},
      {std::string("pytorch/vision:\0", 16), kStricter},
      {"pytorch/vision:\x7f", kStricter},
      {"pytorch/vision:\x1b[31m", kStricter},
      {"o/n:ref with space", kStricter},
      // Paths and URLs that would escape or surprise.
      {"../x:y", kStricter},
      {"../vision", kStricter},
      {"pytorch/..", kStricter},
      {"./vision", kStricter},
      {"pytorch/.", kStricter},
      {"pytorch/a..b", kStricter},
      {".hidden/vision", kStricter},
      {"pytorch/.git", kStricter},
      {"pytorch\\x/vision", kStricter},
      {"pytorch/vision:..", kStricter},
      {"pytorch/vision:../../etc", kStricter},
      {"pytorch/vision:a\\b", kStricter},
      {"pytorch/vision:/abs", kStricter},
      {"pytorch/vision:a/", kStricter},
      {"pytorch/vision:a//b", kStricter},
      {"pytorch/vision:a/.b", kStricter},
      {"pytorch/vision:.b", kStricter},
      {"-x/vision", kStricter},
      {"pytorch/vision:--upload-pack=x", kStricter},
      {"py%74orch/vision", kStricter},
      {"pytorch/vis~ion", kStricter},
      {"pytorch/vi?sion", kStricter},
      {"pytorch/vi#sion", kStricter},
      {"pyt\xc3\xb6rch/vision", kStricter},
      // Refs git refuses.
      {"pytorch/vision:a~1", kStricter},
      {"pytorch/vision:a^", kStricter},
      {"pytorch/vision:a?", kStricter},
      {"pytorch/vision:a*", kStricter},
      {"pytorch/vision:a[0]", kStricter},
      {"pytorch/vision:\xc3(", kStricter},
      {"pytorch/vision:@", kStricter},
      {"pytorch/vision:a@{1}", kStricter},
      {"pytorch/vision:main.lock", kStricter},
      {"pytorch/vision:v1.", kStricter},
      // Overlong.
      {std::string(101, 'a') + "/b", kStricter},
      {"a/" + std::string(101, 'b'), kStricter},
      {"a/b:" + std::string(256, 'c'), kStricter},
      {std::string(100, 'a') + "/" + std::string(100, 'b') + ":" + std::string(30, 'c'), kStricter},
      // Refused by both (torch.hub's unpacking errors).
      {"pytorch", kBothRefuse},
      {"", kBothRefuse},
      {"a/b/c", kBothRefuse},
      {"a/b:c:d", kBothRefuse},
      {"a:b/c", kBothRefuse},
      {"a/b/c:d", kBothRefuse},
      {"a:b:c", kBothRefuse},
      {"::", kBothRefuse},
      {"a/b:c/d:e", kBothRefuse},
      {"pytorch/vision/", kBothRefuse},
      {"/pytorch/vision", kBothRefuse},
      {"github.com/pytorch/vision", kBothRefuse},
      {"https://github.com/pytorch/vision", kBothRefuse},
      {"git@github.com:pytorch/vision.git", kBothRefuse},
      {std::string(600, 'a'), kBothRefuse},
  };
  return *cases;
}

TEST(RefParityTest, TableIsLargeAndCoversEveryOutcome) {
  int counts[3] = {0, 0, 0};
  for (const Case& c : Cases()) ++counts[c.expect];
  EXPECT_GE(Cases().size(), 100u);
  EXPECT_GE(counts[kSame], 40);
  EXPECT_GE(counts[kStricter], 40);
  EXPECT_GE(counts[kBothRefuse], 10);
}

TEST(RefParityTest, AgreesWithTorchHub) {
  std::vector<std::vector<std::string>> questions;
  for (const Case& c : Cases()) questions.push_back({Hex(c.repo)});
  HUB_ASSERT_OK_AND_ASSIGN(const auto answers, AskTorchHub("parse", questions));
  const CacheLayout cache("/hub");
  for (size_t i = 0; i < Cases().size(); ++i) {
    const Case& c = Cases()[i];
    const std::vector<std::string>& py = answers[i];
    SCOPED_TRACE(absl::StrCat("repo \"", absl::CHexEscape(c.repo), "\""));
    const absl::StatusOr<RepoRef> ours = ParseRepoRef(c.repo);
    if (c.expect == kBothRefuse) {
      EXPECT_EQ(py[0], "ERR") << "torch.hub accepts it";
      EXPECT_FALSE(ours.ok());
      continue;
    }
    ASSERT_EQ(py[0], "OK") << "torch.hub refuses it with " << py[1];
    ASSERT_EQ(py.size(), 5u);
    if (c.expect == kStricter) {
      EXPECT_FALSE(ours.ok()) << "we accept it";
      if (!ours.ok()) {
        EXPECT_EQ(ours.status().code(), absl::StatusCode::kInvalidArgument);
      }
      continue;
    }
    ASSERT_TRUE(ours.ok()) << ours.status();
    EXPECT_EQ(ours->owner, Unhex(py[1]));
    EXPECT_EQ(ours->name, Unhex(py[2]));
    // torch.hub resolves a missing ref by probing; the oracle answers "main".
    const RepoRef resolved = ours->ref.has_value() ? *ours : ours->WithRef("main");
    EXPECT_EQ(*resolved.ref, Unhex(py[3]));
    ASSERT_NE(py[4][0], '!') << "torch.hub could not cache it: " << py[4];
    HUB_ASSERT_OK_AND_ASSIGN(const std::string dir_name, CacheLayout::RepoDirName(resolved));
    EXPECT_EQ(dir_name, Unhex(py[4]));
  }
}

}  // namespace
}  // namespace hub
