#include "hub/ref/repo_ref.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "hub/base/utf8.h"

namespace hub {
namespace {

constexpr absl::string_view kExample =
    "repo strings look like \"owner/name\" or \"owner/name:ref\", e.g. "
    "\"pytorch/vision:v0.10.0\"";

// How input is shown in messages: escaped, and cut short when long.
std::string Quote(absl::string_view s) {
  constexpr size_t kShown = 80;
  std::string shown = absl::CHexEscape(s.substr(0, kShown));
  if (s.size() > kShown) absl::StrAppend(&shown, "...");
  return absl::StrCat("\"", shown, "\"");
}

absl::Status Invalid(absl::string_view repo, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid repo ", Quote(repo), ": ", why, "; ", kExample));
}

std::string DescribeByte(unsigned char c) {
  if (c == ' ') return "a space";
  if (c == '\t') return "a tab";
  if (c == '\n' || c == '\r') return "a line break";
  if (c == '\0') return "a NUL byte";
  if (c == '\\') return "a backslash";
  if (c == '"') return "a double quote";
  if (c < 0x20 || c == 0x7f) {
    return absl::StrCat("the control character ",
                        absl::CHexEscape(std::string(1, static_cast<char>(c))));
  }
  if (c >= 0x80) return "a non-ASCII byte";
  return absl::StrCat("\"", std::string(1, static_cast<char>(c)), "\"");
}

// Owners and names: GitHub's alphabet (letters, digits, "-", "_", ".").
constexpr std::array<bool, 256> MakeNameTable() {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  t['-'] = t['_'] = t['.'] = true;
  return t;
}
constexpr std::array<bool, 256> kNameByte = MakeNameTable();

// Refs: printable ASCII but what git forbids (space ~ ^ : ? * [ \), plus
// UTF-8 sequences (checked separately).
constexpr std::array<bool, 256> MakeRefTable() {
  std::array<bool, 256> t{};
  for (int c = 0x21; c < 0x7f; ++c) t[c] = true;
  for (char c : {'~', '^', ':', '?', '*', '[', '\\'}) t[static_cast<unsigned char>(c)] = false;
  for (int c = 0x80; c < 0x100; ++c) t[c] = true;
  return t;
}
constexpr std::array<bool, 256> kRefByte = MakeRefTable();

// Checks an owner or a name ("what" says which) against the alphabet and
// the path rules.
absl::Status ValidateNamePart(absl::string_view repo, absl::string_view what,
                              absl::string_view part, size_t max_bytes) {
  if (part.empty()) return Invalid(repo, absl::StrCat("the ", what, " is empty"));
  if (part.size() > max_bytes) {
    return Invalid(repo, absl::StrCat("the ", what, " is ", part.size(), " bytes long; at most ",
                                      max_bytes, " are allowed"));
  }
  for (size_t i = 0; i < part.size(); ++i) {
    const auto c = static_cast<unsigned char>(part[i]);
    if (!kNameByte[c]) {
      return Invalid(repo, absl::StrCat("the ", what, " ", Quote(part), " contains ",
                                        DescribeByte(c), " at offset ", i,
                                        "; owners and names use only letters, digits, "
                                        "\"-\", \"_\" and \".\""));
    }
  }
  if (part[0] == '.') {
    return Invalid(repo, absl::StrCat("the ", what, " ", Quote(part),
                                      " starts with \".\", which would name a hidden or "
                                      "parent directory in the cache"));
  }
  if (part[0] == '-') {
    return Invalid(repo, absl::StrCat("the ", what, " ", Quote(part),
                                      " starts with \"-\", which reads as a command-line "
                                      "option"));
  }
  if (absl::StrContains(part, "..")) {
    return Invalid(repo, absl::StrCat("the ", what, " ", Quote(part),
                                      " contains \"..\", which could lead a path or URL "
                                      "out of its directory"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRefIn(absl::string_view repo, absl::string_view ref) {
  auto bad = [&](absl::string_view why) {
    return Invalid(repo, absl::StrCat("the ref ", Quote(ref), " ", why));
  };
  if (ref.empty()) {
    return Invalid(repo,
                   "the ref after \":\" is empty; leave out the \":\" to use the "
                   "default branch");
  }
  if (ref.size() > kMaxRefBytes) {
    return bad(absl::StrCat("is ", ref.size(), " bytes long; at most ", kMaxRefBytes,
                            " are allowed (a commit hash always fits)"));
  }
  bool ascii = true;
  for (size_t i = 0; i < ref.size(); ++i) {
    const auto c = static_cast<unsigned char>(ref[i]);
    if (!kRefByte[c]) {
      return bad(absl::StrCat("contains ", DescribeByte(c), " at offset ", i,
                              ", which git does not allow in ref names"));
    }
    if (c >= 0x80) ascii = false;
  }
  if (!ascii && !IsValidUtf8(ref)) return bad("is not valid UTF-8");
  if (ref[0] == '-') return bad("starts with \"-\", which reads as a command-line option");
  if (ref == "@") return bad("is \"@\", which git does not allow as a ref name");
  if (absl::StrContains(ref, "..")) {
    return bad("contains \"..\", which git does not allow in ref names");
  }
  if (absl::StrContains(ref, "@{")) {
    return bad("contains \"@{\", which git does not allow in ref names");
  }
  if (ref.front() == '/' || ref.back() == '/') {
    return bad("starts or ends with \"/\", which git does not allow");
  }
  if (absl::StrContains(ref, "//")) return bad("contains \"//\", an empty path component");
  if (ref.back() == '.') return bad("ends with \".\", which git does not allow");
  for (absl::string_view component : absl::StrSplit(ref, '/')) {
    if (component[0] == '.') {
      return bad(absl::StrCat("has a component starting with \".\" (", Quote(component),
                              "), which git does not allow"));
    }
    if (absl::EndsWith(component, ".lock")) {
      return bad(absl::StrCat("has a component ending with \".lock\" (", Quote(component),
                              "), which git does not allow"));
    }
  }
  return absl::OkStatus();
}

// The fast path: whether a part passes every rule above, without building a
// message. Must accept exactly what the Validate* functions accept (the
// fuzzer checks that ParseRepoRef never finds them disagreeing).
bool NamePartIsValid(absl::string_view part, size_t max_bytes) {
  if (part.empty() || part.size() > max_bytes || part[0] == '.' || part[0] == '-') return false;
  unsigned char prev = 0;
  for (char ch : part) {
    const auto c = static_cast<unsigned char>(ch);
    if (!kNameByte[c] || (c == '.' && prev == '.')) return false;
    prev = c;
  }
  return true;
}

bool RefIsValid(absl::string_view ref) {
  if (ref.empty() || ref.size() > kMaxRefBytes || ref[0] == '-' || ref.back() == '/' ||
      ref.back() == '.' || ref == "@") {
    return false;
  }
  bool ascii = true;
  unsigned char prev = '/';  // so that a leading "/" or "." is caught below
  size_t component = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const auto c = static_cast<unsigned char>(ref[i]);
    if (!kRefByte[c]) return false;
    if (c >= 0x80) ascii = false;
    // "..", a component starting with ".", "@{", "//" and a leading "/".
    if ((c == '.' && (prev == '.' || prev == '/')) || (c == '{' && prev == '@') ||
        (c == '/' && prev == '/')) {
      return false;
    }
    if (c == '/') {
      if (absl::EndsWith(ref.substr(component, i - component), ".lock")) return false;
      component = i + 1;
    }
    prev = c;
  }
  if (absl::EndsWith(ref.substr(component), ".lock")) return false;
  return ascii || IsValidUtf8(ref);
}

absl::Status ValidateParts(absl::string_view repo, const RepoRef& r) {
  if (absl::Status s = ValidateNamePart(repo, "owner", r.owner, kMaxOwnerBytes); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateNamePart(repo, "name", r.name, kMaxNameBytes); !s.ok()) {
    return s;
  }
  if (r.ref.has_value()) {
    if (absl::Status s = ValidateRefIn(repo, *r.ref); !s.ok()) return s;
    const size_t dir_bytes = r.owner.size() + r.name.size() + r.ref->size() + 2;
    if (dir_bytes > kMaxRepoDirNameBytes) {
      return Invalid(repo, absl::StrCat("its cache directory name would be ", dir_bytes,
                                        " bytes long; at most ", kMaxRepoDirNameBytes,
                                        " are allowed (use a shorter ref, such as the "
                                        "commit hash)"));
    }
  }
  return absl::OkStatus();
}

// The slow path: finds what is wrong with `repo` and says so. Returns OK
// only if `repo` is valid after all.
absl::Status DiagnoseRepo(absl::string_view repo) {
  if (repo.empty()) return Invalid(repo, "it is empty");
  if (repo.size() > kMaxRepoStringBytes) {
    return Invalid(repo, absl::StrCat("it is ", repo.size(), " bytes long; at most ",
                                      kMaxRepoStringBytes, " are allowed"));
  }
  // Whitespace and control characters anywhere are refused before the split,
  // so that the message names them rather than a part they happen to be in.
  for (size_t i = 0; i < repo.size(); ++i) {
    const auto c = static_cast<unsigned char>(repo[i]);
    if (c <= 0x20 || c == 0x7f) {
      return Invalid(repo, absl::StrCat("it contains ", DescribeByte(c), " at offset ", i));
    }
  }
  // torch.hub: `repo_info, ref = github.split(":")`, then
  // `repo_owner, repo_name = repo_info.split("/")`.
  RepoRef result;
  absl::string_view repo_info = repo;
  if (const size_t colon = repo.find(':'); colon != absl::string_view::npos) {
    const size_t colons = static_cast<size_t>(std::count(repo.begin(), repo.end(), ':'));
    if (colons > 1) {
      return Invalid(
          repo, absl::StrCat("it has ", colons, " \":\"; one at most is allowed, before the ref"));
    }
    repo_info = repo.substr(0, colon);
    result.ref = std::string(repo.substr(colon + 1));
  }
  const size_t slashes = static_cast<size_t>(std::count(repo_info.begin(), repo_info.end(), '/'));
  if (slashes == 0) {
    return Invalid(repo,
                   absl::StrCat("there is no \"/\" between owner and name in ", Quote(repo_info)));
  }
  if (slashes > 1) {
    return Invalid(repo, absl::StrCat(Quote(repo_info), " has ", slashes,
                                      " \"/\"; exactly one goes between owner and name (a "
                                      "ref with \"/\" goes after \":\", as in "
                                      "\"owner/name:release/1.0\")"));
  }
  const size_t slash = repo_info.find('/');
  result.owner = std::string(repo_info.substr(0, slash));
  result.name = std::string(repo_info.substr(slash + 1));
  return ValidateParts(repo, result);
}

}  // namespace

std::string RepoRef::ToString() const {
  return ref.has_value() ? absl::StrCat(owner, "/", name, ":", *ref)
                         : absl::StrCat(owner, "/", name);
}

std::string RepoRef::OwnerName() const { return absl::StrCat(owner, "_", name); }

RepoRef RepoRef::WithRef(std::string new_ref) const {
  RepoRef copy = *this;
  copy.ref = std::move(new_ref);
  return copy;
}

absl::StatusOr<RepoRef> ParseRepoRef(absl::string_view repo) {
  // One pass for the split torch.hub does, and for whitespace and control
  // characters; then each part's rules. Anything off goes to DiagnoseRepo,
  // which explains it.
  size_t colon = absl::string_view::npos;
  size_t slash = absl::string_view::npos;
  int colons = 0;
  int slashes = 0;
  bool clean = !repo.empty() && repo.size() <= kMaxRepoStringBytes;
  for (size_t i = 0; clean && i < repo.size(); ++i) {
    const auto c = static_cast<unsigned char>(repo[i]);
    if (c <= 0x20 || c == 0x7f) {
      clean = false;
    } else if (c == ':') {
      if (colons++ == 0) colon = i;
    } else if (c == '/' && colons == 0) {
      if (slashes++ == 0) slash = i;
    }
  }
  if (clean && colons <= 1 && slashes == 1) {
    const absl::string_view owner = repo.substr(0, slash);
    const absl::string_view name = repo.substr(
        slash + 1, colon == absl::string_view::npos ? absl::string_view::npos : colon - slash - 1);
    const bool has_ref = colon != absl::string_view::npos;
    const absl::string_view ref = has_ref ? repo.substr(colon + 1) : absl::string_view();
    if (NamePartIsValid(owner, kMaxOwnerBytes) && NamePartIsValid(name, kMaxNameBytes) &&
        (!has_ref || (RefIsValid(ref) &&
                      owner.size() + name.size() + ref.size() + 2 <= kMaxRepoDirNameBytes))) {
      RepoRef result;
      result.owner = std::string(owner);
      result.name = std::string(name);
      if (has_ref) result.ref = std::string(ref);
      return result;
    }
  }
  absl::Status diagnosis = DiagnoseRepo(repo);
  if (diagnosis.ok()) {
    return absl::InternalError(
        absl::StrCat("ParseRepoRef's checks disagree about ", Quote(repo), "; please report this"));
  }
  return diagnosis;
}

absl::Status ValidateRepoRef(const RepoRef& repo) {
  if (absl::Status s = ValidateParts(repo.ToString(), repo); !s.ok()) return s;
  return absl::OkStatus();
}

absl::Status ValidateRef(absl::string_view ref) { return ValidateRefIn(ref, ref); }

std::string NormalizeRef(absl::string_view ref) {
  std::string normalized(ref);
  std::replace(normalized.begin(), normalized.end(), '/', '_');
  return normalized;
}

absl::StatusOr<Source> ParseSource(absl::string_view source) {
  const std::string lower = absl::AsciiStrToLower(source);
  if (lower == "github") return Source::kGithub;
  if (lower == "local") return Source::kLocal;
  return absl::InvalidArgumentError(
      absl::StrCat("Unknown source: \"", lower, "\". Allowed values: \"github\" | \"local\"."));
}

Source GuessSource(absl::string_view repo_or_dir) {
  const absl::string_view s = repo_or_dir;
  if (s == "." || s == ".." || s == "~" || absl::StartsWith(s, "/") || absl::StartsWith(s, "./") ||
      absl::StartsWith(s, "../") || absl::StartsWith(s, "~/")) {
    return Source::kLocal;
  }
  if (ParseRepoRef(s).ok()) return Source::kGithub;
  struct stat st;
  if (stat(std::string(s).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Source::kLocal;
  return Source::kGithub;
}

}  // namespace hub
