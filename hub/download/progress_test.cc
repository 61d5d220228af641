#include "hub/download/progress.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hub {
namespace {

using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using Style = ProgressDisplay::Style;

constexpr int64_t kKiB = int64_t{1} << 10;
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kGiB = int64_t{1} << 30;
constexpr int64_t kTiB = int64_t{1} << 40;

// A clock that moves only when told to, and counts how often it is read.
class FakeClock {
 public:
  std::function<absl::Time()> Function() {
    return [this] {
      ++reads_;
      return now_;
    };
  }
  void Advance(absl::Duration d) { now_ += d; }
  int reads() const { return reads_; }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  int reads_ = 0;
};

// What a terminal would show after each '\r' or '\n': the frames drawn.
std::vector<std::string> Frames(const std::string& output) {
  std::vector<std::string> frames;
  for (absl::string_view frame : absl::StrSplit(output, absl::ByAnyChar("\r\n"))) {
    if (!frame.empty()) frames.emplace_back(frame);
  }
  return frames;
}

std::vector<std::string> Lines(const std::string& output) {
  return absl::StrSplit(output, '\n', absl::SkipEmpty());
}

std::string StripTrailingSpaces(absl::string_view s) {
  while (absl::ConsumeSuffix(&s, " ")) {
  }
  return std::string(s);
}

// --- Formatting helpers -------------------------------------------------------

TEST(FormatBytesTest, MatchesTqdmBinaryUnits) {
  const struct {
    int64_t bytes;
    const char* want;
  } cases[] = {
      {0, "0B"},
      {1, "1B"},
      {512, "512B"},
      {999, "999B"},
      {1000, "0.98KiB"},
      {1023, "1.00KiB"},
      {1024, "1.00KiB"},
      {1536, "1.50KiB"},
      {10 * kKiB, "10.0KiB"},
      {999 * kKiB, "999KiB"},
      {1023 * kKiB, "1.00MiB"},
      {kMiB + kMiB / 2, "1.50MiB"},
      {10 * kMiB + kMiB / 2, "10.5MiB"},
      {45 * kMiB, "45.0MiB"},
      {100 * kMiB, "100MiB"},
      {static_cast<int64_t>(1.23 * kGiB), "1.23GiB"},
      {kTiB + kTiB / 2, "1.50TiB"},
      {1000 * kTiB, "0.98PiB"},
      {std::numeric_limits<int64_t>::max(), "8.00EiB"},
      {-1, "?B"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatBytes(c.bytes), c.want) << c.bytes;
  }
}

TEST(FormatRateTest, ScaledPerSecondOrUnknown) {
  const struct {
    double rate;
    const char* want;
  } cases[] = {
      {0, "0.00B/s"},
      {5.125, "5.12B/s"},
      {512, "512B/s"},
      {1024, "1.00KiB/s"},
      {10.5 * kMiB, "10.5MiB/s"},
      {13.2 * kMiB, "13.2MiB/s"},
      {2.5 * kGiB, "2.50GiB/s"},
      {-1, "?B/s"},
      {std::nan(""), "?B/s"},
      {std::numeric_limits<double>::infinity(), "?B/s"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatRate(c.rate), c.want) << c.rate;
  }
}

TEST(FormatDurationTest, ClockLikeTqdm) {
  const struct {
    absl::Duration d;
    const char* want;
  } cases[] = {
      {absl::ZeroDuration(), "00:00"},
      {absl::Seconds(5), "00:05"},
      {absl::Milliseconds(5999), "00:05"},
      {absl::Seconds(62), "01:02"},
      {absl::Minutes(59) + absl::Seconds(59), "59:59"},
      {absl::Hours(1), "01:00:00"},
      {absl::Seconds(3723), "01:02:03"},
      {absl::Hours(100), "100:00:00"},
      {absl::InfiniteDuration(), "??:??"},
      {-absl::InfiniteDuration(), "??:??"},
      {absl::Seconds(-1), "??:??"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(hub::FormatDuration(c.d), c.want) << c.d;
  }
}

// --- kBar -----------------------------------------------------------------------

TEST(ProgressBarTest, DrawsLikeTqdm) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = "resnet50.pth", .width = 80},
                           clock.Function());
  progress.Start(100 * kMiB);
  EXPECT_EQ(out.str(), "\rresnet50.pth   0%|                   | 0B/100MiB [00:00<??:??, ?B/s]");
  out.str("");
  clock.Advance(absl::Seconds(3));
  progress.Update(45 * kMiB);
  EXPECT_EQ(out.str(),
            "\rresnet50.pth  45%|########           | 45.0MiB/100MiB [00:03<00:03, 15.0MiB/s]");
  out.str("");
  clock.Advance(absl::Seconds(2));
  progress.Update(100 * kMiB);
  out.str("");
  progress.Finish(true);
  EXPECT_EQ(out.str(),
            "\rresnet50.pth 100%|###################| 100MiB/100MiB [00:05<00:00, 20.0MiB/s]\n");
}

