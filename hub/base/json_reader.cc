#include "hub/base/json_reader.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hub/base/json.h"
#include "hub/base/utf8.h"

namespace hub {

JsonValue JsonValue::Bool(bool b) {
  JsonValue v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::Number(double n) {
  JsonValue v;
  v.type_ = Type::kNumber;
  v.number_ = n;
  return v;
}

JsonValue JsonValue::String(std::string s) {
  JsonValue v;
  v.type_ = Type::kString;
  v.string_ = std::move(s);
  return v;
}

JsonValue JsonValue::Array(std::vector<JsonValue> elements) {
  JsonValue v;
  v.type_ = Type::kArray;
  v.array_ = std::move(elements);
  return v;
}

JsonValue JsonValue::Object(std::vector<Member> members) {
  JsonValue v;
  v.type_ = Type::kObject;
  v.members_ = std::move(members);
  return v;
}

const JsonValue* JsonValue::Find(absl::string_view key) const {
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

const JsonValue* JsonValue::FindPath(std::initializer_list<absl::string_view> path) const {
  const JsonValue* v = this;
  for (absl::string_view key : path) {
    v = v->Find(key);
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::optional<std::string> JsonValue::GetString(
    std::initializer_list<absl::string_view> path) const {
  const JsonValue* v = FindPath(path);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->string_value();
}

std::optional<bool> JsonValue::GetBool(std::initializer_list<absl::string_view> path) const {
  const JsonValue* v = FindPath(path);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->bool_value();
}

bool operator==(const JsonValue& a, const JsonValue& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case JsonValue::Type::kNull:
      return true;
    case JsonValue::Type::kBool:
      return a.bool_ == b.bool_;
    case JsonValue::Type::kNumber:
      return a.number_ == b.number_;
    case JsonValue::Type::kString:
      return a.string_ == b.string_;
    case JsonValue::Type::kArray:
      return a.array_ == b.array_;
    case JsonValue::Type::kObject:
      return a.members_ == b.members_;
  }
  return false;
}

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<JsonValue> ParseDocument() {
    SkipWhitespace();
    JsonValue value;
    absl::Status status = ParseValue(0, &value);
    if (!status.ok()) return status;
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("end of input");
    return value;
  }

 private:
  absl::Status Error(absl::string_view expected) const { return ErrorAt(expected, pos_); }
  static absl::Status ErrorAt(absl::string_view expected, size_t pos) {
    return absl::InvalidArgumentError(absl::StrCat("JSON: expected ", expected, " at byte ", pos));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }

  void SkipWhitespace() {
    while (!AtEnd()) {
      const char c = Peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  // Consumes `c` (after whitespace) if it is next.
  bool Consume(char c) {
    SkipWhitespace();
    if (AtEnd() || Peek() != c) return false;
    ++pos_;
    return true;
  }

  absl::Status ParseValue(int depth, JsonValue* out) {
    if (AtEnd()) return Error("a value");
    switch (Peek()) {
      case '{':
        return ParseObject(depth + 1, out);
      case '[':
        return ParseArray(depth + 1, out);
      case '"': {
        std::string s;
        absl::Status status = ParseString(&s);
        if (!status.ok()) return status;
        *out = JsonValue::String(std::move(s));
        return absl::OkStatus();
      }
      case 't':
        return ParseLiteral("true", JsonValue::Bool(true), out);
      case 'f':
        return ParseLiteral("false", JsonValue::Bool(false), out);
      case 'n':
        return ParseLiteral("null", JsonValue::Null(), out);
      default:
        if (Peek() == '-' || IsDigit(Peek())) return ParseNumber(out);
        return Error("a value");
    }
  }

  absl::Status ParseLiteral(absl::string_view word, JsonValue value, JsonValue* out) {
    if (text_.substr(pos_, word.size()) != word) return Error("a value");
    pos_ += word.size();
    *out = std::move(value);
    return absl::OkStatus();
  }

  // Called with the '[' next; `depth` counts this array.
  absl::Status ParseArray(int depth, JsonValue* out) {
    if (depth > kMaxJsonDepth) {
      return Error(absl::StrCat("nesting at most ", kMaxJsonDepth, " deep"));
    }
    ++pos_;  // '['
    std::vector<JsonValue> elements;
    if (Consume(']')) {
      *out = JsonValue::Array(std::move(elements));
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      JsonValue element;
      absl::Status status = ParseValue(depth, &element);
      if (!status.ok()) return status;
      elements.push_back(std::move(element));
      if (Consume(']')) break;
      if (!Consume(',')) return Error("',' or ']'");
    }
    *out = JsonValue::Array(std::move(elements));
    return absl::OkStatus();
  }

  // Called with the '{' next; `depth` counts this object.
  absl::Status ParseObject(int depth, JsonValue* out) {
    if (depth > kMaxJsonDepth) {
      return Error(absl::StrCat("nesting at most ", kMaxJsonDepth, " deep"));
    }
    ++pos_;  // '{'
    std::vector<JsonValue::Member> members;
    if (Consume('}')) {
      *out = JsonValue::Object(std::move(members));
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      if (AtEnd() || Peek() != '"') return Error("a string key");
      std::string key;
      absl::Status status = ParseString(&key);
      if (!status.ok()) return status;
      if (!Consume(':')) return Error("':'");
      SkipWhitespace();
      JsonValue value;
      status = ParseValue(depth, &value);
      if (!status.ok()) return status;
      members.emplace_back(std::move(key), std::move(value));
      if (Consume('}')) break;
      if (!Consume(',')) return Error("',' or '}'");
    }
    *out = JsonValue::Object(std::move(members));
    return absl::OkStatus();
  }

  // Four hex digits at pos_ (after "\u"), consumed.
  absl::Status ParseHex4(uint32_t* out) {
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const int d = AtEnd() ? -1 : HexDigitValue(Peek());
      if (d < 0) return Error("a hex digit");
      v = (v << 4) | static_cast<uint32_t>(d);
      ++pos_;
    }
    *out = v;
    return absl::OkStatus();
  }

  // Called with the opening '"' next.
  absl::Status ParseString(std::string* out) {
    ++pos_;  // '"'
    while (true) {
      if (AtEnd()) return Error("'\"' to end the string");
      const auto c = static_cast<unsigned char>(Peek());
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20) return Error("no raw control character in a string");
      if (c >= 0x80) {
        const size_t n = Utf8SequenceLength(text_, pos_);
        if (n == 0) return Error("valid UTF-8");
        out->append(text_.data() + pos_, n);
        pos_ += n;
        continue;
      }
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      const size_t escape_start = pos_;
      ++pos_;  // '\\'
      if (AtEnd()) return Error("an escape");
      const char e = Peek();
      ++pos_;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          absl::Status status = ParseHex4(&cp);
          if (!status.ok()) return status;
          if (cp >= 0xdc80 && cp <= 0xdcff) {
            // A byte that is not UTF-8, as JsonString writes it (Python's
            // surrogateescape): the byte itself.
            out->push_back(static_cast<char>(cp - 0xdc00));
            break;
          }
          if (cp >= 0xdc00 && cp <= 0xdfff) {
            return ErrorAt("no lone low surrogate", escape_start);
          }
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (text_.substr(pos_, 2) != "\\u") {
              return ErrorAt("a low surrogate after a high one", pos_);
            }
            pos_ += 2;
            uint32_t low = 0;
            status = ParseHex4(&low);
            if (!status.ok()) return status;
            if (low < 0xdc00 || low > 0xdfff) {
              return ErrorAt("a low surrogate after a high one", pos_ - 6);
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return ErrorAt("a valid escape", escape_start);
      }
    }
  }

  // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  absl::Status ParseNumber(JsonValue* out) {
    const size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (AtEnd() || !IsDigit(Peek())) return Error("a digit");
    if (Peek() == '0') {
      ++pos_;
      if (!AtEnd() && IsDigit(Peek())) return Error("no leading zero");
    } else {
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && Peek() == '.') {
      ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Error("a digit after '.'");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) ++pos_;
      if (AtEnd() || !IsDigit(Peek())) return Error("a digit in the exponent");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    double d;
    if (!absl::SimpleAtod(text_.substr(start, pos_ - start), &d) || !std::isfinite(d)) {
      return ErrorAt("a number a double can hold", start);
    }
    *out = JsonValue::Number(d);
    return absl::OkStatus();
  }

  absl::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<JsonValue> ParseJson(absl::string_view text) { return Parser(text).ParseDocument(); }

std::string RenderJson(const JsonValue& value) {
  switch (value.type()) {
    case JsonValue::Type::kNull:
      return JsonNull();
    case JsonValue::Type::kBool:
      return JsonBool(value.bool_value());
    case JsonValue::Type::kNumber: {
      const double n = value.number_value();
      if (std::trunc(n) == n && std::fabs(n) <= 9007199254740992.0) {
        return JsonInt(static_cast<int64_t>(n));
      }
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.17g", n);
      return buffer;
    }
    case JsonValue::Type::kString:
      return JsonString(value.string_value());
    case JsonValue::Type::kArray: {
      std::vector<std::string> elements;
      elements.reserve(value.array().size());
      for (const JsonValue& e : value.array()) elements.push_back(RenderJson(e));
      return JsonArray(elements);
    }
    case JsonValue::Type::kObject: {
      JsonObject object;
      for (const auto& [key, member] : value.members()) object.Add(key, RenderJson(member));
      return object.Build();
    }
  }
  return JsonNull();
}

}  // namespace hub
