# The functions the generated torchhub_targets.cmake calls, one per kind of
# Bazel target (cmake/bazel_to_cmake.py writes the calls from the BUILD
# files; nothing here names a target).
#
# The build tree mirrors Bazel's bazel-bin: a binary //hub/cli:torchhub is
# <build>/hub/cli/torchhub, and every test's data files are linked into the
# same relative place, so that tests find them as runfiles do under Bazel
# (hub::testing::RunfilePath, with no TEST_SRCDIR, reads paths relative to
# the working directory, and ctest runs each test in <build>).

include_guard(GLOBAL)

find_program(TORCHHUB_ENV_PROGRAM env REQUIRED)

set(_torchhub_multi SRCS OUTS HDRS GENERATED DEPS GENRULES COPTS LIBS EXTERNAL LABELS ENV ARGS
    DATA_FILES DATA_BINARIES)
set(_torchhub_single PACKAGE TESTONLY OUTPUT_NAME TIMEOUT SCRIPT)

function(_torchhub_abs out prefix)
  set(result "")
  foreach(p IN LISTS ARGN)
    list(APPEND result "${prefix}/${p}")
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# Whether every name in ARGN is a target; a target whose dependency is not
# (BoringSSL's, with TORCHHUB_CRYPTO=openssl and no BoringSSL source) is left
# out, and says so.
function(_torchhub_have out what)
  foreach(t IN LISTS ARGN)
    if(NOT TARGET ${t})
      message(STATUS "torchhub: leaving out ${what}: it needs ${t}, not in this configuration")
      set(${out} OFF PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} ON PARENT_SCOPE)
endfunction()

# A genrule: its cmd, as a bash script, run by a custom command; the custom
# target gen_<name> lets every target that includes the outputs wait for it.
function(torchhub_genrule name)
  cmake_parse_arguments(PARSE_ARGV 1 A "" "${_torchhub_single}" "${_torchhub_multi}")
  _torchhub_abs(srcs "${PROJECT_SOURCE_DIR}" ${A_SRCS})
  _torchhub_abs(outs "${PROJECT_BINARY_DIR}" ${A_OUTS})
  add_custom_command(
    OUTPUT ${outs}
    COMMAND bash "${A_SCRIPT}" "${PROJECT_SOURCE_DIR}" "${PROJECT_BINARY_DIR}"
    DEPENDS ${srcs} "${A_SCRIPT}"
    COMMENT "Generating ${A_OUTS}"
    VERBATIM)
  add_custom_target(gen_${name} DEPENDS ${outs})
endfunction()

# A library: an OBJECT library (INTERFACE without sources). Only targets that
# need it build it.
function(torchhub_cc_library name)
  cmake_parse_arguments(PARSE_ARGV 1 A "" "${_torchhub_single}" "${_torchhub_multi}")
  _torchhub_abs(srcs "${PROJECT_SOURCE_DIR}" ${A_SRCS})
  _torchhub_abs(hdrs "${PROJECT_SOURCE_DIR}" ${A_HDRS})
  _torchhub_abs(generated "${PROJECT_BINARY_DIR}" ${A_GENERATED})
  list(FILTER srcs INCLUDE REGEX "\\.(cc|cpp|c)$")
  set(generated_srcs ${generated})
  list(FILTER generated_srcs INCLUDE REGEX "\\.(cc|cpp|c)$")
  if(A_TESTONLY AND NOT TORCHHUB_BUILD_TESTS)
    return()
  endif()
  _torchhub_have(have ${name} ${A_DEPS})
  if(NOT have)
    return()
  endif()
  if(srcs OR generated_srcs)
    add_library(${name} OBJECT EXCLUDE_FROM_ALL ${srcs} ${hdrs} ${generated})
    target_compile_options(${name} PRIVATE ${A_COPTS} ${TORCHHUB_EXTRA_COPTS})
    target_include_directories(${name} PUBLIC
      "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>" "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}>")
    target_link_libraries(${name} PUBLIC ${A_DEPS})
    set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    foreach(g IN LISTS A_GENRULES)
      add_dependencies(${name} gen_${g})
    endforeach()
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE
      "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>" "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}>")
    target_link_libraries(${name} INTERFACE ${A_DEPS})
  endif()
endfunction()

