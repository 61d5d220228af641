// Progress display for downloads: what torch.hub's download_url_to_file shows
// with tqdm, for a terminal (a bar redrawn in place) or a log (sparse lines).
//
//   using hub::ProgressDisplay;
//   ProgressDisplay progress(&std::cerr,
//                            {.style = ProgressDisplay::StyleFor(STDERR_FILENO, show_progress),
//                             .label = "resnet50-0676ba61.pth",
//                             .width = ProgressDisplay::WidthFor(STDERR_FILENO)});
//   progress.Start(content_length);          // -1 when there is no Content-Length
//   ... for each chunk received: progress.Update(bytes_so_far);
//   progress.Finish(/*success=*/ok);
//
// kBar (a terminal), redrawn on one line with '\r' at most once per
// min_redraw_interval, never wider than `width - 1` columns:
//   resnet50.pth  45%|#########           | 45.0MiB/100MiB [00:03<00:03, 15.0MiB/s]
//   resnet50.pth 45.0MiB [00:03, 15.0MiB/s]                  (total unknown)
// kLines (a log file): a line when a 25% boundary is crossed or when
// line_interval has passed since the last line, whichever comes first, and a
// summary on success:
//   resnet50.pth: 25% (25.0MiB of 100MiB) 6.25MiB/s, 00:12 left
//   resnet50.pth: 45.0MiB, 15.0MiB/s                         (total unknown)
//   resnet50.pth: done, 100MiB in 7.5s, 13.3MiB/s
// kNone writes nothing.
//
// The rate is the bytes received over the last ~3 seconds (bytes resumed from
// an earlier transfer don't count); the time left is derived from it.
//
// Thread-compatible: Start, Update and Finish must be called from one thread
// at a time (normally the thread receiving the data); the ostream must not be
// written by anyone else meanwhile.

#ifndef HUB_DOWNLOAD_PROGRESS_H_
#define HUB_DOWNLOAD_PROGRESS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/base/units.h"  // FormatBytes, which lived here

namespace hub {

class ProgressDisplay {
 public:
  enum class Style { kNone, kBar, kLines };

  struct Options {
    // kBar: one line redrawn in place (a terminal); kLines: sparse plain lines
    // (a log file); kNone: nothing. See StyleFor.
    Style style = Style::kLines;
    // Shown first, typically the file name. Control characters are shown as
    // '?'. For kBar it is shortened in the middle ("abc...xyz") to leave
    // room for the bar and the figures, and left out on very narrow lines.
    std::string label;
    // Terminal columns (kBar); lines use at most width - 1 of them, so that
    // terminals that wrap eagerly don't scroll. Values < 2 count as 80.
    int width = 80;
    // kBar: the least time between two redraws (Start and Finish always draw).
    absl::Duration min_redraw_interval = absl::Milliseconds(100);
    // kLines: a progress line when this much time has passed since the last
    // line (or the start), besides the lines at 25%, 50% and 75%.
    absl::Duration line_interval = absl::Seconds(10);
  };

  // kNone when !enabled; kBar when `fd` is a terminal and $TERM is not
  // "dumb"; kLines otherwise.
  static Style StyleFor(int fd, bool enabled);

  // The columns of the terminal on `fd` (TIOCGWINSZ), else $COLUMNS when it
  // is a positive number, else 80.
  static int WidthFor(int fd);

  // Writes to `*out`, which must outlive this object (null: nothing is
  // written). `clock` is called from Start, Finish, and from Update at most
  // every few calls (see Update).
  ProgressDisplay(std::ostream* out, Options options,
                  std::function<absl::Time()> clock = absl::Now);

  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // Begins a transfer of `total_bytes` (negative: unknown), of which
  // `already_have` bytes were resumed from an earlier transfer: they count
  // towards the percentage, not towards the rate. May be called again (a
  // resumed transfer the server restarted from 0): elapsed time, rate and
  // line schedule start afresh. kBar draws at once.
  void Start(int64_t total_bytes, int64_t already_have = 0);

  // Reports the bytes of the file so far (already_have included). Meant to
  // be called for every chunk received: it only stores the count and
  // decrements a counter, and consults the clock once per 1 to 16 calls
  // (adapted so that the clock is read about every 10 ms), so the display
  // may lag by up to that many calls. No allocation or formatting unless a
  // line is drawn. Ignored before Start and after Finish.
  void Update(int64_t bytes_so_far) {
    bytes_ = bytes_so_far;
    if (--calls_until_check_ <= 0) Check();
  }

  // Names the transfer anew from the next line drawn on (a download that
  // went over several connections says so); bytes, time and rate go on.
  void SetLabel(absl::string_view label);

  // Ends the transfer. On success kBar draws the final state (100% when the
  // last Update reached the total) with the average rate, then a newline;
  // kLines writes a summary line. On failure kBar writes only a newline (the
  // last bar stays visible) and kLines nothing. Nothing without Start.
  void Finish(bool success);

 private:
  struct Sample {
    absl::Time time;
    int64_t bytes = 0;
  };
  static constexpr int kRateSamples = 16;
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  void Check();
  void AdaptCheckInterval(absl::Time now);
  void RecordSample(absl::Time now);
  // Bytes per second over the recent window; negative when unknown.
  double WindowRate(absl::Time now) const;
  double AverageRate(absl::Time now) const;
  void DrawBar(absl::Time now, bool final_line);
  void MaybeWriteLine(absl::Time now);
  void WriteLine(absl::Time now);
  void WriteSummary(absl::Time now);

  std::ostream* const out_;
  const Options options_;
  const std::function<absl::Time()> clock_;
  const int usable_width_;  // kBar: the longest line drawn
  std::string label_;       // sanitised (and for kBar, shortened)

  // Hot: touched by every Update.
  int64_t bytes_ = 0;
  int64_t calls_until_check_ = kNever;

  bool running_ = false;
  int64_t calls_per_check_ = 1;
  absl::Time last_check_;
  int64_t total_ = -1;
  int64_t already_have_ = 0;
  absl::Time start_;

  std::array<Sample, kRateSamples> samples_;  // a ring, oldest first from samples_head_
  int samples_head_ = 0;
  int samples_count_ = 0;

  // kBar.
  absl::Time last_draw_;
  size_t last_drawn_length_ = 0;  // what a shorter line must blank out
  bool drew_ = false;
  std::string line_;     // reused, to keep redraws from allocating
  std::string figures_;  // the same

  // kLines.
  absl::Time last_line_;
  int last_quarter_ = 0;
};

// FormatBytes (tqdm's byte counts) is in hub/base/units.h.

// "10.5MiB/s", "512B/s", "0.00B/s"; "?B/s" when negative or not finite
// (unknown).
std::string FormatRate(double bytes_per_second);

// tqdm's format_interval, whole seconds: "00:05", "01:02", "01:02:03",
// "100:00:00"; "??:??" when negative or infinite (unknown). Call it as
// hub::FormatDuration: unqualified, argument-dependent lookup also finds
// absl::FormatDuration and the call is ambiguous.
std::string FormatDuration(absl::Duration d);

}  // namespace hub

#endif  // HUB_DOWNLOAD_PROGRESS_H_
