#include "hub/sandbox/protocol.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hub/base/status_macros.h"

namespace hub::sandbox {
namespace {

void PutU32(uint32_t v, std::string* out) {
  out->push_back(static_cast<char>((v >> 24) & 0xff));
  out->push_back(static_cast<char>((v >> 16) & 0xff));
  out->push_back(static_cast<char>((v >> 8) & 0xff));
  out->push_back(static_cast<char>(v & 0xff));
}

void PutString(absl::string_view s, std::string* out) {
  PutU32(static_cast<uint32_t>(s.size()), out);
  out->append(s.data(), s.size());
}

void PutList(const std::vector<std::string>& list, std::string* out) {
  PutU32(static_cast<uint32_t>(list.size()), out);
  for (const std::string& s : list) PutString(s, out);
}

// Reads fields off an untrusted payload; each getter fails rather than read
// past the end.
class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}

  absl::StatusOr<uint8_t> U8(absl::string_view what) {
    if (data_.empty()) return Truncated(what);
    const auto v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return v;
  }

  absl::StatusOr<uint32_t> U32(absl::string_view what) {
    if (data_.size() < 4) return Truncated(what);
    const uint32_t v = DecodeFrameLength(data_);
    data_.remove_prefix(4);
    return v;
  }

  absl::StatusOr<std::string> String(absl::string_view what) {
    HUB_ASSIGN_OR_RETURN(const uint32_t size, U32(what));
    if (size > data_.size()) return Truncated(what);
    std::string s(data_.substr(0, size));
    data_.remove_prefix(size);
    if (s.find('\0') != std::string::npos) {
      return absl::DataLossError(
          absl::StrCat("the sandbox worker sent ", what, " with a NUL byte"));
    }
    return s;
  }

  // Steps over `size` bytes (a body parsed in place).
  absl::Status Skip(size_t size, absl::string_view what) {
    if (size > data_.size()) return Truncated(what);
    data_.remove_prefix(size);
    return absl::OkStatus();
  }

  // Like String, NUL bytes allowed (binary payloads).
  absl::StatusOr<std::string> Bytes(absl::string_view what) {
    HUB_ASSIGN_OR_RETURN(const uint32_t size, U32(what));
    if (size > data_.size()) return Truncated(what);
    std::string s(data_.substr(0, size));
    data_.remove_prefix(size);
    return s;
  }

  absl::StatusOr<bool> Bool(absl::string_view what) {
    HUB_ASSIGN_OR_RETURN(const uint8_t v, U8(what));
    if (v > 1) {
      return absl::DataLossError(absl::StrCat("the sandbox's message has a bad flag for ", what));
    }
    return v == 1;
  }

  absl::StatusOr<std::vector<std::string>> List(absl::string_view what) {
    HUB_ASSIGN_OR_RETURN(const uint32_t count, U32(what));
    // Each element takes at least its 4-byte length: a count that can't fit
    // is refused before anything is reserved.
    if (count > data_.size() / 4) return Truncated(what);
    std::vector<std::string> list;
    list.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      HUB_ASSIGN_OR_RETURN(std::string s, String(what));
      list.push_back(std::move(s));
    }
    return list;
  }

  absl::Status Done() const {
    if (data_.empty()) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat("the sandbox worker's message has ", data_.size(),
                                            " unexpected bytes at its end"));
  }

 private:
  static absl::Status Truncated(absl::string_view what) {
    return absl::DataLossError(
        absl::StrCat("the sandbox worker's message ends inside ", what, " (malformed)"));
  }

  absl::string_view data_;
};

