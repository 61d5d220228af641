#include "hub/fs/tree_links.h"

#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace hub {

LinkEscape ResolveTreeLink(
    absl::string_view link_path, absl::string_view target,
    absl::FunctionRef<const std::string*(const std::string& path)> target_of) {
  std::vector<std::string> stack = absl::StrSplit(link_path, '/');
  stack.pop_back();  // the link's own directory
  std::deque<std::string> todo;
  auto push = [&todo](absl::string_view text) {
    if (text.empty()) return LinkEscape::kNoTarget;
    if (text[0] == '/') return LinkEscape::kAbsolute;
    std::vector<std::string> parts = absl::StrSplit(text, '/');
    todo.insert(todo.begin(), parts.begin(), parts.end());
    return LinkEscape::kNone;
  };
  if (const LinkEscape e = push(target); e != LinkEscape::kNone) return e;
  int hops = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (stack.empty()) return LinkEscape::kOutside;
      stack.pop_back();
      continue;
    }
    stack.push_back(std::move(part));
    if (const std::string* next = target_of(absl::StrJoin(stack, "/")); next != nullptr) {
      if (++hops > kMaxTreeLinkHops) return LinkEscape::kLoop;
      stack.pop_back();
      if (const LinkEscape e = push(*next); e != LinkEscape::kNone) return e;
    }
  }
  return LinkEscape::kNone;
}

}  // namespace hub
