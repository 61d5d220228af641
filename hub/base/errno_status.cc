#include "hub/base/errno_status.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace hub {

absl::StatusCode ErrnoToCode(int error_number) {
  switch (error_number) {
    case 0:
      return absl::StatusCode::kOk;
    case ENOENT:
    case ENOTDIR:
    case ESRCH:
      return absl::StatusCode::kNotFound;
    case EEXIST:
    case ENOTEMPTY:
      return absl::StatusCode::kAlreadyExists;
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::StatusCode::kPermissionDenied;
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case ENOMEM:
    case EFBIG:
      return absl::StatusCode::kResourceExhausted;
    case EINVAL:
    case ENAMETOOLONG:
    case EISDIR:
    case ELOOP:
    case EBADF:
      return absl::StatusCode::kInvalidArgument;
    case EINTR:
    case ECANCELED:
      return absl::StatusCode::kCancelled;
    case EAGAIN:
    case EBUSY:
    case ETIMEDOUT:
    case ECONNREFUSED:
    case ECONNRESET:
      return absl::StatusCode::kUnavailable;
    case ENOSYS:
    case ENOTSUP:
      return absl::StatusCode::kUnimplemented;
    case EXDEV:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kUnknown;
  }
}

absl::Status ErrnoToStatus(int error_number, absl::string_view what) {
  char buffer[256];
  // GNU strerror_r returns the message, which may or may not be `buffer`.
  const char* reason = strerror_r(error_number, buffer, sizeof(buffer));
  return absl::Status(ErrnoToCode(error_number), absl::StrCat(what, ": ", reason));
}

}  // namespace hub