absl::Status CheckEntryName(absl::string_view name) {
  if (name.empty()) return absl::DataLossError("the sandbox worker sent an empty entry name");
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::DataLossError("the sandbox worker sent an entry name with a control character");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<HubconfDescription> ParseDescription(Reader& r) {
  HubconfDescription d;
  HUB_ASSIGN_OR_RETURN(d.entrypoints, r.List("the entrypoints"));
  for (const std::string& name : d.entrypoints) HUB_RETURN_IF_ERROR(CheckEntryName(name));
  HUB_ASSIGN_OR_RETURN(const uint32_t docs, r.U32("the docstrings"));
  for (uint32_t i = 0; i < docs; ++i) {
    HUB_ASSIGN_OR_RETURN(std::string name, r.String("an entry name"));
    HUB_RETURN_IF_ERROR(CheckEntryName(name));
    HUB_ASSIGN_OR_RETURN(const uint8_t has_doc, r.U8("a docstring"));
    if (has_doc > 1) return absl::DataLossError("the sandbox worker sent a bad docstring flag");
    HUB_ASSIGN_OR_RETURN(std::string doc, r.String("a docstring"));
    std::optional<std::string> entry_doc;
    if (has_doc == 1) {
      entry_doc = std::move(doc);
    } else if (!doc.empty()) {
      return absl::DataLossError("the sandbox worker sent text for a missing docstring");
    }
    d.docs.emplace_back(std::move(name), std::move(entry_doc));
  }
  HUB_ASSIGN_OR_RETURN(d.help_error, r.String("the dependencies error"));
  HUB_ASSIGN_OR_RETURN(d.sys_path, r.List("sys.path"));
  HUB_ASSIGN_OR_RETURN(d.module_files, r.List("the module files"));
  HUB_RETURN_IF_ERROR(r.Done());
  return d;
}

absl::Status CheckPrintable(absl::string_view text, absl::string_view what) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return absl::DataLossError(
          absl::StrCat("the sandbox worker sent ", what, " with a control character"));
    }
  }
  return absl::OkStatus();
}

// An error as sent: u8 code (a canonical one, not kOk) + string message.
absl::Status ParseErrorBody(Reader& r) {
  HUB_ASSIGN_OR_RETURN(const uint8_t code, r.U8("the error code"));
  HUB_ASSIGN_OR_RETURN(std::string message, r.String("the error message"));
  HUB_RETURN_IF_ERROR(r.Done());
  // kOk or an unknown number is not an error a worker may report.
  if (code == 0 || code > static_cast<uint8_t>(absl::StatusCode::kUnauthenticated)) {
    return absl::DataLossError(absl::StrCat("the sandbox worker sent error code ", code));
  }
  // An error must say something (the fuzzer's find: an empty one reached
  // the user as a bare code).
  if (message.empty()) message = "the sandboxed hubconf failed and gave no message";
  return absl::Status(static_cast<absl::StatusCode>(code), message);
}

void PutStatus(const absl::Status& status, std::string* out) {
  out->push_back(static_cast<char>(static_cast<uint8_t>(status.code())));
  PutString(status.message(), out);
}

constexpr size_t kMaxUrlBytes = 8 << 10;

}  // namespace

std::string EncodeFrame(absl::string_view payload) {
  std::string frame;
  frame.reserve(kFrameHeaderBytes + payload.size());
  PutU32(static_cast<uint32_t>(payload.size()), &frame);
  frame.append(payload.data(), payload.size());
  return frame;
}

uint32_t DecodeFrameLength(absl::string_view header) {
  const auto b = [&header](size_t i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(header[i]));
  };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

std::string EncodeDescribeRequest(absl::string_view repo_dir) {
  std::string out(1, kDescribeRequest);
  PutString(repo_dir, &out);
  return out;
}

std::string EncodeDescription(const HubconfDescription& description) {
  std::string out(1, kDescriptionAnswer);
  PutList(description.entrypoints, &out);
  PutU32(static_cast<uint32_t>(description.docs.size()), &out);
  for (const auto& [name, doc] : description.docs) {
    PutString(name, &out);
    out.push_back(doc.has_value() ? '\1' : '\0');
    PutString(doc.value_or(""), &out);
  }
  PutString(description.help_error, &out);
  PutList(description.sys_path, &out);
  PutList(description.module_files, &out);
  return out;
}

std::string EncodeError(const absl::Status& status) {
  std::string out(1, kErrorAnswer);
  PutStatus(status, &out);
  return out;
}

absl::StatusOr<std::string> ParseDescribeRequest(absl::string_view payload) {
  if (payload.empty() || payload[0] != kDescribeRequest) {
    return absl::DataLossError("the sandbox worker expected a describe request");
  }
  Reader r(payload.substr(1));
  HUB_ASSIGN_OR_RETURN(std::string dir, r.String("the repo dir"));
  HUB_RETURN_IF_ERROR(r.Done());
  return dir;
}

