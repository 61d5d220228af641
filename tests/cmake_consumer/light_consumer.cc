// Uses torchhub::hub from an installed prefix: where a repo would be cached.
//
//   light_consumer HUB_DIR
//   cache_dir=HUB_DIR/pytorch_vision_v0.14.1
//   version=0.1.0
#include <iostream>

#include "hub/api/hub.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: light_consumer HUB_DIR\n";
    return 2;
  }
  hub::SetDir(argv[1]);
  absl::StatusOr<hub::ParsedRepo> parsed = hub::ParseRepo("pytorch/vision:v0.14.1");
  if (!parsed.ok() || !parsed->cache_dir.has_value()) {
    std::cerr << "ParseRepo: " << parsed.status() << "\n";
    return 1;
  }
  std::cout << "cache_dir=" << *parsed->cache_dir << "\n";
  std::cout << "version=" << hub::Version() << "\n";
  return 0;
}