# An executable at <build>/<package>/<name>, linking the objects of every
# first-party library it needs (LIBS: the whole closure, listed directly).
function(_torchhub_executable name)
  cmake_parse_arguments(PARSE_ARGV 1 A "" "${_torchhub_single}" "${_torchhub_multi}")
  _torchhub_abs(srcs "${PROJECT_SOURCE_DIR}" ${A_SRCS})
  _torchhub_abs(generated "${PROJECT_BINARY_DIR}" ${A_GENERATED})
  add_executable(${name} ${srcs} ${generated})
  target_link_libraries(${name} PRIVATE ${A_LIBS} ${A_EXTERNAL})
  target_compile_options(${name} PRIVATE ${A_COPTS} ${TORCHHUB_EXTRA_COPTS})
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}" "${PROJECT_BINARY_DIR}")
  set_target_properties(${name} PROPERTIES
    OUTPUT_NAME "${A_OUTPUT_NAME}"
    RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/${A_PACKAGE}")
  foreach(g IN LISTS A_GENRULES)
    add_dependencies(${name} gen_${g})
  endforeach()
  foreach(b IN LISTS A_DATA_BINARIES)
    if(TARGET ${b})
      add_dependencies(${name} ${b})
    endif()
  endforeach()
endfunction()

function(torchhub_cc_binary name)
  cmake_parse_arguments(PARSE_ARGV 1 A "" "${_torchhub_single}" "${_torchhub_multi}")
  if(A_TESTONLY AND NOT TORCHHUB_BUILD_TESTS)
    return()
  endif()
  _torchhub_have(have ${name} ${A_LIBS} ${A_EXTERNAL})
  if(NOT have)
    return()
  endif()
  _torchhub_executable(${name} ${ARGN})
  if(A_TESTONLY)
    set_target_properties(${name} PROPERTIES EXCLUDE_FROM_ALL ON)
  endif()
endfunction()

# A test: a ctest test run in <build> with Bazel's test environment, its
# data linked into place. Tests named in TORCHHUB_CTEST_SKIP are built but not registered
# (CMakeLists.txt says why for each).
function(torchhub_cc_test name)
  cmake_parse_arguments(PARSE_ARGV 1 A "" "${_torchhub_single}" "${_torchhub_multi}")
  if(NOT TORCHHUB_BUILD_TESTS)
    return()
  endif()
  set(label "//${A_PACKAGE}:${A_OUTPUT_NAME}")
  if(label IN_LIST TORCHHUB_CTEST_SKIP)
    return()
  endif()
  _torchhub_have(have ${label} ${A_LIBS} ${A_EXTERNAL})
  if(NOT have)
    return()
  endif()
  _torchhub_executable(${name} ${ARGN})
  foreach(f IN LISTS A_DATA_FILES)
    get_filename_component(dir "${PROJECT_BINARY_DIR}/${f}" DIRECTORY)
    file(MAKE_DIRECTORY "${dir}")
    if(NOT EXISTS "${PROJECT_BINARY_DIR}/${f}")
      file(CREATE_LINK "${PROJECT_SOURCE_DIR}/${f}" "${PROJECT_BINARY_DIR}/${f}" SYMBOLIC)
    endif()
  endforeach()
  set(args "")
  foreach(a IN LISTS A_ARGS)
    # Corpus files and other source paths: absolute, so the cwd never matters.
    if(EXISTS "${PROJECT_SOURCE_DIR}/${a}")
      list(APPEND args "${PROJECT_SOURCE_DIR}/${a}")
    else()
      list(APPEND args "${a}")
    endif()
  endforeach()
  set(tmp "${PROJECT_BINARY_DIR}/Testing/tmp/${A_PACKAGE}/${A_OUTPUT_NAME}")
  # Bazel's test environment: nothing of the caller's but HOME, a fixed
  # PATH (--incompatible_strict_action_env), LANG=C.UTF-8 (.bazelrc), a
  # TEST_TMPDIR (new and empty every run), and the test's own `env`. No
  # TEST_SRCDIR: RunfilePath then reads paths relative to the working
  # directory, the build tree.
  add_test(NAME "${label}"
    COMMAND /bin/sh "${PROJECT_SOURCE_DIR}/cmake/fresh_tmpdir.sh" "${tmp}"
            "${TORCHHUB_ENV_PROGRAM}" -i "HOME=$ENV{HOME}" "PATH=/bin:/usr/bin:/usr/local/bin"
            "LANG=C.UTF-8" "TEST_TMPDIR=${tmp}" ${A_ENV} "$<TARGET_FILE:${name}>" ${args}
    WORKING_DIRECTORY "${PROJECT_BINARY_DIR}")
  set_tests_properties("${label}" PROPERTIES TIMEOUT ${A_TIMEOUT} LABELS "${A_LABELS}")
endfunction()
