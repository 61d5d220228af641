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
//   kind 'L' (parent -> worker)  load:        string repo_dir, string entry,
//                                bytes args, u8 torchscript, bytes example_inputs
//   kind 'm' | 't' | 'v' (worker -> parent)  the loaded entry (LoadAnswer):
//                                string type_name, string method, bytes body
//   kind 'U' (worker -> parent)  a request mid-load (WorkerRequest): u8 kind,
//                                string url, string file_name, u8 check_hash,
//                                string hash_prefix, string source
//   kind 'r' (parent -> worker)  its reply: u8 0 + string path, or
//                                u8 absl::StatusCode + string message
//
// where string = u32 length + bytes (no NUL), bytes = u32 length + any
// bytes, and list = u32 count + that many strings. A describe is one request
// and one answer; a load is a conversation: the load request, then any number
// of worker requests each answered by a reply, then one answer ('m', 't',
// 'v' or 'e').
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
inline constexpr char kLoadRequest = 'L';
inline constexpr char kModuleAnswer = 'm';
inline constexpr char kTensorsAnswer = 't';
inline constexpr char kValueAnswer = 'v';
inline constexpr char kWorkerRequest = 'U';
inline constexpr char kReply = 'r';

// What the parent asks the worker to load. `args` and `example_inputs` are
// opaque here (hub/sandbox/load.h encodes them).
struct LoadRequest {
  std::string repo_dir;
  std::string entry;
  std::string args;
  bool torchscript = true;
  std::string example_inputs;  // "": none
};

// What the worker loaded, still untrusted bytes: kModule a TorchScript
// archive (`method` "scripted" or "traced"), kTensors a torch.save file of a
// tensor or a dict of str -> tensor, kValue plain data (load.h's encoding).
struct LoadAnswer {
  enum class Kind : char {
    kModule = kModuleAnswer,
    kTensors = kTensorsAnswer,
    kValue = kValueAnswer
  };
  Kind kind = Kind::kValue;
  std::string type_name;  // the Python type, "module.QualName"
  std::string method;
  std::string body;
};

// A hubconf's call that the worker forwards to the parent instead of doing
// it (it has no network, and the parent keeps the rules).
struct WorkerRequest {
  enum class Kind : uint8_t {
    kLoadStateDictFromUrl = 1,  // torch.hub.load_state_dict_from_url
    kDownloadUrlToFile = 2,     // torch.hub.download_url_to_file
    kHubLoad = 3,               // torch.hub.load of another repo
  };
  Kind kind = Kind::kLoadStateDictFromUrl;
  std::string url;        // the URL; kHubLoad: the repo ("owner/name[:ref]")
  std::string file_name;  // load_state_dict_from_url's file_name; "" for none
  bool check_hash = false;
  std::string hash_prefix;  // download_url_to_file's; "" for none
  std::string source;       // kHubLoad: "github"
};

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

std::string EncodeLoadRequest(const LoadRequest& request);
// kDataLoss unless `payload` is a well-formed load request.
absl::StatusOr<LoadRequest> ParseLoadRequest(absl::string_view payload);

std::string EncodeLoadAnswer(const LoadAnswer& answer);
// The frame of EncodeLoadAnswer(answer) up to where answer.body begins:
// EncodeLoadAnswerFrameHead(a) + a.body == EncodeFrame(EncodeLoadAnswer(a)).
// The worker writes the two one after the other, so a module's archive is
// never copied into a frame.
std::string EncodeLoadAnswerFrameHead(const LoadAnswer& answer);
// The worker's final answer to a load: what it loaded, or the error it
// reported, or kDataLoss for a malformed payload (a describe answer too).
absl::StatusOr<LoadAnswer> ParseLoadAnswer(absl::string_view payload);
// The same, checked the same way; the body is moved out of `payload`
// rather than copied (an archive can be hundreds of megabytes).
absl::StatusOr<LoadAnswer> ParseLoadAnswerTakingBody(std::string payload);

std::string EncodeWorkerRequest(const WorkerRequest& request);
// kDataLoss unless `payload` is a well-formed worker request: a known kind,
// a non-empty URL of at most 8 KiB, no control characters anywhere.
absl::StatusOr<WorkerRequest> ParseWorkerRequest(absl::string_view payload);

// The parent's reply to a worker request: the path of what it made, or why
// not.
std::string EncodeReply(const absl::StatusOr<std::string>& path);
absl::StatusOr<std::string> ParseReply(absl::string_view payload);

// The worker's answer: its description, or the error it reported (with the
// worker's code and message), or kDataLoss for a malformed payload.
absl::StatusOr<HubconfDescription> ParseAnswer(absl::string_view payload);

}  // namespace hub::sandbox

#endif  // HUB_SANDBOX_PROTOCOL_H_