TEST(ProgressBarTest, UnknownTotal) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = "resnet50.pth"}, clock.Function());
  progress.Start(-1);
  EXPECT_EQ(out.str(), "\rresnet50.pth 0B [00:00, ?B/s]");
  out.str("");
  clock.Advance(absl::Seconds(3));
  progress.Update(45 * kMiB);
  EXPECT_EQ(out.str(), "\rresnet50.pth 45.0MiB [00:03, 15.0MiB/s]");
  out.str("");
  progress.Finish(true);
  EXPECT_EQ(out.str(), "\rresnet50.pth 45.0MiB [00:03, 15.0MiB/s]\n");
}

TEST(ProgressBarTest, RedrawsAtMostOncePerInterval) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(
      &out, {.style = Style::kBar, .label = "f", .min_redraw_interval = absl::Milliseconds(100)},
      clock.Function());
  progress.Start(1000 * kKiB);
  std::vector<absl::Time> draws;
  absl::Time now = absl::FromUnixSeconds(1700000000);
  for (int i = 1; i <= 1000; ++i) {
    clock.Advance(absl::Milliseconds(1));
    now += absl::Milliseconds(1);
    const size_t before = out.str().size();
    progress.Update(i * kKiB);
    if (out.str().size() != before) draws.push_back(now);
  }
  // About one per 100 ms of the 1 s (the clock is read every few calls).
  EXPECT_GE(draws.size(), 8u);
  EXPECT_LE(draws.size(), 10u);
  for (size_t i = 1; i < draws.size(); ++i) {
    EXPECT_GE(draws[i] - draws[i - 1], absl::Milliseconds(100));
  }
  progress.Finish(true);
  const std::vector<std::string> frames = Frames(out.str());
  EXPECT_EQ(frames.size(), draws.size() + 2);  // + Start's and Finish's
  EXPECT_THAT(frames.back(), HasSubstr("100%|"));
  EXPECT_THAT(out.str(), EndsWith("| 0.98MiB/0.98MiB [00:01<00:00, 0.98MiB/s]\n"));
}

TEST(ProgressBarTest, ReadsTheClockOnlyEveryFewCalls) {
  FakeClock clock;  // never advances: as if the calls were very fast
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar}, clock.Function());
  progress.Start(-1);
  for (int i = 0; i < 16000; ++i) progress.Update(i);
  EXPECT_LE(clock.reads(), 1 + 16000 / 16 + 10);
}

TEST(ProgressBarTest, ReadsTheClockEveryCallWhenCallsAreSlow) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar}, clock.Function());
  progress.Start(100);
  // Fast first, then a call a second: every slow call is drawn at once, or
  // after the first few.
  for (int i = 0; i < 1000; ++i) progress.Update(0);
  for (int i = 1; i <= 20; ++i) {
    clock.Advance(absl::Seconds(1));
    progress.Update(i);
  }
  const std::vector<std::string> all = Frames(out.str());
  EXPECT_GE(all.size(), 1u + 20 - 16);
  EXPECT_THAT(all.back(), HasSubstr(" 20%|"));
}

