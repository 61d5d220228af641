// Pickles whose work grows faster than their length ("growth bombs"), made
// here at test time: each must stop with kResourceExhausted, and a process
// that unpickles one must stay within a bounded amount of memory.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/base/status_matchers.h"
#include "hub/checkpoint/pickle.h"

#if defined(__SANITIZE_ADDRESS__)
#define HUB_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HUB_TEST_ASAN 1
#endif
#endif

namespace hub::checkpoint {
namespace {

using ::hub::testing::IsOk;
using ::hub::testing::StatusIs;
using ::testing::HasSubstr;

// Each bomb is about this long: the size at which the unbounded machine
// reached gigabytes.
constexpr size_t kBombBytes = 100'000;

#define BYTES(literal) std::string(literal, sizeof(literal) - 1)

std::string Byte(int b) { return std::string(1, static_cast<char>(b)); }

std::string Le32(uint32_t n) {
  std::string s(4, '\0');
  for (int k = 0; k < 4; ++k) s[k] = static_cast<char>(n >> (8 * k));
  return s;
}

// BINUNICODE: a str of `n` 'a's.
std::string Str(size_t n) { return "X" + Le32(static_cast<uint32_t>(n)) + std::string(n, 'a'); }

// A list of `n` references to the object `item` pushes (DUP'd), memo 0.
std::string ListOfDups(const std::string& item, size_t n) {
  return "](" + item + std::string(n - 1, '2') + "eq" + Byte(0) + "0";
}

// Memo 1 := `global`, then `call` (which uses memo 0 and 1 and leaves
// nothing on the stack) until the pickle is `bytes` long; it returns None.
std::string CallUntil(std::string pickle, const std::string& global, const std::string& call,
                      size_t bytes) {
  absl::StrAppend(&pickle, "c", global, "\nq", Byte(1), "0");
  while (pickle.size() + call.size() + 2 <= bytes) pickle += call;
  return pickle + "N.";
}

// set(L) copies L, a list of n elements, each time: n * bytes / 7 copies.
std::string SetCopies(size_t bytes) {
  return CallUntil(ListOfDups("N", bytes / 2), "builtins\nset", BYTES("h\x01h\x00\x85R0"), bytes);
}

// torch.Size(L) of a list copies it likewise.
std::string SizeCopies(size_t bytes) {
  return CallUntil(ListOfDups("K\x01", bytes / 2), "torch\nSize", BYTES("h\x01h\x00\x85R0"), bytes);
}

// OrderedDict(L) of n distinct (key, None) pairs builds an n-entry dict per call.
std::string OrderedDictCopies(size_t bytes) {
  std::string list = "](";
  for (uint32_t i = 0; list.size() < bytes / 2; ++i) absl::StrAppend(&list, "J", Le32(i), "N\x86");
  absl::StrAppend(&list, "eq", Byte(0), "0");
  return CallUntil(list, "collections\nOrderedDict", BYTES("h\x01h\x00\x85R0"), bytes);
}

// _codecs.encode(s, 'latin1') of a long str copies it per call.
std::string EncodeCopies(size_t bytes) {
  std::string p = Str(bytes / 2) + "q" + Byte(0) + "0" + "X" + Le32(6) + "latin1q" + Byte(2) + "0";
  return CallUntil(p, "_codecs\nencode", BYTES("h\x01h\x00h\x02\x86R0"), bytes);
}

// torch.device(s) of a long str copies it per call.
std::string DeviceCopies(size_t bytes) {
  return CallUntil(Str(bytes / 2) + "q" + Byte(0) + "0", "torch\ndevice", BYTES("h\x01h\x00\x85R0"),
                   bytes);
}

// DUP + TUPLE2, repeated: (x, x), ((x, x), (x, x)), ... 2^k leaves, which
// the owned result tree would copy.
std::string DupTupleDoubling(const std::string& leaf) {
  std::string p = leaf;
  for (int k = 0; k < 60; ++k) p += "2\x86";
  return p + ".";
}

// Memo + GET: level i is [level i-1, level i-1].
std::string MemoListDoubling() {
  std::string p = BYTES(
      "](K\x00K\x00"
      "eq\x00"
      "0");
  for (int i = 1; i <= 60; ++i) {
    absl::StrAppend(&p, "](h", Byte(i - 1), "h", Byte(i - 1), "eq", Byte(i), "0");
  }
  return p + "h" + Byte(60) + ".";
}

// A dict whose every value is the same big list (memo GET): the result
// copies the list per entry.
std::string DictOfSharedLists(size_t bytes) {
  std::string p = ListOfDups("N", bytes / 2) + "}(";
  for (uint32_t i = 0; p.size() + 10 < bytes; ++i) absl::StrAppend(&p, "J", Le32(i), "h", Byte(0));
  return p + "u.";
}

struct Bomb {
  const char* name;
  std::string pickle;
};

std::vector<Bomb> Bombs() {
  return {
      {"set(list) per call", SetCopies(kBombBytes)},
      {"torch.Size(list) per call", SizeCopies(kBombBytes)},
      {"OrderedDict(pairs) per call", OrderedDictCopies(kBombBytes)},
      {"_codecs.encode(str) per call", EncodeCopies(kBombBytes)},
      {"torch.device(str) per call", DeviceCopies(kBombBytes)},
      {"DUP + TUPLE2 doubling of None", DupTupleDoubling("N")},
      {"DUP + TUPLE2 doubling of a str", DupTupleDoubling(Str(kBombBytes / 2))},
      {"memo GET list doubling", MemoListDoubling()},
      {"dict of one shared list", DictOfSharedLists(kBombBytes)},
  };
}

TEST(PickleGrowthTest, BombsFailFastWithResourceExhausted) {
  for (const Bomb& bomb : Bombs()) {
    EXPECT_THAT(Unpickle(bomb.pickle, nullptr),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         HasSubstr("does too much work for its size")))
        << bomb.name << " (" << bomb.pickle.size() << " bytes)";
  }
}

TEST(PickleGrowthTest, DenseHonestPicklesStillLoad) {
  // Real pickles build an object or two per few bytes; these are as dense as
  // pickle gets without sharing, and the budget must admit them.
  const size_t n = 200'000;
  std::string nones = "](" + std::string(n, 'N') + "e.";
  absl::StatusOr<UnpickleResult> r = Unpickle(nones, nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->value.items().size(), n);
  // Protocol 4: a list of distinct empty dicts, each memoized.
  std::string dicts = "\x80\x04](";
  for (size_t k = 0; k < n; ++k) dicts += "}\x94";
  dicts += "e.";
  r = Unpickle(dicts, nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->value.items().size(), n);
  // A shared reference is copied into the result, within the budget.
  const std::string shared = BYTES(
      "](K\x01K\x02K\x03"
      "eq\x00h\x00\x86.");
  r = Unpickle(shared, nullptr);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->value.items()[1].items().size(), 3U);
}