absl::StatusOr<HubconfDescription> ParseAnswer(absl::string_view payload) {
  if (payload.empty()) return absl::DataLossError("the sandbox worker sent an empty message");
  Reader r(payload.substr(1));
  if (payload[0] == kDescriptionAnswer) return ParseDescription(r);
  if (payload[0] != kErrorAnswer) {
    return absl::DataLossError(absl::StrCat("the sandbox worker sent a message of unknown kind ",
                                            static_cast<int>(static_cast<uint8_t>(payload[0]))));
  }
  return ParseErrorBody(r);
}

std::string EncodeLoadRequest(const LoadRequest& request) {
  std::string out(1, kLoadRequest);
  PutString(request.repo_dir, &out);
  PutString(request.entry, &out);
  PutString(request.args, &out);
  out.push_back(request.torchscript ? '\1' : '\0');
  PutString(request.example_inputs, &out);
  return out;
}

absl::StatusOr<LoadRequest> ParseLoadRequest(absl::string_view payload) {
  if (payload.empty() || payload[0] != kLoadRequest) {
    return absl::DataLossError("the sandbox worker expected a load request");
  }
  Reader r(payload.substr(1));
  LoadRequest request;
  HUB_ASSIGN_OR_RETURN(request.repo_dir, r.String("the repo dir"));
  HUB_ASSIGN_OR_RETURN(request.entry, r.String("the entry"));
  HUB_ASSIGN_OR_RETURN(request.args, r.Bytes("the arguments"));
  HUB_ASSIGN_OR_RETURN(request.torchscript, r.Bool("torchscript"));
  HUB_ASSIGN_OR_RETURN(request.example_inputs, r.Bytes("the example inputs"));
  HUB_RETURN_IF_ERROR(r.Done());
  return request;
}

namespace {

// A load answer's payload up to its body: the kind, the type name, the
// method and the body's length.
std::string LoadAnswerHead(const LoadAnswer& answer) {
  std::string head(1, static_cast<char>(answer.kind));
  PutString(answer.type_name, &head);
  PutString(answer.method, &head);
  PutU32(static_cast<uint32_t>(answer.body.size()), &head);
  return head;
}

}  // namespace

std::string EncodeLoadAnswer(const LoadAnswer& answer) {
  return absl::StrCat(LoadAnswerHead(answer), answer.body);
}

std::string EncodeLoadAnswerFrameHead(const LoadAnswer& answer) {
  const std::string head = LoadAnswerHead(answer);
  std::string out;
  PutU32(static_cast<uint32_t>(head.size() + answer.body.size()), &out);
  out += head;
  return out;
}

namespace {

// Everything of a load answer but its body, which lies at `*body_at` in
// `payload`, `*body_size` bytes long, when the answer is not an error.
absl::StatusOr<LoadAnswer> ParseLoadAnswerHead(absl::string_view payload, size_t* body_at,
                                               size_t* body_size) {
  if (payload.empty()) return absl::DataLossError("the sandbox worker sent an empty message");
  Reader r(payload.substr(1));
  if (payload[0] == kErrorAnswer) return ParseErrorBody(r);
  LoadAnswer answer;
  switch (payload[0]) {
    case kModuleAnswer:
      answer.kind = LoadAnswer::Kind::kModule;
      break;
    case kTensorsAnswer:
      answer.kind = LoadAnswer::Kind::kTensors;
      break;
    case kValueAnswer:
      answer.kind = LoadAnswer::Kind::kValue;
      break;
    default:
      return absl::DataLossError(
          absl::StrCat("the sandbox worker answered a load with a message of kind ",
                       static_cast<int>(static_cast<uint8_t>(payload[0]))));
  }
  HUB_ASSIGN_OR_RETURN(answer.type_name, r.String("the type name"));
  HUB_RETURN_IF_ERROR(CheckPrintable(answer.type_name, "a type name"));
  HUB_ASSIGN_OR_RETURN(answer.method, r.String("the TorchScript method"));
  const bool method_ok = answer.kind == LoadAnswer::Kind::kModule
                             ? answer.method == "scripted" || answer.method == "traced"
                             : answer.method.empty();
  if (!method_ok)
    return absl::DataLossError("the sandbox worker sent an unknown TorchScript method");
  HUB_ASSIGN_OR_RETURN(*body_size, r.U32("the loaded entry"));
  HUB_RETURN_IF_ERROR(r.Skip(*body_size, "the loaded entry"));
  HUB_RETURN_IF_ERROR(r.Done());
  *body_at = payload.size() - *body_size;
  return answer;
}

}  // namespace

