// Turns a POSIX errno into an absl::Status with a canonical code.
//
//   if (::mkdir(path.c_str(), 0777) != 0 && errno != EEXIST) {
//     return hub::ErrnoToStatus(errno, absl::StrCat("creating ", path));
//   }
//
// The message reads "<what>: <strerror> (errno <n>)", so callers say what
// they were doing and where, and the reason follows.

#ifndef HUB_BASE_ERRNO_STATUS_H_
#define HUB_BASE_ERRNO_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hub {

// The canonical code for `error_number` (ENOENT -> kNotFound, EACCES ->
// kPermissionDenied, ENOSPC -> kResourceExhausted, ...); kUnknown otherwise.
absl::StatusCode ErrnoToCode(int error_number);

// A status with ErrnoToCode(error_number) and the message
// "<what>: <strerror(error_number)>".
absl::Status ErrnoToStatus(int error_number, absl::string_view what);

}  // namespace hub

#endif  // HUB_BASE_ERRNO_STATUS_H_
