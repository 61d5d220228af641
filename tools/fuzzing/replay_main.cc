// A main() for fuzz targets built without libFuzzer.
//
// It runs LLVMFuzzerTestOneInput on every file named on the command line
// (directories are walked), then on a fixed-seed series of mutations of
// those inputs, so every CI run exercises each fuzz target deterministically.
// HUB_FUZZ_ITERATIONS sets how many mutations (default 20000).
//
// When an input crashes the target (abort, a fatal signal, or a sanitizer
// report), the replay prints, before the process dies, which input it was
// (the corpus file, or which mutation of which file) and its bytes in hex,
// and saves them as crash-input in $TEST_UNDECLARED_OUTPUTS_DIR (Bazel's
// test.outputs), so the failure can be reproduced:
//   bazel-bin/<pkg>/<target> bazel-testlogs/<pkg>/<target>/test.outputs/crash-input
//
// Real fuzzing uses `--config=fuzz`, which links libFuzzer's main instead.

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tools/fuzzing/fuzz_target.h"
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
// Present when a sanitizer runtime is linked: it calls `callback` before it
// ends the process after a report. The name is the runtime's own.
extern "C" __attribute__((weak)) void
__sanitizer_set_death_callback(  // NOLINT(bugprone-reserved-identifier)
    void (*callback)());

