# What `cmake --install` puts under the prefix:
#
#   bin/torchhub, bin/torchhub-python        side by side
#   include/hub/...                          the API headers and what they include
#   include/torchhub/                        the generated version headers
#   lib/libtorchhub.a                        torchhub::hub   (hub/api/hub.h: no libtorch, no Python)
#   lib/libtorchhub_torch.a                  torchhub::torch (hub/api/torch.h: Load, ...)
#   lib/cmake/torchhub/torchhubConfig.cmake  find_package(torchhub)
#   lib/pkgconfig/torchhub.pc                pkg-config torchhub (torchhub::hub's part)
#   share/man/man1/torchhub.1                with help2man
#
# Each library is one archive made of the objects of every first-party
# library its facade needs (the closures cmake/bazel_to_cmake.py computes
# from //hub/api:hub and //hub/api:torch), BoringSSL's hidden objects
# included, so that users link one library per facade.

include(CMakePackageConfigHelpers)
include("${PROJECT_BINARY_DIR}/torchhub_bundles.cmake")

set(TORCHHUB_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/torchhub")

# The link items behind third_party targets (cmake/ThirdParty.cmake).
function(_torchhub_link_items out)
  set(items "")
  foreach(dep IN LISTS ARGN)
    list(APPEND items ${TORCHHUB_DEP_${dep}})
  endforeach()
  list(REMOVE_DUPLICATES items)
  set(${out} ${items} PARENT_SCOPE)
endfunction()

# torchhub_bundle(TARGET EXPORT_NAME OUTPUT_NAME OBJECTS EXTERNAL GENRULES)
function(_torchhub_bundle target export_name output_name objects external genrules)
  set(sources "")
  foreach(lib IN LISTS objects)
    get_target_property(type ${lib} TYPE)
    if(type STREQUAL "OBJECT_LIBRARY")
      list(APPEND sources "$<TARGET_OBJECTS:${lib}>")
    endif()
  endforeach()
  set(needs_boringssl OFF)
  if("third_party_crypto_boringssl" IN_LIST external)
    set(needs_boringssl ON)
  elseif("third_party_crypto_crypto" IN_LIST external AND TORCHHUB_CRYPTO STREQUAL "boringssl")
    set(needs_boringssl ON)
  endif()
  if(needs_boringssl)
    list(APPEND sources "$<TARGET_OBJECTS:torchhub_boringssl_objects>")
  endif()
  add_library(${target} STATIC ${sources})
  add_library(torchhub::${export_name} ALIAS ${target})
  foreach(g IN LISTS genrules)
    add_dependencies(${target} gen_${g})
  endforeach()
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${output_name} EXPORT_NAME ${export_name} LINKER_LANGUAGE CXX
    POSITION_INDEPENDENT_CODE ON)
  target_compile_features(${target} INTERFACE cxx_std_17)
  target_include_directories(${target} INTERFACE
    "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>"
    "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}>"
    "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/third_party/libtorch>"
    "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/third_party/python>"
    "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>"
    "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/torchhub>")
  _torchhub_link_items(items ${external})
  target_link_libraries(${target} INTERFACE ${items})
endfunction()

_torchhub_bundle(torchhub_hub hub torchhub
  "${TORCHHUB_HUB_OBJECTS}" "${TORCHHUB_HUB_EXTERNAL}" "${TORCHHUB_HUB_GENRULES}")

set(_torch_only ${TORCHHUB_TORCH_OBJECTS})
list(REMOVE_ITEM _torch_only ${TORCHHUB_HUB_OBJECTS})
set(_torch_external ${TORCHHUB_TORCH_EXTERNAL})
list(REMOVE_ITEM _torch_external ${TORCHHUB_HUB_EXTERNAL})
_torchhub_bundle(torchhub_torch torch torchhub_torch
  "${_torch_only}" "${_torch_external}" "${TORCHHUB_TORCH_GENRULES}")
target_link_libraries(torchhub_torch INTERFACE torchhub_hub)

# Headers: every header the facades' closures declare, and the generated ones.
foreach(h IN LISTS TORCHHUB_TORCH_HEADERS)
  get_filename_component(dir "${h}" DIRECTORY)
  install(FILES "${PROJECT_SOURCE_DIR}/${h}" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/${dir}")
endforeach()
foreach(h IN LISTS TORCHHUB_TORCH_GENERATED_HEADERS)
  get_filename_component(dir "${h}" DIRECTORY)
  install(FILES "${PROJECT_BINARY_DIR}/${h}" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/${dir}")
endforeach()
install(FILES
  "${PROJECT_BINARY_DIR}/third_party/libtorch/torchhub_libtorch_version.h"
  "${PROJECT_BINARY_DIR}/third_party/libtorch/torch_version.h"
  "${PROJECT_BINARY_DIR}/third_party/python/torchhub_python_version.h"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/torchhub")

install(TARGETS torchhub_hub EXPORT torchhubTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(TARGETS torchhub_torch EXPORT torchhubTorchTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(EXPORT torchhubTargets NAMESPACE torchhub::
  DESTINATION "${TORCHHUB_INSTALL_CMAKEDIR}")
install(EXPORT torchhubTorchTargets NAMESPACE torchhub::
  DESTINATION "${TORCHHUB_INSTALL_CMAKEDIR}")

# torchhubConfig.cmake finds what the libraries link, as this build found it:
# the pkg-config modules behind the PkgConfig:: targets they name.
set(TORCHHUB_CONFIG_PKG_MODULES "")
foreach(target torchhub_hub torchhub_torch)
  get_target_property(items ${target} INTERFACE_LINK_LIBRARIES)
  foreach(item IN LISTS items)
    if(item MATCHES "^PkgConfig::(.+)$")
      list(APPEND TORCHHUB_CONFIG_PKG_MODULES
        "${CMAKE_MATCH_1}:${TORCHHUB_PC_MODULE_${CMAKE_MATCH_1}}")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES TORCHHUB_CONFIG_PKG_MODULES)
get_filename_component(TORCHHUB_Torch_DIR "${Torch_DIR}" ABSOLUTE)
configure_package_config_file(cmake/torchhubConfig.cmake.in
  "${PROJECT_BINARY_DIR}/torchhubConfig.cmake"
  INSTALL_DESTINATION "${TORCHHUB_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/torchhubConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/torchhubConfig.cmake"
  "${PROJECT_BINARY_DIR}/torchhubConfigVersion.cmake"
  DESTINATION "${TORCHHUB_INSTALL_CMAKEDIR}")

# torchhub.pc: the light library (libtorch has no pkg-config module).
set(TORCHHUB_PC_REQUIRES libcurl libgit2 libarchive re2 ${TORCHHUB_ABSL_PC_MODULES})
if(TORCHHUB_CRYPTO STREQUAL "openssl")
  list(APPEND TORCHHUB_PC_REQUIRES libcrypto)
endif()
list(JOIN TORCHHUB_PC_REQUIRES " " TORCHHUB_PC_REQUIRES)
# Relocatable: the prefix is found from where the .pc file is.
file(RELATIVE_PATH TORCHHUB_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" TORCHHUB_PC_TO_PREFIX "${TORCHHUB_PC_TO_PREFIX}")
configure_file(cmake/torchhub.pc.in "${PROJECT_BINARY_DIR}/torchhub.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/torchhub.pc"
  DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
