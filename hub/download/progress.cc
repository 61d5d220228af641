#include "hub/download/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "hub/base/terminal_text.h"

namespace hub {
namespace {

// Update reads the clock about this often (see AdaptCheckInterval).
constexpr absl::Duration kCheckInterval = absl::Milliseconds(10);
// ... and at least once per this many calls.
constexpr int64_t kMaxCallsPerCheck = 16;

// The rate is measured over at least this much recent time...
constexpr absl::Duration kRateWindow = absl::Seconds(3);
// ... from samples at least this far apart (kRateSamples of them span more
// than kRateWindow).
constexpr absl::Duration kSampleSpacing = absl::Milliseconds(250);

// kBar layout: " 100%|" after the label, a bar of at least kMinBarCells, and
// the figures ("| 45.0MiB/100MiB [00:03<00:04, 13.2MiB/s]", 42 columns at
// most while under an hour).
constexpr int kPercentColumns = 6;
constexpr int kMinBarCells = 10;
constexpr int kFigureColumns = 42;
// A label shortened below this is left out.
constexpr int kMinLabelColumns = 5;

constexpr int kDefaultWidth = 80;

// floor(part * scale / whole), with part clamped to [0, whole]; whole > 0.
int64_t Scale(int64_t part, int64_t whole, int64_t scale) {
  if (part <= 0) return 0;
  if (part >= whole) return scale;
  return static_cast<int64_t>(absl::uint128(part) * absl::uint128(scale) / absl::uint128(whole));
}

// Control characters would move the cursor or break log lines; a label
// is one line, so newlines and tabs go too.
std::string Sanitize(absl::string_view label) {
  return absl::StrReplaceAll(EscapeControls(label), {{"\n", "\\x0a"}, {"\t", "\\x09"}});
}

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// `label` in at most `columns` bytes: whole, "head...tail", or empty when too
// narrow. Never splits a UTF-8 sequence. (A byte is at least as wide as the
// column it takes, so counting bytes never overflows the line.)
std::string Shorten(std::string label, int columns) {
  if (columns < 0) columns = 0;
  if (label.size() <= static_cast<size_t>(columns)) return label;
  if (columns < kMinLabelColumns) return "";
  const size_t keep = static_cast<size_t>(columns) - 3;
  size_t head = keep - keep / 2;
  size_t tail_start = label.size() - keep / 2;
  while (head > 0 && IsUtf8Continuation(label[head])) --head;
  while (tail_start < label.size() && IsUtf8Continuation(label[tail_start])) ++tail_start;
  return absl::StrCat(absl::string_view(label).substr(0, head), "...",
                      absl::string_view(label).substr(tail_start));
}

int UsableWidth(int width) { return (width < 2 ? kDefaultWidth : width) - 1; }

std::string LabelFor(const ProgressDisplay::Options& options) {
  std::string label = Sanitize(options.label);
  if (options.style != ProgressDisplay::Style::kBar) return label;
  return Shorten(std::move(label),
                 UsableWidth(options.width) - kPercentColumns - kMinBarCells - kFigureColumns);
}

// Seconds with a tenth for short transfers, tqdm's clock beyond a minute.
std::string FormatElapsed(absl::Duration d) {
  if (d < absl::Minutes(1)) {
    return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(absl::Trunc(d, absl::Milliseconds(100))));
  }
  return hub::FormatDuration(d);
}

absl::Duration TimeLeft(int64_t total, int64_t bytes, double rate) {
  if (total < 0 || !(rate > 0)) return absl::InfiniteDuration();
  const int64_t left = total > bytes ? total - bytes : 0;
  return absl::Seconds(static_cast<double>(left) / rate);
}

}  // namespace

std::string FormatRate(double bytes_per_second) {
  if (!std::isfinite(bytes_per_second) || bytes_per_second < 0) return "?B/s";
  return FormatBinaryScaled(bytes_per_second, "B/s");
}

std::string FormatDuration(absl::Duration d) {
  if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) return "??:??";
  const int64_t seconds = absl::ToInt64Seconds(d);
  const int64_t hours = seconds / 3600;
  const int64_t minutes = seconds / 60 % 60;
  if (hours > 0) return absl::StrFormat("%02d:%02d:%02d", hours, minutes, seconds % 60);
  return absl::StrFormat("%02d:%02d", minutes, seconds % 60);
}

