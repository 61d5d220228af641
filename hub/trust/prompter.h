// How the trust check talks to a person: torch.hub's `input()` and `print()`.
//
// TerminalPrompter asks on the terminal; tests use FakePrompter
// (fake_prompter.h); a GUI or a service can implement its own.

#ifndef HUB_TRUST_PROMPTER_H_
#define HUB_TRUST_PROMPTER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hub {

class Prompter {
 public:
  virtual ~Prompter() = default;

  // Shows `question` and returns the answer (one line, without its line
  // break). Fails when nobody can answer.
  virtual absl::StatusOr<std::string> Ask(absl::string_view question) = 0;

  // Shows a message that needs no answer.
  virtual void Tell(absl::string_view message) = 0;
};

// Asks on stdout and reads the answer from stdin, as Python's input() does,
// but only when stdin is a terminal: otherwise Ask fails at once
// (kFailedPrecondition) instead of waiting for input that will never come
// or taking whatever a pipe holds as consent.
class TerminalPrompter : public Prompter {
 public:
  absl::StatusOr<std::string> Ask(absl::string_view question) override;
  void Tell(absl::string_view message) override;
};

}  // namespace hub

#endif  // HUB_TRUST_PROMPTER_H_
