#include "hub/trust/prompter.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"

namespace hub {

absl::StatusOr<std::string> TerminalPrompter::Ask(absl::string_view question) {
  if (!isatty(STDIN_FILENO)) {
    return absl::FailedPreconditionError(
        "standard input is not a terminal, so nobody can be asked");
  }
  std::cout << question << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    return absl::FailedPreconditionError("no answer: standard input ended");
  }
  if (!answer.empty() && answer.back() == '\r') answer.pop_back();
  return answer;
}

void TerminalPrompter::Tell(absl::string_view message) { std::cout << message << std::endl; }

}  // namespace hub
