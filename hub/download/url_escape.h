// Percent-encoding for the pieces of URLs we build from input (owners,
// repository names, refs), so that a URL keeps the shape it was built with
// whatever the input holds: a "#" can't start a fragment, a "?" a query, a
// "%" an escape that the server decodes into something else, and a space or
// a control character can't reach the request line.
//
//   hub::EscapeUrlPath("release/1.0#rc1")  // "release/1.0%23rc1"
//   hub::EscapeUrlPathSegment("a/b")       // "a%2Fb"
//   hub::EscapeUrlPath("caf\xC3\xA9")      // "caf%C3%A9"
//
// What stays as it is: RFC 3986's unreserved characters (A-Z a-z 0-9 - . _
// ~) and the path characters no server we know of reads specially
// (! $ & ' ( ) * , = : @). Everything else becomes %XX, upper-case hex, one
// per byte (so a UTF-8 character is two to four escapes), including "+",
// which some servers read in a path as a space, and ";", which some read as
// the start of path parameters. The server decodes the path back to the
// input's exact bytes.
//
// A segment that is "." or ".." is written "%2E" or "%2E%2E", so that libcurl
// does not remove it as a dot segment. Servers may still resolve it after
// decoding: refuse such input before building a URL (ParseRepoRef does).
//
// Pure computation; thread-safe.

#ifndef HUB_DOWNLOAD_URL_ESCAPE_H_
#define HUB_DOWNLOAD_URL_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hub {

// `segment` as one path segment: "/" is encoded too.
std::string EscapeUrlPathSegment(absl::string_view segment);

// `path` as a sequence of segments: each "/" is kept, as in a branch named
// "release/1.0", and each segment between them is escaped as above.
std::string EscapeUrlPath(absl::string_view path);

}  // namespace hub

#endif  // HUB_DOWNLOAD_URL_ESCAPE_H_
