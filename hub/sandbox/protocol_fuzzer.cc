// Fuzzes every parser of what the sandbox's worker sends (protocol.h's
// answers, requests and replies; value.h's plain data): whatever the bytes,
// each returns; a refusal says why; an accepted message encodes back to the
// same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hub/sandbox/protocol.h"
#include "hub/sandbox/value.h"
#include "tools/fuzzing/fuzz_target.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

template <typename T>
void CheckRefusal(const absl::StatusOr<T>& r) {
  if (!r.ok()) Check(!r.status().message().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckRefusal(hub::sandbox::ParseAnswer(bytes));
  const absl::StatusOr<hub::sandbox::LoadAnswer> answer = hub::sandbox::ParseLoadAnswer(bytes);
  CheckRefusal(answer);
  if (answer.ok()) Check(hub::sandbox::EncodeLoadAnswer(*answer) == bytes);
  // Parsed in place, the same verdict and the same answer.
  const absl::StatusOr<hub::sandbox::LoadAnswer> taken =
      hub::sandbox::ParseLoadAnswerTakingBody(std::string(bytes));
  Check(taken.ok() == answer.ok() && taken.status() == answer.status());
  if (taken.ok()) Check(hub::sandbox::EncodeLoadAnswer(*taken) == bytes);
  const absl::StatusOr<hub::sandbox::WorkerRequest> request =
      hub::sandbox::ParseWorkerRequest(bytes);
  CheckRefusal(request);
  if (request.ok()) Check(hub::sandbox::EncodeWorkerRequest(*request) == bytes);
  CheckRefusal(hub::sandbox::ParseReply(bytes));
  CheckRefusal(hub::sandbox::ParseLoadRequest(bytes));
  const absl::StatusOr<hub::HubValue> value = hub::sandbox::ParseValue(bytes);
  CheckRefusal(value);
  if (value.ok()) {
    const absl::StatusOr<std::string> again = hub::sandbox::EncodeValue(*value);
    Check(again.ok() && *again == bytes);
  }
  return 0;
}