absl::StatusOr<LoadAnswer> ParseLoadAnswer(absl::string_view payload) {
  size_t body_at = 0;
  size_t body_size = 0;
  HUB_ASSIGN_OR_RETURN(LoadAnswer answer, ParseLoadAnswerHead(payload, &body_at, &body_size));
  answer.body = std::string(payload.substr(body_at, body_size));
  return answer;
}

absl::StatusOr<LoadAnswer> ParseLoadAnswerTakingBody(std::string payload) {
  size_t body_at = 0;
  size_t body_size = 0;
  HUB_ASSIGN_OR_RETURN(LoadAnswer answer, ParseLoadAnswerHead(payload, &body_at, &body_size));
  payload.erase(0, body_at);
  answer.body = std::move(payload);
  return answer;
}

std::string EncodeWorkerRequest(const WorkerRequest& request) {
  std::string out(1, kWorkerRequest);
  out.push_back(static_cast<char>(request.kind));
  PutString(request.url, &out);
  PutString(request.file_name, &out);
  out.push_back(request.check_hash ? '\1' : '\0');
  PutString(request.hash_prefix, &out);
  PutString(request.source, &out);
  return out;
}

absl::StatusOr<WorkerRequest> ParseWorkerRequest(absl::string_view payload) {
  if (payload.empty() || payload[0] != kWorkerRequest) {
    return absl::DataLossError("the sandbox worker sent no request");
  }
  Reader r(payload.substr(1));
  WorkerRequest request;
  HUB_ASSIGN_OR_RETURN(const uint8_t kind, r.U8("the request kind"));
  if (kind < 1 || kind > 3) {
    return absl::DataLossError(
        absl::StrCat("the sandbox worker sent a request of unknown kind ", static_cast<int>(kind)));
  }
  request.kind = static_cast<WorkerRequest::Kind>(kind);
  HUB_ASSIGN_OR_RETURN(request.url, r.String("the URL"));
  if (request.url.empty() || request.url.size() > kMaxUrlBytes) {
    return absl::DataLossError("the sandbox worker sent an empty or over-long URL");
  }
  HUB_RETURN_IF_ERROR(CheckPrintable(request.url, "a URL"));
  HUB_ASSIGN_OR_RETURN(request.file_name, r.String("the file name"));
  HUB_RETURN_IF_ERROR(CheckPrintable(request.file_name, "a file name"));
  HUB_ASSIGN_OR_RETURN(request.check_hash, r.Bool("check_hash"));
  HUB_ASSIGN_OR_RETURN(request.hash_prefix, r.String("the hash prefix"));
  HUB_RETURN_IF_ERROR(CheckPrintable(request.hash_prefix, "a hash prefix"));
  HUB_ASSIGN_OR_RETURN(request.source, r.String("the source"));
  HUB_RETURN_IF_ERROR(CheckPrintable(request.source, "a source"));
  HUB_RETURN_IF_ERROR(r.Done());
  return request;
}

std::string EncodeReply(const absl::StatusOr<std::string>& path) {
  std::string out(1, kReply);
  if (path.ok()) {
    out.push_back('\0');
    PutString(*path, &out);
  } else {
    PutStatus(path.status(), &out);
  }
  return out;
}

absl::StatusOr<std::string> ParseReply(absl::string_view payload) {
  if (payload.size() < 2 || payload[0] != kReply) {
    return absl::DataLossError("the sandbox worker expected a reply");
  }
  if (payload[1] != '\0') {
    Reader r(payload.substr(1));
    return ParseErrorBody(r);
  }
  Reader r(payload.substr(2));
  HUB_ASSIGN_OR_RETURN(std::string path, r.String("the path"));
  HUB_RETURN_IF_ERROR(r.Done());
  return path;
}

}  // namespace hub::sandbox
