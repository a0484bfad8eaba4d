# Shared compile settings for every jindou target.

set(JINDOU_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
# GCC 12 reports false -Wrestrict positives inside std::string at -O2/-O3 (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND JINDOU_WARNINGS -Wno-restrict)
endif()
if(JINDOU_WERROR)
  list(APPEND JINDOU_WARNINGS -Werror)
endif()

if(JINDOU_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# jindou_library(<name> SOURCES ... DEPS ... PRIVATE_DEPS ...): a layer of the server, warnings
# as errors. DEPS are the libraries its headers include (its dependents see them too);
# PRIVATE_DEPS are used by its sources only.
#
# A library sees only its own layer's headers and those of the libraries it depends on, so an
# include that goes the wrong way between layers does not compile. Each library gets a folder in
# the build tree holding one link, named after its layer, to the layer's source folder; that
# folder is its public include directory, so `#include "store/store.h"` resolves exactly when
# the store is among the library's dependencies (directly, or through a DEPS of one of them).
function(jindou_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  get_filename_component(layer ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  set(include_dir ${PROJECT_BINARY_DIR}/include/${name})
  file(MAKE_DIRECTORY ${include_dir})
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${include_dir}/${layer} SYMBOLIC)
  target_include_directories(${name} PUBLIC ${include_dir})
  target_compile_options(${name} PRIVATE ${JINDOU_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_property(TARGET ${name} PROPERTY JINDOU_LAYER ${layer})
  set_property(GLOBAL APPEND PROPERTY JINDOU_LIBRARIES ${name})
endfunction()

# jindou_test(<name> SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
function(jindou_test name)
  if(NOT JINDOU_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${JINDOU_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
