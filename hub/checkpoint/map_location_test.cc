// map_location: parsing, saved locations, CPU-only errors, and the packed
// transfer path (run CPU -> CPU here, with tiny staging buffers, so that its
// packing and splitting are checked without a GPU).
#include "hub/checkpoint/map_location.h"

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/base/test_dirs.h"
#include "hub/checkpoint/checkpoint.h"
#include "tests/servers/subprocess.h"

namespace hub::checkpoint {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::hub::testing::TestDir;
using ::testing::HasSubstr;

TEST(MapLocationTest, ParsesTorchLoadsSpellings) {
  EXPECT_EQ(MapLocation::Parse("cpu")->ToString(), "cpu");
  EXPECT_EQ(MapLocation::Parse(" cuda:1 ")->ToString(), "cuda:1");
  EXPECT_EQ(MapLocation::Parse("")->ToString(), "");
  EXPECT_EQ(MapLocation::Parse("None")->ToString(), "");
  EXPECT_EQ(MapLocation::Parse("cuda:1=cpu, cuda:0=cpu")->ToString(), "cuda:1=cpu,cuda:0=cpu");
  EXPECT_THAT(MapLocation::Parse("gpu0"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"gpu0\" is not a device")));
  EXPECT_THAT(MapLocation::Parse("cuda:0=cpu=x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SAVED=DEVICE")));
}

TEST(MapLocationTest, TargetsFollowTheSavedLocation) {
  const MapLocation as_saved;
  EXPECT_THAT(as_saved.Target("cpu"), ::hub::testing::IsOkAndHolds(c10::Device("cpu")));
  const MapLocation remap = *MapLocation::Parse("cuda:0=cpu");
  EXPECT_THAT(remap.Target("cuda:0"), ::hub::testing::IsOkAndHolds(c10::Device("cpu")));
  EXPECT_THAT(remap.Target("cpu"), ::hub::testing::IsOkAndHolds(c10::Device("cpu")));
  if (!at::hasCUDA()) {
    EXPECT_THAT(as_saved.Target("cuda:0"),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("saved on cuda:0: map_location: cuda:0 asked for, but this "
                                   "libtorch has no CUDA")));
    EXPECT_THAT(remap.Target("cuda:1"), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_THAT(MapLocation::To(c10::Device("meta")).Target("cpu"),
              StatusIs(absl::StatusCode::kUnimplemented));
}

// Writes checkpoints with Python: tied, offset and strided tensors, and a
// copy whose storages claim to have been saved on cuda:0.
std::string Fixtures() {
  static const std::string* const dir = [] {
    auto* d = new std::string(TestDir("map_location"));
    const std::string code = absl::StrCat(R"PY(
import collections, torch, torch.serialization as ser
torch.manual_seed(0)
w = torch.randn(33, 17)
sd = collections.OrderedDict()
sd['w'] = w
sd['tied'] = w                      # the same tensor twice
sd['t'] = w.t()                     # a strided view
sd['row'] = w[5]                    # an offset view
sd['h'] = torch.randn(1000).half()
sd['i'] = torch.arange(12345, dtype=torch.int64)
sd['b'] = torch.tensor([True, False, True])
sd['s'] = torch.tensor(3.5)
sd['e'] = torch.empty(0, 4)
for i in range(50):
    sd[f'small{i}'] = torch.full((i + 1,), float(i))
torch.save(sd, ')PY",
                                          *d, R"PY(/cpu.pt')
ser.location_tag = lambda storage: 'cuda:0'
torch.save(sd, ')PY",
                                          *d, R"PY(/cuda.pt')
)PY");
    absl::StatusOr<::hub::testing::CommandResult> r =
        ::hub::testing::RunCommand({"/usr/bin/python3", "-c", code});
    if (!r.ok() || r->exit_code != 0) {
      ADD_FAILURE() << (r.ok() ? r->output : r.status().ToString());
    }
    return d;
  }();
  return *dir;
}

std::vector<std::pair<std::string, at::Tensor>> StateDictOf(const absl::StatusOr<Checkpoint>& c) {
  EXPECT_THAT(c, IsOk());
  if (!c.ok()) return {};
  absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> sd = ExtractStateDict(c->value);
  EXPECT_THAT(sd, IsOk());
  return sd.ok() ? *sd : std::vector<std::pair<std::string, at::Tensor>>{};
}

TEST(MapLocationTest, PackedTransfersKeepValuesLayoutAndSharing) {
  const auto plain = StateDictOf(LoadCheckpoint(Fixtures() + "/cpu.pt"));
  for (const size_t chunk : {size_t{512}, size_t{1000}, size_t{4096}, size_t{1} << 20}) {
    LoadOptions options;
    options.batch_cpu_transfers = true;
    options.transfer_chunk_bytes = chunk;
    const auto packed = StateDictOf(LoadCheckpoint(Fixtures() + "/cpu.pt", options));
    ASSERT_EQ(packed.size(), plain.size());
    for (size_t i = 0; i < plain.size(); ++i) {
      const at::Tensor& a = plain[i].second;
      const at::Tensor& b = packed[i].second;
      EXPECT_EQ(packed[i].first, plain[i].first);
      EXPECT_EQ(b.dtype(), a.dtype()) << plain[i].first;
      EXPECT_EQ(b.sizes(), a.sizes()) << plain[i].first;
      EXPECT_EQ(b.strides(), a.strides()) << plain[i].first;
      EXPECT_TRUE(at::equal(a, b)) << plain[i].first << " chunk " << chunk;
      // Moved: not the file's memory any more.
      if (a.numel() > 0) {
        EXPECT_NE(b.data_ptr(), a.data_ptr()) << plain[i].first;
      }
    }
    // Tied weights stay tied, views stay views.
    const at::Tensor& w = packed[0].second;
    EXPECT_EQ(packed[1].second.data_ptr(), w.data_ptr());
    EXPECT_TRUE(packed[2].second.storage().is_alias_of(w.storage()));
    EXPECT_EQ(packed[3].second.data_ptr<float>(),
              w.data_ptr<float>() + ptrdiff_t{85});  // row 5 of 17
    packed[3].second.fill_(7);
    EXPECT_EQ(w[5][0].item<float>(), 7.0f);
  }
}

TEST(MapLocationTest, StoragesSavedOnAGpu) {
  const std::string path = Fixtures() + "/cuda.pt";
  if (at::hasCUDA()) GTEST_SKIP() << "this libtorch has CUDA: the CPU-only errors don't apply";
  // As saved (torch.load's None) needs the GPU, as in torch.load.
  EXPECT_THAT(LoadCheckpoint(path, {.map_location = ""}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("map the storages to the CPU with map_location=\"cpu\"")));
  EXPECT_THAT(LoadCheckpoint(path, {.map_location = "cuda:1=cpu"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const auto on_cpu = StateDictOf(LoadCheckpoint(path, {.map_location = "cpu"}));
  const auto remapped = StateDictOf(LoadCheckpoint(path, {.map_location = "cuda:0=cpu"}));
  const auto plain = StateDictOf(LoadCheckpoint(Fixtures() + "/cpu.pt"));
  ASSERT_EQ(on_cpu.size(), plain.size());
  ASSERT_EQ(remapped.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_TRUE(on_cpu[i].second.is_cpu());
    EXPECT_TRUE(at::equal(on_cpu[i].second, plain[i].second)) << plain[i].first;
    EXPECT_TRUE(at::equal(remapped[i].second, plain[i].second)) << plain[i].first;
  }
}

}  // namespace
}  // namespace hub::checkpoint
