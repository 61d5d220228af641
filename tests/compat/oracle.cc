#include "tests/compat/oracle.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "hub/base/status_macros.h"
#include "hub/base/test_dirs.h"
#include "tests/servers/subprocess.h"

namespace hub::testing {

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }
std::string Unhex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

absl::StatusOr<std::vector<std::vector<std::string>>> AskTorchHub(
    absl::string_view command, const std::vector<std::vector<std::string>>& cases) {
  const std::string script = RunfilePath("tests/compat/torch_hub_oracle.py");
  const std::string input = absl::StrCat(TestDir("oracle"), "/cases.txt");
  {
    std::ofstream out(input, std::ios::binary);
    for (const std::vector<std::string>& c : cases) out << absl::StrJoin(c, "\t") << "\n";
  }
  HUB_ASSIGN_OR_RETURN(CommandResult r,
                       RunCommand({"/usr/bin/python3", script, std::string(command)},
                                  {.stdin_path = input, .separate_stderr = true}));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("torch_hub_oracle.py ", command, " exited ",
                                            r.exit_code, ": ", r.error_output));
  }
  std::vector<std::vector<std::string>> answers;
  for (absl::string_view line : absl::StrSplit(r.output, '\n', absl::SkipEmpty())) {
    answers.push_back(absl::StrSplit(line, '\t'));
  }
  if (answers.size() != cases.size()) {
    return absl::InternalError(absl::StrCat("torch_hub_oracle.py gave ", answers.size(),
                                            " answers to ", cases.size(), " cases"));
  }
  return answers;
}

}  // namespace hub::testing