ProgressDisplay::Style ProgressDisplay::StyleFor(int fd, bool enabled) {
  if (!enabled) return Style::kNone;
  if (isatty(fd) != 1) return Style::kLines;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return Style::kLines;
  return Style::kBar;
}

int ProgressDisplay::WidthFor(int fd) {
  struct winsize size = {};
  if (ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  const char* columns = std::getenv("COLUMNS");
  int width = 0;
  if (columns != nullptr && absl::SimpleAtoi(columns, &width) && width > 0) return width;
  return kDefaultWidth;
}

ProgressDisplay::ProgressDisplay(std::ostream* out, Options options,
                                 std::function<absl::Time()> clock)
    : out_(options.style == Style::kNone ? nullptr : out),
      options_(std::move(options)),
      clock_(std::move(clock)),
      usable_width_(UsableWidth(options_.width)),
      label_(LabelFor(options_)) {}

void ProgressDisplay::Start(int64_t total_bytes, int64_t already_have) {
  if (out_ == nullptr) return;  // kNone: Update's counter stays at kNever
  const absl::Time now = clock_();
  running_ = true;
  total_ = total_bytes < 0 ? -1 : total_bytes;
  already_have_ = std::max<int64_t>(already_have, 0);
  bytes_ = already_have_;
  start_ = now;
  last_check_ = now;
  calls_per_check_ = 1;
  calls_until_check_ = 1;
  samples_head_ = 0;
  samples_count_ = 0;
  RecordSample(now);
  last_line_ = now;
  last_quarter_ = total_ > 0 ? static_cast<int>(Scale(already_have_, total_, 4)) : 0;
  if (options_.style == Style::kBar) DrawBar(now, /*final_line=*/false);
}

void ProgressDisplay::SetLabel(absl::string_view label) {
  Options options = options_;
  options.label = std::string(label);
  label_ = LabelFor(options);
}

void ProgressDisplay::Finish(bool success) {
  if (!running_) return;
  running_ = false;
  calls_until_check_ = kNever;
  const absl::Time now = clock_();
  if (options_.style == Style::kBar) {
    if (success) {
      DrawBar(now, /*final_line=*/true);
    } else if (drew_) {
      *out_ << '\n';
      out_->flush();
    }
    drew_ = false;
    last_drawn_length_ = 0;
  } else if (success) {
    WriteSummary(now);
  }
}

void ProgressDisplay::Check() {
  if (!running_) {
    calls_until_check_ = kNever;
    return;
  }
  const absl::Time now = clock_();
  AdaptCheckInterval(now);
  RecordSample(now);
  if (options_.style == Style::kBar) {
    if (now - last_draw_ >= options_.min_redraw_interval) DrawBar(now, /*final_line=*/false);
  } else {
    MaybeWriteLine(now);
  }
}

// Like tqdm's dynamic miniters: read the clock about every kCheckInterval.
// The number of calls between reads doubles while reads come too often and
// drops in proportion at once when they come too rarely (a transfer that
// slows down), so a slowed transfer is not left undrawn for long.
void ProgressDisplay::AdaptCheckInterval(absl::Time now) {
  const absl::Duration since = now - last_check_;
  last_check_ = now;
  if (since < kCheckInterval / 2) {
    calls_per_check_ = std::min(calls_per_check_ * 2, kMaxCallsPerCheck);
  } else if (since > kCheckInterval) {
    const double scaled =
        static_cast<double>(calls_per_check_) * absl::FDivDuration(kCheckInterval, since);
    calls_per_check_ = std::max<int64_t>(1, static_cast<int64_t>(scaled));
  }
  calls_until_check_ = calls_per_check_;
}

void ProgressDisplay::RecordSample(absl::Time now) {
  if (samples_count_ > 0) {
    const Sample& newest = samples_[(samples_head_ + samples_count_ - 1) % kRateSamples];
    if (now - newest.time < kSampleSpacing) return;
  }
  if (samples_count_ == kRateSamples) {
    samples_head_ = (samples_head_ + 1) % kRateSamples;
    --samples_count_;
  }
  samples_[(samples_head_ + samples_count_) % kRateSamples] = {now, bytes_};
  ++samples_count_;
}

// Over the span from the newest sample at least kRateWindow old (else the
// oldest) to now.
double ProgressDisplay::WindowRate(absl::Time now) const {
  if (samples_count_ == 0) return -1;
  const Sample* base = &samples_[samples_head_];
  for (int i = samples_count_ - 1; i >= 0; --i) {
    const Sample& s = samples_[(samples_head_ + i) % kRateSamples];
    if (now - s.time >= kRateWindow) {
      base = &s;
      break;
    }
  }
  const double seconds = absl::ToDoubleSeconds(now - base->time);
  if (!(seconds > 0)) return -1;
  return static_cast<double>(bytes_ - base->bytes) / seconds;
}

double ProgressDisplay::AverageRate(absl::Time now) const {
  const double seconds = absl::ToDoubleSeconds(now - start_);
  if (!(seconds > 0)) return -1;
  return static_cast<double>(bytes_ - already_have_) / seconds;
}

void ProgressDisplay::DrawBar(absl::Time now, bool final_line) {
  const double rate = final_line ? AverageRate(now) : WindowRate(now);
  const absl::Duration elapsed = now - start_;
  line_.assign(1, '\r');
  if (!label_.empty()) absl::StrAppend(&line_, label_, " ");
  if (total_ >= 0) {
    absl::StrAppendFormat(&line_, "%3d%%|", total_ > 0 ? Scale(bytes_, total_, 100) : 100);
    figures_.clear();
    absl::StrAppend(&figures_, "| ", FormatBytes(bytes_), "/", FormatBytes(total_), " [",
                    hub::FormatDuration(elapsed), "<",
                    hub::FormatDuration(TimeLeft(total_, bytes_, rate)), ", ", FormatRate(rate),
                    "]");
    // The bar keeps its length while the figures vary (up to kFigureColumns).
    const int64_t cells = std::max<int64_t>(
        0, usable_width_ - static_cast<int64_t>(line_.size() - 1) -
               std::max<int64_t>(kFigureColumns, static_cast<int64_t>(figures_.size())));
    const int64_t filled = total_ > 0 ? Scale(bytes_, total_, cells) : cells;
    line_.append(static_cast<size_t>(filled), '#');
    line_.append(static_cast<size_t>(cells - filled), ' ');
    line_.append(figures_);
  } else {
    absl::StrAppend(&line_, FormatBytes(bytes_), " [", hub::FormatDuration(elapsed), ", ",
                    FormatRate(rate), "]");
  }
  // Only when even the figures don't fit (very narrow, or hours to go).
  const size_t max_size = 1 + static_cast<size_t>(usable_width_);
  if (line_.size() > max_size) line_.resize(max_size);
  const size_t length = line_.size() - 1;
  if (length < last_drawn_length_) line_.append(last_drawn_length_ - length, ' ');
  if (final_line) line_ += '\n';
  out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
  out_->flush();
  last_drawn_length_ = final_line ? 0 : length;
  last_draw_ = now;
  drew_ = !final_line;
}

void ProgressDisplay::MaybeWriteLine(absl::Time now) {
  if (total_ > 0) {
    const int quarter = static_cast<int>(Scale(bytes_, total_, 4));
    if (quarter > last_quarter_ && quarter < 4) {
      last_quarter_ = quarter;
      WriteLine(now);
      return;
    }
  }
  if (now - last_line_ >= options_.line_interval) WriteLine(now);
}

void ProgressDisplay::WriteLine(absl::Time now) {
  const double rate = WindowRate(now);
  line_.clear();
  if (!label_.empty()) absl::StrAppend(&line_, label_, ": ");
  if (total_ >= 0) {
    absl::StrAppendFormat(&line_, "%d%% (%s of %s) %s, %s left\n",
                          total_ > 0 ? Scale(bytes_, total_, 100) : 100, FormatBytes(bytes_),
                          FormatBytes(total_), FormatRate(rate),
                          hub::FormatDuration(TimeLeft(total_, bytes_, rate)));
  } else {
    absl::StrAppend(&line_, FormatBytes(bytes_), ", ", FormatRate(rate), "\n");
  }
  out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
  out_->flush();
  last_line_ = now;
}

void ProgressDisplay::WriteSummary(absl::Time now) {
  line_.clear();
  if (!label_.empty()) absl::StrAppend(&line_, label_, ": ");
  absl::StrAppend(&line_, "done, ", FormatBytes(bytes_));
  if (already_have_ > 0) absl::StrAppend(&line_, " (", FormatBytes(already_have_), " resumed)");
  absl::StrAppend(&line_, " in ", FormatElapsed(now - start_), ", ", FormatRate(AverageRate(now)),
                  "\n");
  out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
  out_->flush();
}

}  // namespace hub
