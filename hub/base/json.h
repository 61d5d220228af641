// Writing JSON for machine-readable output (`torchhub ... --json`).
//
//   hub::JsonObject o;
//   o.Add("owner", hub::JsonString("pytorch"));
//   o.Add("ref", hub::JsonNull());
//   o.Add("dirs", hub::JsonArray({hub::JsonString("/a"), hub::JsonString("/b")}));
//   std::cout << o.Build();   // {"owner":"pytorch","ref":null,"dirs":["/a","/b"]}
//
// Values are pre-rendered strings, so objects nest by adding one's Build()
// to another. Strings are escaped per RFC 8259. A path can hold any bytes:
// each byte that is not part of valid UTF-8 is written as "\udcXX" (XX its
// hex value, 80-ff), Python's surrogateescape. The escaping is reversible:
// hub/base/json_reader gives the byte back, and in Python
// os.fsencode(json.loads(text)) does.

#ifndef HUB_BASE_JSON_H_
#define HUB_BASE_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace hub {

std::string JsonString(absl::string_view s);
std::string JsonBool(bool b);
std::string JsonInt(int64_t n);
std::string JsonNull();
std::string JsonArray(const std::vector<std::string>& rendered_values);
std::string JsonStringArray(const std::vector<std::string>& strings);

class JsonObject {
 public:
  // Adds `key` with an already-rendered value (JsonString(...), ...).
  JsonObject& Add(absl::string_view key, std::string rendered_value);
  std::string Build() const;

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

}  // namespace hub

#endif  // HUB_BASE_JSON_H_