namespace {

struct Input {
  std::string name;  // the corpus file it came from
  std::string bytes;
};

// What is running now, for the crash report. Set before each run; read only
// by the report, which may run in a signal handler and so must not allocate.
struct Current {
  bool running = false;
  const char* name = nullptr;
  int64_t mutation = -1;
  const uint8_t* data = nullptr;
  size_t size = 0;
};
Current current;
// Where ReportCurrentInput saves the input: set once, before any run; empty
// outside Bazel.
char save_path[4096];

// write(2) all of `s`: the report must be async-signal-safe.
void WriteAll(int fd, const char* s, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}
void WriteString(int fd, const char* s) { WriteAll(fd, s, std::strlen(s)); }

void WriteNumber(int fd, uint64_t n) {
  char digits[24];
  size_t i = sizeof(digits);
  do {
    digits[--i] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  WriteAll(fd, digits + i, sizeof(digits) - i);
}

// Prints the input being run (name and hex bytes) to stderr and saves its
// bytes to $TEST_UNDECLARED_OUTPUTS_DIR/crash-input. Async-signal-safe.
void ReportCurrentInput() {
  static volatile sig_atomic_t reported = 0;
  if (!current.running || reported != 0) return;
  reported = 1;
  constexpr int kErr = STDERR_FILENO;
  WriteString(kErr, "\n==== fuzz replay: this input crashed the target: ");
  if (current.mutation >= 0) {
    WriteString(kErr, "mutation ");
    WriteNumber(kErr, static_cast<uint64_t>(current.mutation));
    WriteString(kErr, " (HUB_FUZZ_ITERATIONS counts them) of ");
  }
  WriteString(kErr, current.name != nullptr ? current.name : "(no corpus: the empty input)");
  WriteString(kErr, ", ");
  WriteNumber(kErr, current.size);
  WriteString(kErr, " bytes:\n");
  static constexpr char kHex[] = "0123456789abcdef";
  char line[3 * 32 + 1];
  for (size_t i = 0; i < current.size; i += 32) {
    size_t n = 0;
    for (size_t j = i; j < current.size && j < i + 32; ++j) {
      line[n++] = kHex[current.data[j] >> 4];
      line[n++] = kHex[current.data[j] & 0xf];
      line[n++] = ' ';
    }
    // n >= 3 here; gcc 12 at -O2 cannot tell, and warns (stringop-overflow).
    if (n == 0) break;
    line[n - 1] = '\n';
    WriteAll(kErr, line, n);
  }
  if (save_path[0] != '\0') {
    const int fd = open(save_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      WriteAll(fd, reinterpret_cast<const char*>(current.data), current.size);
      close(fd);
      WriteString(kErr, "saved as ");
      WriteString(kErr, save_path);
      WriteString(kErr, "\n");
    }
  }
  WriteString(kErr, "====\n");
}

void SetSavePath() {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  if (dir == nullptr || *dir == '\0') return;
  std::snprintf(save_path, sizeof(save_path), "%s/crash-input", dir);
}

void OnFatalSignal(int signal) {
  ReportCurrentInput();
  std::signal(signal, SIG_DFL);
  raise(signal);
}

void InstallCrashReport() {
  SetSavePath();
  if (__sanitizer_set_death_callback != nullptr) {
    // The sanitizer handles SEGV and friends and reports first; abort() it
    // leaves to us.
    __sanitizer_set_death_callback(ReportCurrentInput);
    std::signal(SIGABRT, OnFatalSignal);
    return;
  }
  for (const int signal : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
    std::signal(signal, OnFatalSignal);
  }
}

void Run(const std::string& input, const std::string& name, int64_t mutation) {
  // A copy, so reading past the end shows up under ASan.
  std::vector<uint8_t> buffer(input.begin(), input.end());
  current = {true, name.empty() ? nullptr : name.c_str(), mutation, buffer.data(), buffer.size()};
  LLVMFuzzerTestOneInput(buffer.data(), buffer.size());
  current = {};
}

void AddFile(const std::filesystem::path& path, std::vector<Input>* inputs) {
  std::ifstream in(path, std::ios::binary);
  inputs->push_back({path.string(), std::string(std::istreambuf_iterator<char>(in),
                                                std::istreambuf_iterator<char>())});
}

// A mutation of one of `inputs`; `*source` says which.
std::string Mutate(const std::vector<Input>& inputs, std::mt19937* rng, size_t* source) {
  std::uniform_int_distribution<size_t> pick(0, inputs.size() - 1);
  *source = pick(*rng);
  std::string s = inputs[*source].bytes;
  const int edits = 1 + static_cast<int>((*rng)() % 4);
  for (int i = 0; i < edits; ++i) {
    const size_t pos = s.empty() ? 0 : (*rng)() % s.size();
    switch ((*rng)() % 6) {
      case 0:  // flip a bit
        if (!s.empty()) s[pos] = static_cast<char>(s[pos] ^ (1 << ((*rng)() % 8)));
        break;
      case 1:  // insert a random byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>((*rng)() & 0xff));
        break;
      case 2:  // delete a byte
        if (!s.empty()) s.erase(pos, 1);
        break;
      case 3:  // truncate
        s.resize(pos);
        break;
      case 4: {  // splice in part of another input
        const std::string& other = inputs[pick(*rng)].bytes;
        if (!other.empty()) {
          const size_t from = (*rng)() % other.size();
          s.insert(pos, other.substr(from, (*rng)() % (other.size() - from + 1)));
        }
        break;
      }
      default:  // insert an interesting byte
        static constexpr char kInteresting[] = {'\0', '/', ':', '.', ' ', '\n', '\\', '~', '\xff'};
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos),
                 kInteresting[(*rng)() % sizeof(kInteresting)]);
        break;
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  InstallCrashReport();
  std::vector<Input> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path(argv[i]);
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) AddFile(entry.path(), &inputs);
      }
    } else {
      AddFile(path, &inputs);
    }
  }
  if (inputs.empty()) inputs.emplace_back();
  for (const Input& input : inputs) Run(input.bytes, input.name, -1);

  int64_t iterations = 20000;
  if (const char* env = std::getenv("HUB_FUZZ_ITERATIONS")) {
    iterations = std::strtol(env, nullptr, 10);
  }
  // A fixed seed on purpose: the same mutations in every run.
  std::mt19937 rng(20260101);  // NOLINT(cert-msc51-cpp)
  for (int64_t i = 0; i < iterations; ++i) {
    size_t from = 0;
    const std::string mutated = Mutate(inputs, &rng, &from);
    Run(mutated, inputs[from].name, i);
  }
  std::printf("replayed %zu inputs and %lld mutations\n", inputs.size(),
              static_cast<long long>(iterations));  // NOLINT(google-runtime-int)
  return 0;
}