TEST(ProgressBarTest, ShortensALongLabelInTheMiddle) {
  FakeClock clock;
  std::ostringstream out;
  const std::string label = std::string(100, 'a') + "-0676ba61.pth";
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = label, .width = 80},
                           clock.Function());
  progress.Start(100 * kMiB);
  const std::vector<std::string> frames = Frames(out.str());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_THAT(frames[0], StartsWith("aaaaaaaaa...6ba61.pth   0%|"));
  EXPECT_THAT(frames[0], HasSubstr("   0%|          | 0B/100MiB"));  // the shortest bar
  EXPECT_LE(frames[0].size(), 79u);
}

TEST(ProgressBarTest, ShortensWithoutSplittingUtf8) {
  FakeClock clock;
  std::ostringstream out;
  std::string label;
  for (int i = 0; i < 40; ++i) label += "\xc3\xa9";  // é
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = label, .width = 80},
                           clock.Function());
  progress.Start(-1);
  const std::string frame = Frames(out.str()).at(0);
  const size_t dots = frame.find("...");
  ASSERT_NE(dots, std::string::npos);
  EXPECT_EQ(dots % 2, 0u);
  EXPECT_NE(static_cast<unsigned char>(frame[dots + 3]) & 0xc0, 0x80);
  EXPECT_LE(frame.size(), 79u);
}

TEST(ProgressBarTest, ControlCharactersInTheLabelAreReplaced) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = "a\rb\nc\x1b[2J"},
                           clock.Function());
  progress.Start(-1);
  EXPECT_THAT(out.str(), StartsWith("\ra\\x0db\\x0ac\\x1b[2J 0B"));
}

TEST(ProgressBarTest, NeverWiderThanTheTerminal) {
  for (int width : {1, 2, 10, 20, 40, 59, 60, 65, 80, 132, 300}) {
    for (int64_t total : {int64_t{-1}, int64_t{0}, 100 * kMiB, 3 * kTiB}) {
      FakeClock clock;
      std::ostringstream out;
      ProgressDisplay progress(
          &out, {.style = Style::kBar, .label = std::string(90, 'x'), .width = width},
          clock.Function());
      progress.Start(total);
      clock.Advance(absl::Seconds(1));
      progress.Update(1);  // hours left
      clock.Advance(absl::Hours(30));
      progress.Update(total / 2);
      clock.Advance(absl::Seconds(1));
      progress.Update(total > 0 ? total : 5 * kMiB);
      progress.Finish(true);
      const size_t limit = static_cast<size_t>(width < 2 ? 79 : width - 1);
      for (const std::string& frame : Frames(out.str())) {
        EXPECT_LE(frame.size(), limit) << "width " << width << " total " << total << ": " << frame;
      }
      EXPECT_THAT(out.str(), EndsWith("\n"));
    }
  }
}

TEST(ProgressBarTest, ShorterLinesBlankOutTheLongerOnes) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = "f"}, clock.Function());
  progress.Start(-1);
  clock.Advance(absl::Seconds(1));
  progress.Update(10 * kMiB + kMiB / 2);  // "f 10.5MiB [00:01, 10.5MiB/s]"
  clock.Advance(absl::Seconds(100));
  progress.Update(10 * kMiB + kMiB / 2);  // "f 10.5MiB [01:41, 0.00B/s]"
  const std::vector<std::string> frames = Frames(out.str());
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[1], "f 10.5MiB [00:01, 10.5MiB/s]");
  EXPECT_EQ(frames[2], "f 10.5MiB [01:41, 0.00B/s]  ");
  for (size_t i = 1; i < frames.size(); ++i) {
    EXPECT_GE(frames[i].size(), StripTrailingSpaces(frames[i - 1]).size());
  }
}

