// The messages that cross the sandbox's boundary, and their strict parser.
//
// The parent and the worker (hub/sandbox/worker.h) share one AF_UNIX
// socketpair. Each message is a frame:
//
//   u32 length (big-endian)  | length bytes of payload
//   payload = u8 kind        | the kind's body
//
//   kind 'D' (parent -> worker)  describe:    string repo_dir
//   kind 'd' (worker -> parent)  description: list entrypoints,
//                                list<string, u8 has_doc, string doc> docs,
//                                string help_error, list sys_path,
//                                list module_files
//   kind 'e' (worker -> parent)  error:       u8 absl::StatusCode, string message
//
// where string = u32 length + bytes and list = u32 count + that many strings.
// The worker's side is untrusted: the parent checks the declared length
// against its cap before reading the body, and ParseAnswer accepts a body only
// when every field is in bounds, no string holds a NUL byte, an entry name is
// non-empty and has no control characters, the code is a canonical error code
// and nothing is left over. Anything else is kDataLoss naming what was wrong.
//
//   std::string frame = hub::sandbox::EncodeFrame(
//       hub::sandbox::EncodeDescribeRequest("/repo"));
//   absl::StatusOr<hub::HubconfDescription> d = hub::sandbox::ParseAnswer(payload);
//
// Pure computation: no I/O. Thread-safe.
#ifndef HUB_SANDBOX_PROTOCOL_H_
#define HUB_SANDBOX_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/hubconf/entry_cache.h"

namespace hub::sandbox {

inline constexpr size_t kFrameHeaderBytes = 4;
inline constexpr char kDescribeRequest = 'D';
inline constexpr char kDescriptionAnswer = 'd';
inline constexpr char kErrorAnswer = 'e';

// The 4-byte length header followed by `payload`.
std::string EncodeFrame(absl::string_view payload);

// The payload length a header declares (`header` holds at least 4 bytes).
uint32_t DecodeFrameLength(absl::string_view header);

// Payloads.
std::string EncodeDescribeRequest(absl::string_view repo_dir);
std::string EncodeDescription(const HubconfDescription& description);
std::string EncodeError(const absl::Status& status);

// A describe request's repo dir; kDataLoss for anything else.
absl::StatusOr<std::string> ParseDescribeRequest(absl::string_view payload);

// The worker's answer: its description, or the error it reported (with the
// worker's code and message), or kDataLoss for a malformed payload.
absl::StatusOr<HubconfDescription> ParseAnswer(absl::string_view payload);

}  // namespace hub::sandbox

#endif  // HUB_SANDBOX_PROTOCOL_H_
