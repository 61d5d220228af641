// Early-return helpers for absl::Status and absl::StatusOr.
//
// Debian's Abseil (20220623) ships neither RETURN_IF_ERROR nor
// ASSIGN_OR_RETURN; these are ours, prefixed so they can't clash with a
// consumer's own.
//
//   absl::StatusOr<Config> Load(absl::string_view path) {
//     HUB_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     HUB_RETURN_IF_ERROR(Validate(text));
//     return Parse(text);
//   }

#ifndef HUB_BASE_STATUS_MACROS_H_
#define HUB_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns `expr`'s status from the enclosing function when it is not OK.
// `expr` is an absl::Status or absl::StatusOr<T>.
#define HUB_RETURN_IF_ERROR(expr)                                 \
  do {                                                            \
    ::absl::Status hub_status_ = ::hub::internal::ToStatus(expr); \
    if (!hub_status_.ok()) return hub_status_;                    \
  } while (false)

// Evaluates `expr` (an absl::StatusOr<T>); returns its status when not OK,
// otherwise moves the value into `lhs` (a declaration or an lvalue).
#define HUB_ASSIGN_OR_RETURN(lhs, expr) \
  HUB_ASSIGN_OR_RETURN_IMPL_(HUB_STATUS_CONCAT_(hub_statusor_, __LINE__), lhs, expr)

#define HUB_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)    \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#define HUB_STATUS_CONCAT_INNER_(a, b) a##b
#define HUB_STATUS_CONCAT_(a, b) HUB_STATUS_CONCAT_INNER_(a, b)

namespace hub::internal {

inline const absl::Status& ToStatus(const absl::Status& status) { return status; }

template <typename T>
const absl::Status& ToStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace hub::internal

#endif  // HUB_BASE_STATUS_MACROS_H_