TEST(ProgressBarTest, ResumedTransferStartsAtItsPercentAndRateExcludesIt) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = "f"}, clock.Function());
  progress.Start(100 * kMiB, /*already_have=*/50 * kMiB);
  EXPECT_THAT(out.str(), HasSubstr(" 50%|##########"));
  EXPECT_THAT(out.str(), HasSubstr("| 50.0MiB/100MiB [00:00<??:??, ?B/s]"));
  out.str("");
  clock.Advance(absl::Seconds(2));
  progress.Update(60 * kMiB);
  EXPECT_THAT(out.str(), HasSubstr(" 60%|"));
  EXPECT_THAT(out.str(), HasSubstr("| 60.0MiB/100MiB [00:02<00:08, 5.00MiB/s]"));
  out.str("");
  clock.Advance(absl::Seconds(8));
  progress.Update(100 * kMiB);
  progress.Finish(true);
  EXPECT_THAT(out.str(), EndsWith("| 100MiB/100MiB [00:10<00:00, 5.00MiB/s]\n"));
}

TEST(ProgressBarTest, RateIsRecentNotAverage) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = "f"}, clock.Function());
  progress.Start(-1);
  int64_t bytes = 0;
  // 10 s at 1 MiB/s, then 10 s at 8 MiB/s.
  for (int i = 0; i < 200; ++i) {
    clock.Advance(absl::Milliseconds(100));
    bytes += i < 100 ? kMiB / 10 : 8 * kMiB / 10;
    progress.Update(bytes);
  }
  const std::vector<std::string> frames = Frames(out.str());
  EXPECT_THAT(frames.back(), HasSubstr(", 8.00MiB/s]"));
  progress.Finish(true);
  EXPECT_THAT(out.str(), EndsWith("f 90.0MiB [00:20, 4.50MiB/s]\n"));  // the average
}

TEST(ProgressBarTest, FailureEndsTheLineAndLeavesTheBar) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = "f"}, clock.Function());
  progress.Start(100);
  clock.Advance(absl::Seconds(1));
  progress.Update(30);
  const std::string drawn = out.str();
  progress.Finish(false);
  EXPECT_EQ(out.str(), drawn + "\n");
  EXPECT_THAT(out.str(), Not(HasSubstr("100%")));
  progress.Update(100);  // after Finish: ignored
  progress.Finish(true);
  EXPECT_EQ(out.str(), drawn + "\n");
}

TEST(ProgressBarTest, NothingWithoutStart) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar}, clock.Function());
  progress.Update(5);
  progress.Finish(false);
  progress.Finish(true);
  EXPECT_THAT(out.str(), IsEmpty());
}

TEST(ProgressBarTest, StartAgainRestartsTheTransfer) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kBar, .label = "f"}, clock.Function());
  progress.Start(100 * kMiB, 50 * kMiB);
  clock.Advance(absl::Seconds(1));
  progress.Update(60 * kMiB);
  out.str("");
  progress.Start(100 * kMiB);  // the server ignored the Range request
  EXPECT_THAT(out.str(), HasSubstr("  0%|"));
  EXPECT_THAT(out.str(), HasSubstr("| 0B/100MiB [00:00<??:??, ?B/s]"));
  clock.Advance(absl::Seconds(2));
  progress.Update(20 * kMiB);
  EXPECT_THAT(out.str(), HasSubstr("| 20.0MiB/100MiB [00:02<00:08, 10.0MiB/s]"));
}

// --- kLines ---------------------------------------------------------------------

TEST(ProgressLinesTest, LinesLikeALog) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kLines, .label = "resnet50.pth"},
                           clock.Function());
  progress.Start(100 * kMiB);
  EXPECT_THAT(out.str(), IsEmpty());
  clock.Advance(absl::Seconds(4));
  progress.Update(25 * kMiB);
  EXPECT_EQ(out.str(), "resnet50.pth: 25% (25.0MiB of 100MiB) 6.25MiB/s, 00:12 left\n");
  out.str("");
  clock.Advance(absl::Seconds(3) + absl::Milliseconds(500));
  progress.Update(100 * kMiB);
  progress.Finish(true);
  EXPECT_EQ(out.str(), "resnet50.pth: done, 100MiB in 7.5s, 13.3MiB/s\n");
}

