# The CMake build's third_party/: one INTERFACE target per dependency, named
# as cmake/bazel_to_cmake.py names the Bazel label ("//third_party/absl" ->
# third_party_absl_absl), each holding what third_party/<dep>/BUILD.bazel
# holds for Bazel. TORCHHUB_DEP_<target> lists the link items behind each,
# for the installed torchhubConfig.cmake and torchhub.pc.

include_guard(GLOBAL)

# torchhub_third_party(NAME ITEMS...): the target and its link items.
function(torchhub_third_party name)
  add_library(${name} INTERFACE)
  target_link_libraries(${name} INTERFACE ${ARGN})
  set(TORCHHUB_DEP_${name} ${ARGN} PARENT_SCOPE)
endfunction()

# --- Abseil (CMake config; Debian's libabsl-dev 20220623) ---------------------
find_package(absl REQUIRED)
torchhub_third_party(third_party_absl_absl
  absl::algorithm_container absl::cleanup absl::core_headers absl::cord
  absl::flat_hash_map absl::flat_hash_set absl::function_ref absl::int128
  absl::status absl::statusor absl::str_format absl::strings
  absl::synchronization absl::time absl::civil_time)
# The same components as pkg-config modules, for torchhub.pc.
set(TORCHHUB_ABSL_PC_MODULES
  absl_cleanup absl_cord absl_flat_hash_map absl_flat_hash_set absl_int128
  absl_status absl_statusor absl_str_format absl_strings absl_synchronization
  absl_time absl_civil_time)