// Peak memory, measured from outside: each bomb runs in a child process and
// the parent reads the children's peak resident set (getrusage). The bound
// is generous; without the work budget these reach gigabytes.
constexpr int64_t kMaxGrowthKb = int64_t{200} * 1024;

// Runs `pickle` in a child; true when the child saw kResourceExhausted.
bool UnpickleInChild(const std::string& pickle) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
#ifndef HUB_TEST_ASAN
    // Keep an unbounded machine from taking the host down: it fails here
    // instead (ASan reserves too much address space for this limit).
    int64_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const rlim_t limit = static_cast<rlim_t>(pages) * sysconf(_SC_PAGESIZE) + (rlim_t{1} << 30);
    const rlimit rl = {limit, limit};
    setrlimit(RLIMIT_AS, &rl);
#endif
    try {
      const absl::StatusOr<UnpickleResult> r = Unpickle(pickle, nullptr);
      _exit(!r.ok() && r.status().code() == absl::StatusCode::kResourceExhausted ? 0 : 1);
    } catch (...) {  // std::bad_alloc at the limit above
      _exit(2);
    }
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int64_t ChildrenPeakKb() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_maxrss;
}

TEST(PickleGrowthTest, BombsStayWithinBoundedMemory) {
  // The baseline: a child that unpickles next to nothing.
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) _exit(Unpickle("N.", nullptr).ok() ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  const int64_t baseline_kb = ChildrenPeakKb();
  for (const Bomb& bomb : Bombs()) {
    EXPECT_TRUE(UnpickleInChild(bomb.pickle)) << bomb.name << ": no kResourceExhausted";
    const int64_t growth_kb = ChildrenPeakKb() - baseline_kb;
    EXPECT_LT(growth_kb, kMaxGrowthKb)
        << bomb.name << " (" << bomb.pickle.size() << " bytes) grew a process by " << growth_kb
        << " KiB (the children's peak so far)";
  }
}

}  // namespace
}  // namespace hub::checkpoint
