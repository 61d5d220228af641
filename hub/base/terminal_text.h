// Text from strangers, made safe to show on a terminal.
//
// A repo's docstrings, entrypoint names and Python errors, a checkpoint's
// tensor names and a server's error page are printed by the CLI. Printed
// raw, their control characters would drive the terminal: move the cursor,
// rewrite earlier lines, set the window title, hide text.
//
//   err << "torchhub: error: " << hub::EscapeControls(status.message()) << "\n";
//
//   ControlEscapingOStream out(std::cout);  // every line escaped as written
//   out << docstring << "\n";
//
// Escaped: C0 controls but newline and tab (so "\r", ESC, BEL), DEL, the C1
// controls U+0080..U+009F as UTF-8 (a CSI is U+009B), and bytes 0x80..0x9F
// that start no valid UTF-8 sequence (an 8-bit terminal reads them as C1).
// Each becomes visible text: "\x1b", "\u009b". Everything else, valid UTF-8
// or not, passes unchanged, so text that needs no escaping is
// byte-for-byte the same, and JSON stays JSON ("\u009b" is JSON's own
// escape for that character; JSON strings hold no raw C0 controls).

#ifndef HUB_BASE_TERMINAL_TEXT_H_
#define HUB_BASE_TERMINAL_TEXT_H_

#include <ostream>
#include <streambuf>
#include <string>

#include "absl/strings/string_view.h"

namespace hub {

// `text` with its control characters escaped (see above).
std::string EscapeControls(absl::string_view text);

// A stream that writes to another, a line at a time, through
// EscapeControls. flush() writes what is pending, even without a newline.
// Not copyable or movable: the stream points at its own buffer. Not
// thread-safe, like any ostream.
class ControlEscapingOStream : public std::ostream {
 public:
  explicit ControlEscapingOStream(std::ostream& sink);
  ~ControlEscapingOStream() override;
  ControlEscapingOStream(const ControlEscapingOStream&) = delete;
  ControlEscapingOStream& operator=(const ControlEscapingOStream&) = delete;

 private:
  class Buffer : public std::streambuf {
   public:
    explicit Buffer(std::ostream& sink) : sink_(sink) {}
    int sync() override;

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;

   private:
    void WriteLines(bool all);
    std::ostream& sink_;
    std::string pending_;
  };
  Buffer buffer_;
};

}  // namespace hub

#endif  // HUB_BASE_TERMINAL_TEXT_H_
