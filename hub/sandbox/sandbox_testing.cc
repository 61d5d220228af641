#include "hub/sandbox/sandbox_testing.h"

#include <cstdlib>

namespace hub::sandbox {

bool BwrapNamespacesAvailable() {
  static const bool available =
      std::system(
          "/usr/bin/bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib /lib "
          "--symlink usr/lib64 /lib64 --symlink usr/bin /bin /usr/bin/true "
          ">/dev/null 2>&1") == 0;
  return available;
}

}  // namespace hub::sandbox
