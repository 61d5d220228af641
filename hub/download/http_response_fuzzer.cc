// Fuzzes the response-head parsers with what a server could send.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "hub/download/http_response.h"
#include "tools/fuzzing/fuzz_target.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  hub::HttpResponseHead head;
  for (absl::string_view line : absl::StrSplit(input, '\n')) head.AddLine(line);
  Check(head.status == 0 || (head.status >= 100 && head.status <= 599));
  Check(head.content_length >= -1);
  if (auto r = hub::ParseContentRange(head.content_range)) {
    Check(r->start >= 0 && r->end >= r->start && (r->total == -1 || r->total > r->end));
  }
  if (auto r = hub::ParseContentRange(input)) {
    Check(r->start >= 0 && r->end >= r->start && (r->total == -1 || r->total > r->end));
  }
  if (auto total = hub::ParseUnsatisfiedRange(input)) Check(*total >= 0);
  if (auto d = hub::ParseRetryAfter(input, absl::UnixEpoch())) Check(*d >= absl::ZeroDuration());
  return 0;
}
