// A Prompter for tests: scripted answers, recorded questions and messages.
//
//   hub::FakePrompter prompter({"y"});
//   ... CheckRepoIsTrusted(..., {.prompter = &prompter}) ...
//   EXPECT_THAT(prompter.questions(), ElementsAre(HasSubstr("(y/N)?")));

#ifndef HUB_TRUST_FAKE_PROMPTER_H_
#define HUB_TRUST_FAKE_PROMPTER_H_

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "hub/trust/prompter.h"

namespace hub {

class FakePrompter : public Prompter {
 public:
  explicit FakePrompter(std::vector<std::string> answers = {})
      : answers_(answers.begin(), answers.end()) {}

  // Ask fails with `status` once the scripted answers run out (by default
  // as TerminalPrompter does without a terminal).
  void set_exhausted_status(absl::Status status) { exhausted_ = std::move(status); }

  absl::StatusOr<std::string> Ask(absl::string_view question) override {
    questions_.emplace_back(question);
    if (answers_.empty()) return exhausted_;
    std::string answer = std::move(answers_.front());
    answers_.pop_front();
    return answer;
  }

  void Tell(absl::string_view message) override { messages_.emplace_back(message); }

  const std::vector<std::string>& questions() const { return questions_; }
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::deque<std::string> answers_;
  absl::Status exhausted_ = absl::FailedPreconditionError("no scripted answer left");
  std::vector<std::string> questions_;
  std::vector<std::string> messages_;
};

}  // namespace hub

#endif  // HUB_TRUST_FAKE_PROMPTER_H_
