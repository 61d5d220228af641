// A torch.save checkpoint over 4 GiB: its sizes and offsets only fit the
// zip64 fields. The file is written sparse (Python's torch.save through a
// file object that seeks over the big record), so the test costs no disk
// and no memory; the record reads back as zeros.
#include <ATen/ATen.h>

#include <string>

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

constexpr char kWriteSparse[] = R"PY(
import collections, sys, torch
class Sparse:
    def __init__(self, f): self.f = f
    def write(self, b):
        n = len(memoryview(b))
        if n >= (64 << 20): self.f.seek(n, 1)  # a hole: reads back as zeros
        else: self.f.write(b)
        return n
    def flush(self): self.f.flush()
sd = collections.OrderedDict()
sd['big'] = torch.empty((4 << 30) // 4 + 1000)  # untouched pages: no memory used
sd['after'] = torch.arange(10, dtype=torch.float32)  # its record starts past 4 GiB
with open(sys.argv[1], 'wb') as f:
    torch.save(sd, Sparse(f))
    f.truncate()
)PY";

TEST(Zip64Test, LoadsACheckpointOverFourGib) {
  const std::string path = absl::StrCat(::hub::testing::TestDir("zip64"), "/big.pt");
  absl::StatusOr<::hub::testing::CommandResult> py =
      ::hub::testing::RunCommand({"/usr/bin/python3", "-c", kWriteSparse, path});
  ASSERT_TRUE(py.ok() && py->exit_code == 0) << (py.ok() ? py->output : py.status().ToString());

  absl::StatusOr<Checkpoint> c = LoadCheckpoint(path);  // zero-copy: nothing read up front
  ASSERT_THAT(c, IsOk());
  const Value* big = c->value.Find("big");
  const Value* after = c->value.Find("after");
  ASSERT_NE(big, nullptr);
  ASSERT_NE(after, nullptr);
  const int64_t n = (int64_t{4} << 30) / 4 + 1000;
  ASSERT_EQ(big->tensor().numel(), n);
  EXPECT_EQ(big->tensor()[0].item<float>(), 0.0f);
  EXPECT_EQ(big->tensor()[n - 1].item<float>(), 0.0f);
  EXPECT_TRUE(at::equal(after->tensor(), at::arange(10, at::kFloat)));
}

}  // namespace
}  // namespace hub::checkpoint
