#include "hub/base/terminal_text.h"

#include <cstdio>
#include <string>

#include "hub/base/utf8.h"

namespace hub {

std::string EscapeControls(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  char buffer[8];
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      std::snprintf(buffer, sizeof(buffer), "\\x%02x", c);
      out += buffer;
      ++i;
      continue;
    }
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
      // U+0080..U+009F, the C1 controls.
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", static_cast<unsigned char>(text[i + 1]));
      out += buffer;
      i += 2;
    } else if (n > 0) {
      out.append(text.data() + i, n);
      i += n;
    } else if (c < 0xa0) {
      std::snprintf(buffer, sizeof(buffer), "\\x%02x", c);
      out += buffer;
      ++i;
    } else {
      out += static_cast<char>(c);
      ++i;
    }
  }
  return out;
}

ControlEscapingOStream::ControlEscapingOStream(std::ostream& sink)
    : std::ostream(nullptr), buffer_(sink) {
  rdbuf(&buffer_);
}

ControlEscapingOStream::~ControlEscapingOStream() { buffer_.pubsync(); }

int ControlEscapingOStream::Buffer::sync() {
  WriteLines(/*all=*/true);
  sink_.flush();
  return sink_.good() ? 0 : -1;
}

ControlEscapingOStream::Buffer::int_type ControlEscapingOStream::Buffer::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  pending_ += traits_type::to_char_type(c);
  if (c == '\n') WriteLines(/*all=*/false);
  return c;
}

std::streamsize ControlEscapingOStream::Buffer::xsputn(const char* s, std::streamsize n) {
  pending_.append(s, static_cast<size_t>(n));
  WriteLines(/*all=*/false);
  return n;
}

void ControlEscapingOStream::Buffer::WriteLines(bool all) {
  // Whole lines only (a UTF-8 sequence never spans a newline), unless asked.
  const size_t end = all ? pending_.size() : pending_.rfind('\n') + 1;
  if (end == 0 || (all && pending_.empty())) return;
  const std::string escaped = EscapeControls(absl::string_view(pending_).substr(0, end));
  sink_.write(escaped.data(), static_cast<std::streamsize>(escaped.size()));
  pending_.erase(0, end);
}

}  // namespace hub
