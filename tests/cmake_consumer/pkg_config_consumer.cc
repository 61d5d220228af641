// Compiled and linked with `pkg-config --cflags --libs torchhub` alone.
#include <iostream>

#include "hub/api/hub.h"

int main() {
  std::cout << "torchhub " << hub::Version() << "\n";
  return 0;
}
