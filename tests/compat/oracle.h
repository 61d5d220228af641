// Asks Python's torch.hub (tests/compat/torch_hub_oracle.py under
// /usr/bin/python3) about many cases in one run, for side-by-side tests.
//
//   HUB_ASSERT_OK_AND_ASSIGN(auto answers,
//       AskTorchHub("parse", {{Hex("pytorch/vision:v0.10.0")}}));
//   answers[0][0] == "OK"; Unhex(answers[0][1]) == "pytorch";

#ifndef TESTS_COMPAT_ORACLE_H_
#define TESTS_COMPAT_ORACLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub::testing {

// One answer (tab-separated fields) per case (fields joined with tabs).
absl::StatusOr<std::vector<std::vector<std::string>>> AskTorchHub(
    absl::string_view command, const std::vector<std::vector<std::string>>& cases);

std::string Hex(absl::string_view bytes);
std::string Unhex(absl::string_view hex);

}  // namespace hub::testing

#endif  // TESTS_COMPAT_ORACLE_H_
