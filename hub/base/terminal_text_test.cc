#include "hub/base/terminal_text.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace hub {
namespace {

TEST(EscapeControlsTest, KeepsPlainTextNewlinesTabsAndUtf8) {
  for (const char* text : {"", "resnet18\n", "a\tb\n\nc", "Größe, 大小, \xf0\x9f\x98\x80",
                           "\xa0 \xff", "a\\x1b stays as typed"}) {
    EXPECT_EQ(EscapeControls(text), text);
  }
}

TEST(EscapeControlsTest, EscapesWhatDrivesATerminal) {
  const struct {
    std::string in;
    std::string out;
  } cases[] = {
      {"\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"},        // clear the screen, cursor home
      {"\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"},  // set the window title
      {"ok\rEVIL", "ok\\x0dEVIL"},                 // rewrite the line
      {"a\bb\x7f", "a\\x08b\\x7f"},                // backspace, DEL
      {std::string("a\0b", 3), "a\\x00b"},         // NUL
      {"\xc2\x9b"
       "2J",
       "\\u009b2J"},                                           // C1 CSI as UTF-8
      {"\xc2\x80\xc2\x9f\xc2\xa0", "\\u0080\\u009f\xc2\xa0"},  // C1's ends; NBSP kept
      {"\x9b"
       "2J",
       "\\x9b2J"},       // 8-bit CSI, not UTF-8
      {"\xc2", "\xc2"},  // a cut sequence, no control
  };
  for (const auto& c : cases) EXPECT_EQ(EscapeControls(c.in), c.out) << c.in;
}

TEST(ControlEscapingOStreamTest, EscapesLinesAsTheyAreWrittenAndOnFlush) {
  std::ostringstream sink;
  {
    ControlEscapingOStream out(sink);
    out << "first \x1b[1A";
    EXPECT_EQ(sink.str(), "");  // held until the line ends
    out << "line\nsecond" << '\x07' << '\n';
    EXPECT_EQ(sink.str(), "first \\x1b[1Aline\nsecond\\x07\n");
    out << "\xc2"
        << "\x9b"
        << "partial";
    out.flush();
    EXPECT_EQ(sink.str(), "first \\x1b[1Aline\nsecond\\x07\n\\u009bpartial");
    out << "\rlast";
  }
  EXPECT_EQ(sink.str(), "first \\x1b[1Aline\nsecond\\x07\n\\u009bpartial\\x0dlast");
}

TEST(ControlEscapingOStreamTest, JsonStaysJson) {
  std::ostringstream sink;
  ControlEscapingOStream out(sink);
  out << R"({"doc": "line\nnext\u001b", "n": 1})"
      << "\n";
  EXPECT_EQ(sink.str(), "{\"doc\": \"line\\nnext\\u001b\", \"n\": 1}\n");
}

}  // namespace
}  // namespace hub