TEST(ProgressLinesTest, ANewLabelKeepsTheTransferGoing) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kLines, .label = "f.bin"}, clock.Function());
  progress.Start(100 * kMiB);
  clock.Advance(absl::Seconds(4));
  progress.Update(25 * kMiB);
  progress.SetLabel("f.bin (8 connections)\n");
  clock.Advance(absl::Seconds(4));
  progress.Update(100 * kMiB);
  progress.Finish(true);
  // Nothing counted as resumed, the rate over the whole time.
  EXPECT_THAT(Lines(out.str()), ::testing::ElementsAre(
                                    "f.bin: 25% (25.0MiB of 100MiB) 6.25MiB/s, 00:12 left",
                                    "f.bin (8 connections)\\x0a: done, 100MiB in 8.0s, 12.5MiB/s"));
}

TEST(ProgressLinesTest, FastDownloadGivesAHandfulOfLines) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kLines, .label = "f"}, clock.Function());
  progress.Start(1000 * kKiB);
  for (int i = 1; i <= 1000; ++i) {
    clock.Advance(absl::Milliseconds(1));
    progress.Update(i * kKiB);
  }
  progress.Finish(true);
  const std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 4u) << out.str();
  EXPECT_THAT(lines[0], StartsWith("f: 25% ("));
  EXPECT_THAT(lines[1], StartsWith("f: 50% ("));
  EXPECT_THAT(lines[2], StartsWith("f: 75% ("));
  EXPECT_EQ(lines[3], "f: done, 0.98MiB in 1.0s, 0.98MiB/s");
}

TEST(ProgressLinesTest, SlowDownloadGivesALinePerInterval) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(
      &out, {.style = Style::kLines, .label = "f", .line_interval = absl::Seconds(10)},
      clock.Function());
  progress.Start(100 * kMiB);
  for (int i = 1; i <= 600; ++i) {  // 60 s, to 12%
    clock.Advance(absl::Milliseconds(100));
    progress.Update(i * kMiB / 50);
  }
  const std::vector<std::string> lines = Lines(out.str());
  EXPECT_EQ(lines.size(), 6u) << out.str();
  EXPECT_THAT(lines.back(),
              AllOf(StartsWith("f: 12% (12.0MiB of 100MiB) 205KiB/s, 07:"), EndsWith(" left")));
}

TEST(ProgressLinesTest, QuarterBoundariesCrossedTogetherGiveOneLine) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kLines}, clock.Function());
  progress.Start(100);
  clock.Advance(absl::Seconds(1));
  progress.Update(80);
  EXPECT_EQ(out.str(), "80% (80B of 100B) 80.0B/s, 00:00 left\n");
}

TEST(ProgressLinesTest, UnknownTotal) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kLines, .label = "resnet50.pth"},
                           clock.Function());
  progress.Start(-1);
  clock.Advance(absl::Seconds(10));
  progress.Update(150 * kMiB);
  EXPECT_EQ(out.str(), "resnet50.pth: 150MiB, 15.0MiB/s\n");
  out.str("");
  clock.Advance(absl::Seconds(1));
  progress.Update(160 * kMiB);  // within line_interval: no line
  EXPECT_THAT(out.str(), IsEmpty());
  clock.Advance(absl::Seconds(80));
  progress.Finish(true);
  EXPECT_EQ(out.str(), "resnet50.pth: done, 160MiB in 01:31, 1.76MiB/s\n");
}

TEST(ProgressLinesTest, ResumedTransfer) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kLines, .label = "f"}, clock.Function());
  progress.Start(100 * kMiB, /*already_have=*/60 * kMiB);  // already past 25% and 50%
  clock.Advance(absl::Seconds(2));
  progress.Update(70 * kMiB);
  EXPECT_THAT(out.str(), IsEmpty());
  clock.Advance(absl::Seconds(1));
  progress.Update(76 * kMiB);
  EXPECT_EQ(out.str(), "f: 76% (76.0MiB of 100MiB) 5.33MiB/s, 00:04 left\n");
  out.str("");
  clock.Advance(absl::Seconds(5));
  progress.Update(100 * kMiB);
  progress.Finish(true);
  EXPECT_EQ(out.str(), "f: done, 100MiB (60.0MiB resumed) in 8.0s, 5.00MiB/s\n");
}

TEST(ProgressLinesTest, FailureWritesNothingMore) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kLines, .label = "f"}, clock.Function());
  progress.Start(100);
  clock.Advance(absl::Seconds(1));
  progress.Update(10);
  progress.Finish(false);
  EXPECT_THAT(out.str(), IsEmpty());
}