# --- System libraries through pkg-config --------------------------------------
find_package(PkgConfig REQUIRED)
pkg_check_modules(TORCHHUB_CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(TORCHHUB_LIBGIT2 REQUIRED IMPORTED_TARGET libgit2)
pkg_check_modules(TORCHHUB_LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(TORCHHUB_RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(TORCHHUB_LIBSECCOMP REQUIRED IMPORTED_TARGET libseccomp)
# The pkg-config module behind each, for torchhubConfig.cmake.
set(TORCHHUB_PC_MODULE_TORCHHUB_CURL libcurl)
set(TORCHHUB_PC_MODULE_TORCHHUB_LIBGIT2 libgit2)
set(TORCHHUB_PC_MODULE_TORCHHUB_LIBARCHIVE libarchive)
set(TORCHHUB_PC_MODULE_TORCHHUB_RE2 re2)
set(TORCHHUB_PC_MODULE_TORCHHUB_LIBSECCOMP libseccomp)
torchhub_third_party(third_party_curl_curl PkgConfig::TORCHHUB_CURL)
torchhub_third_party(third_party_libgit2_libgit2 PkgConfig::TORCHHUB_LIBGIT2)
torchhub_third_party(third_party_libarchive_libarchive PkgConfig::TORCHHUB_LIBARCHIVE)
torchhub_third_party(third_party_re2_re2 PkgConfig::TORCHHUB_RE2 third_party_absl_absl)
set(TORCHHUB_DEP_third_party_re2_re2 PkgConfig::TORCHHUB_RE2)
torchhub_third_party(third_party_libseccomp_libseccomp PkgConfig::TORCHHUB_LIBSECCOMP)

# --- Crypto: BoringSSL (default) or OpenSSL 3's libcrypto ----------------------
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
torchhub_third_party(third_party_openssl_openssl OpenSSL::Crypto)

# BoringSSL from the source tools/setup.sh unpacks, with boringssl.BUILD's
# sources and flags (cmake/bazel_to_cmake.py reads both): a static library
# with hidden symbols, so that it never interposes the OpenSSL that libcurl,
# libtorch and Python load. Its objects go into libtorchhub.a.
set(TORCHHUB_BORINGSSL_DIR "${PROJECT_SOURCE_DIR}/third_party/boringssl/upstream")
if(EXISTS "${TORCHHUB_BORINGSSL_DIR}/BUILD.generated.bzl")
  include("${PROJECT_BINARY_DIR}/torchhub_boringssl.cmake")
  list(TRANSFORM TORCHHUB_BORINGSSL_SOURCES PREPEND "${TORCHHUB_BORINGSSL_DIR}/")
  add_library(torchhub_boringssl_objects OBJECT EXCLUDE_FROM_ALL ${TORCHHUB_BORINGSSL_SOURCES})
  target_compile_options(torchhub_boringssl_objects PRIVATE ${TORCHHUB_BORINGSSL_COPTS})
  set_target_properties(torchhub_boringssl_objects PROPERTIES POSITION_INDEPENDENT_CODE ON)
  list(TRANSFORM TORCHHUB_BORINGSSL_INCLUDES PREPEND "${TORCHHUB_BORINGSSL_DIR}/")
  target_include_directories(torchhub_boringssl_objects PRIVATE ${TORCHHUB_BORINGSSL_INCLUDES})
  # The same objects as a static library, for the build tree's executables.
  add_library(torchhub_boringssl STATIC EXCLUDE_FROM_ALL
    $<TARGET_OBJECTS:torchhub_boringssl_objects>)
  find_package(Threads REQUIRED)
  add_library(third_party_boringssl_boringssl INTERFACE)
  target_include_directories(third_party_boringssl_boringssl SYSTEM INTERFACE
    ${TORCHHUB_BORINGSSL_INCLUDES})
  target_link_libraries(third_party_boringssl_boringssl INTERFACE torchhub_boringssl
    Threads::Threads)
  set(TORCHHUB_DEP_third_party_boringssl_boringssl Threads::Threads)
  add_library(third_party_crypto_boringssl INTERFACE)
  target_compile_definitions(third_party_crypto_boringssl INTERFACE HUB_CRYPTO_BORINGSSL=1)
  target_link_libraries(third_party_crypto_boringssl INTERFACE third_party_boringssl_boringssl)
  set(TORCHHUB_DEP_third_party_crypto_boringssl Threads::Threads)
elseif(TORCHHUB_CRYPTO STREQUAL "boringssl")
  message(FATAL_ERROR
    "TORCHHUB_CRYPTO=boringssl, but ${TORCHHUB_BORINGSSL_DIR} has no BoringSSL source: "
    "run tools/setup.sh (it unpacks Debian's android-platform-external-boringssl there), "
    "or configure with -DTORCHHUB_CRYPTO=openssl")
endif()
add_library(third_party_crypto_openssl INTERFACE)
target_compile_definitions(third_party_crypto_openssl INTERFACE HUB_CRYPTO_OPENSSL=1)
target_link_libraries(third_party_crypto_openssl INTERFACE OpenSSL::Crypto)
set(TORCHHUB_DEP_third_party_crypto_openssl OpenSSL::Crypto)

add_library(third_party_crypto_crypto INTERFACE)
target_link_libraries(third_party_crypto_crypto INTERFACE third_party_crypto_${TORCHHUB_CRYPTO})
set(TORCHHUB_DEP_third_party_crypto_crypto ${TORCHHUB_DEP_third_party_crypto_${TORCHHUB_CRYPTO}})

# --- libtorch and the Python that matches it ----------------------------------
# Torch_DIR / CMAKE_PREFIX_PATH pick the libtorch: Debian's (found by default),
# a pip wheel's (python -c 'import torch; print(torch.utils.cmake_prefix_path)'),
# or an unpacked libtorch zip (<zip>/share/cmake).
find_package(Torch REQUIRED)
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR
    "The libtorch at ${TORCH_INSTALL_PREFIX} is built with the pre-C++11 string ABI "
    "(_GLIBCXX_USE_CXX11_ABI=0); Abseil and the rest of this build use the C++11 ABI. "
    "Use a cxx11-ABI libtorch (the \"cxx11 ABI\" zip, or a wheel of torch 2.7 or newer)")
endif()
set(TORCHHUB_LIBTORCH_VERSION "${Torch_VERSION}")
if(NOT TORCHHUB_LIBTORCH_VERSION)
  message(FATAL_ERROR "Cannot tell the version of the libtorch at ${TORCH_INSTALL_PREFIX}")
endif()
string(REGEX MATCH "^([0-9]+)\\.([0-9]+)" _ "${TORCHHUB_LIBTORCH_VERSION}")
set(TORCHHUB_TORCH_MAJOR "${CMAKE_MATCH_1}")
set(TORCHHUB_TORCH_MINOR "${CMAKE_MATCH_2}")
get_filename_component(TORCHHUB_LIBTORCH_ROOT "${TORCH_INSTALL_PREFIX}" ABSOLUTE)
find_library(TORCHHUB_TORCH_PYTHON_LIBRARY torch_python
  HINTS "${TORCH_INSTALL_PREFIX}/lib" REQUIRED)

# The generated headers the Bazel repository rules write
# (third_party/libtorch/repository.bzl, third_party/python/repository.bzl).
set(_gen "${PROJECT_BINARY_DIR}/third_party")
file(CONFIGURE OUTPUT "${_gen}/libtorch/torchhub_libtorch_version.h" CONTENT
"// Written by CMakeLists.txt: the libtorch this build used.
#ifndef TORCHHUB_LIBTORCH_VERSION_H_
#define TORCHHUB_LIBTORCH_VERSION_H_
#define TORCHHUB_LIBTORCH_VERSION \"${TORCHHUB_LIBTORCH_VERSION}\"
#define TORCHHUB_LIBTORCH_ROOT \"${TORCHHUB_LIBTORCH_ROOT}\"
#endif  // TORCHHUB_LIBTORCH_VERSION_H_
")
file(CONFIGURE OUTPUT "${_gen}/libtorch/torch_version.h" CONTENT
"// TORCH_VERSION_MAJOR and TORCH_VERSION_MINOR, also for a libtorch without
// torch/version.h (Debian's 1.13). Written by CMakeLists.txt.
#ifndef TORCHHUB_TORCH_VERSION_H_
#define TORCHHUB_TORCH_VERSION_H_
#if __has_include(<torch/version.h>)
#include <torch/version.h>
#else
#define TORCH_VERSION_MAJOR ${TORCHHUB_TORCH_MAJOR}
#define TORCH_VERSION_MINOR ${TORCHHUB_TORCH_MINOR}
#endif
#endif  // TORCHHUB_TORCH_VERSION_H_
")

# The Python to embed: by default the one whose `import torch` is this
# libtorch. Give Python3_EXECUTABLE for another (a virtualenv's).
if(NOT Python3_EXECUTABLE AND EXISTS /usr/bin/python3
   AND TORCHHUB_LIBTORCH_ROOT MATCHES "^/usr(/local)?$")
  set(Python3_EXECUTABLE /usr/bin/python3)
endif()
find_package(Python3 REQUIRED COMPONENTS Interpreter Development.Embed)
file(CONFIGURE OUTPUT "${_gen}/python/torchhub_python_version.h" CONTENT
"// Written by CMakeLists.txt: the Python this build embeds.
#ifndef TORCHHUB_PYTHON_VERSION_H_
#define TORCHHUB_PYTHON_VERSION_H_
#define TORCHHUB_PYTHON_VERSION \"${Python3_VERSION}\"
#define TORCHHUB_PYTHON_EXECUTABLE \"${Python3_EXECUTABLE}\"
#endif  // TORCHHUB_PYTHON_VERSION_H_
")

add_library(third_party_libtorch_version INTERFACE)
target_include_directories(third_party_libtorch_version INTERFACE
  "$<BUILD_INTERFACE:${_gen}/libtorch>" "$<INSTALL_INTERFACE:include/torchhub>")
set(TORCHHUB_DEP_third_party_libtorch_version "")
add_library(third_party_python_version INTERFACE)
target_include_directories(third_party_python_version INTERFACE
  "$<BUILD_INTERFACE:${_gen}/python>" "$<INSTALL_INTERFACE:include/torchhub>")
set(TORCHHUB_DEP_third_party_python_version "")

torchhub_third_party(third_party_libtorch_libtorch torch)
target_link_libraries(third_party_libtorch_libtorch INTERFACE third_party_libtorch_version)
torchhub_third_party(third_party_libtorch_torch_python
  "${TORCHHUB_TORCH_PYTHON_LIBRARY}" torch Python3::Python)
torchhub_third_party(third_party_python_python Python3::Python)
target_link_libraries(third_party_python_python INTERFACE third_party_python_version)

# --- Test-only: GoogleTest, Google Benchmark ----------------------------------
if(TORCHHUB_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_package(benchmark REQUIRED)
  torchhub_third_party(third_party_gtest_gtest GTest::gmock GTest::gtest)
  torchhub_third_party(third_party_gtest_gtest_main GTest::gtest_main)
  torchhub_third_party(third_party_benchmark_benchmark benchmark::benchmark)
  torchhub_third_party(third_party_benchmark_benchmark_main benchmark::benchmark_main)
endif()
