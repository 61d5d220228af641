#include "hub/base/units.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace hub {

std::string FormatBinaryScaled(double num, absl::string_view suffix) {
  static constexpr const char* kUnits[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi"};
  for (const char* unit : kUnits) {
    if (std::fabs(num) < 999.5) {
      if (std::fabs(num) < 99.95) {
        if (std::fabs(num) < 9.995) return absl::StrFormat("%1.2f%s%s", num, unit, suffix);
        return absl::StrFormat("%2.1f%s%s", num, unit, suffix);
      }
      return absl::StrFormat("%3.0f%s%s", num, unit, suffix);
    }
    num /= 1024;
  }
  return absl::StrFormat("%3.1fYi%s", num, suffix);
}

std::string FormatBytes(int64_t bytes) {
  if (bytes < 0) return "?B";
  if (bytes < 1000) return absl::StrCat(bytes, "B");
  return FormatBinaryScaled(static_cast<double>(bytes), "B");
}

absl::StatusOr<absl::Duration> ParseAge(absl::string_view text) {
  const std::string t(absl::StripAsciiWhitespace(text));
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text,
                     "\" is not an age: give a number and a unit, such as 30d, 12h, 90m, 1w "
                     "or 1h30m"));
  };
  absl::Duration d;
  if (!t.empty() && (t.back() == 'd' || t.back() == 'w')) {
    double n = 0;
    if (!absl::SimpleAtod(t.substr(0, t.size() - 1), &n) || !std::isfinite(n)) return bad();
    d = absl::Hours(24 * (t.back() == 'w' ? 7 : 1)) * n;
  } else if (!absl::ParseDuration(t, &d) || d == absl::InfiniteDuration() || t == "0") {
    // "0" with no unit is too easy to mistake for "no limit".
    return bad();
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is a negative age; give one of 0s or more"));
  }
  return d;
}

absl::StatusOr<int64_t> ParseByteSize(absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text,
                     "\" is not a size: give bytes, or a number with K, M, G or T "
                     "(1024-based, also KiB...), or KB, MB, GB, TB (1000-based), such as "
                     "500M, 10G or 1.5GiB"));
  };
  size_t end = 0;
  while (end < t.size() &&
         (absl::ascii_isdigit(static_cast<unsigned char>(t[end])) || t[end] == '.')) {
    ++end;
  }
  double n = 0;
  if (end == 0 || !absl::SimpleAtod(t.substr(0, end), &n) || !std::isfinite(n) || n < 0) {
    return bad();
  }
  absl::string_view unit = absl::StripLeadingAsciiWhitespace(absl::string_view(t).substr(end));
  double scale = 1;
  if (!unit.empty() && unit != "b") {
    const char prefix = unit[0];
    const absl::string_view rest = unit.substr(1);
    const size_t power = absl::string_view("kmgtp").find(prefix);
    if (power == absl::string_view::npos) return bad();
    double base = 1024;
    if (rest == "b") {
      base = 1000;
    } else if (!rest.empty() && rest != "i" && rest != "ib") {
      return bad();
    }
    scale = std::pow(base, static_cast<double>(power + 1));
  }
  const double bytes = std::floor(n * scale);
  if (bytes >= 9.2e18) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is too large a size"));
  }
  return static_cast<int64_t>(bytes);
}

}  // namespace hub