// --- kNone ----------------------------------------------------------------------

TEST(ProgressNoneTest, WritesNothing) {
  FakeClock clock;
  std::ostringstream out;
  ProgressDisplay progress(&out, {.style = Style::kNone, .label = "f"}, clock.Function());
  for (bool success : {true, false}) {
    progress.Start(100, 10);
    for (int i = 0; i < 100; ++i) {
      clock.Advance(absl::Seconds(1));
      progress.Update(i);
    }
    progress.Finish(success);
  }
  EXPECT_THAT(out.str(), IsEmpty());
  EXPECT_EQ(clock.reads(), 0);
}

TEST(ProgressNoneTest, NullStreamWritesNothing) {
  FakeClock clock;
  ProgressDisplay progress(nullptr, {.style = Style::kBar}, clock.Function());
  progress.Start(100);
  progress.Update(50);
  progress.Finish(true);
  EXPECT_EQ(clock.reads(), 0);
}

// --- StyleFor / WidthFor ----------------------------------------------------------

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old;
    had_ = old != nullptr;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (had_) {
      setenv(name_, old_.c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// A pseudo-terminal: the second end is a terminal as far as isatty goes.
class Pty {
 public:
  Pty() {
    master_ = posix_openpt(O_RDWR | O_NOCTTY);
    if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) return;
    const char* name = ptsname(master_);
    if (name != nullptr) slave_ = open(name, O_RDWR | O_NOCTTY);
  }
  ~Pty() {
    if (slave_ >= 0) close(slave_);
    if (master_ >= 0) close(master_);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  int master() const { return master_; }
  int slave() const { return slave_; }

 private:
  int master_ = -1;
  int slave_ = -1;
};

TEST(StyleForTest, DisabledIsNone) {
  EXPECT_EQ(ProgressDisplay::StyleFor(STDERR_FILENO, false), Style::kNone);
}

TEST(StyleForTest, PipeGetsLines) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_EQ(ProgressDisplay::StyleFor(fds[1], true), Style::kLines);
  close(fds[0]);
  close(fds[1]);
}

TEST(StyleForTest, TerminalGetsBarUnlessDumb) {
  Pty pty;
  if (pty.slave() < 0) GTEST_SKIP() << "no pseudo-terminal here";
  {
    ScopedEnv term("TERM", "xterm-256color");
    EXPECT_EQ(ProgressDisplay::StyleFor(pty.slave(), true), Style::kBar);
  }
  {
    ScopedEnv term("TERM", nullptr);
    EXPECT_EQ(ProgressDisplay::StyleFor(pty.slave(), true), Style::kBar);
  }
  {
    ScopedEnv term("TERM", "dumb");
    EXPECT_EQ(ProgressDisplay::StyleFor(pty.slave(), true), Style::kLines);
  }
}

TEST(WidthForTest, TerminalSizeThenColumnsThen80) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    ScopedEnv columns("COLUMNS", nullptr);
    EXPECT_EQ(ProgressDisplay::WidthFor(fds[1]), 80);
  }
  {
    ScopedEnv columns("COLUMNS", "97");
    EXPECT_EQ(ProgressDisplay::WidthFor(fds[1]), 97);
  }
  for (const char* bad : {"", "0", "-5", "wide"}) {
    ScopedEnv columns("COLUMNS", bad);
    EXPECT_EQ(ProgressDisplay::WidthFor(fds[1]), 80) << bad;
  }
  close(fds[0]);
  close(fds[1]);

  Pty pty;
  if (pty.slave() < 0) GTEST_SKIP() << "no pseudo-terminal here";
  struct winsize size = {};
  size.ws_row = 40;
  size.ws_col = 123;
  ASSERT_EQ(ioctl(pty.master(), TIOCSWINSZ, &size), 0);
  ScopedEnv columns("COLUMNS", "97");
  EXPECT_EQ(ProgressDisplay::WidthFor(pty.slave()), 123);
}

}  // namespace
}  // namespace hub
