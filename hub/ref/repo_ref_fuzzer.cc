// Fuzzes ParseRepoRef and checks what it promises of every accepted string.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "hub/ref/repo_ref.h"
#include "tools/fuzzing/fuzz_target.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<hub::RepoRef> r = hub::ParseRepoRef(input);
  if (!r.ok()) {
    Check(r.status().code() == absl::StatusCode::kInvalidArgument);
    Check(!r.status().message().empty());
    return 0;
  }
  Check(!r->owner.empty() && !r->name.empty());
  Check(r->ToString() == input);
  const std::string dir = r->OwnerName() + "_" + hub::NormalizeRef(r->ref.value_or("main"));
  // Nothing that could leave the hub dir, or be a hidden entry in it.
  Check(!absl::StrContains(dir, '/') && !absl::StrContains(dir, '\\'));
  Check(!absl::StrContains(dir, std::string(1, '\0')));
  Check(!absl::StrContains(dir, ".."));
  Check(dir[0] != '.' && dir[0] != '-');
  Check(dir.size() <= hub::kMaxRepoDirNameBytes + 4);
  for (char c : input) Check(static_cast<unsigned char>(c) > 0x20 && c != 0x7f);
  // Parsing is stable.
  absl::StatusOr<hub::RepoRef> again = hub::ParseRepoRef(r->ToString());
  Check(again.ok() && *again == *r);
  Check(hub::ValidateRepoRef(*r).ok());
  return 0;
}
