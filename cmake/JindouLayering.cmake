# The layering the build enforces (see jindou_library) and the test that proves it holds.
#
# Layers in tiers, lowest first. A library may see its own layer and layers of lower tiers (those
# among its dependencies), never another layer of its own tier or of a tier above. A new layer
# needs a tier here (the configure step stops without one).
set(JINDOU_LAYER_TIERS
  "config model runtime testing"
  "proto store json"
  "engine client"
  "webhook cluster"
  "api gateway"
  "server")

# layering_test: for every jindou_library, preprocesses a file that includes a header of each
# layer it must not see, with exactly the include directories the library compiles with, and
# expects "file not found" for each; and one that includes a header of its own layer, and expects
# it to preprocess cleanly (so a broken probe cannot pass by failing for another reason).
function(jindou_add_layering_test)
  if(NOT JINDOU_TESTS)
    return()
  endif()
  set(tier 0)
  set(all_layers "")
  foreach(layers IN LISTS JINDOU_LAYER_TIERS)
    separate_arguments(layers)
    foreach(layer IN LISTS layers)
      set(tier_of_${layer} ${tier})
      # Any header of the layer will do; the first one in name order keeps the probe stable.
      file(GLOB headers RELATIVE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/src/${layer}/*.h)
      list(FILTER headers EXCLUDE REGEX "test_support\\.h$|test_util\\.h$")
      list(SORT headers)
      list(GET headers 0 probe_of_${layer})
      list(APPEND all_layers ${layer})
    endforeach()
    math(EXPR tier "${tier} + 1")
  endforeach()

  get_property(libraries GLOBAL PROPERTY JINDOU_LIBRARIES)
  set(probes "set(libraries ${libraries})\n")
  foreach(library IN LISTS libraries)
    get_target_property(own ${library} JINDOU_LAYER)
    if(NOT DEFINED tier_of_${own})
      message(FATAL_ERROR "${library}: layer ${own}/ has no tier in cmake/JindouLayering.cmake")
    endif()
    set(hidden "")
    foreach(layer IN LISTS all_layers)
      if(NOT layer STREQUAL own AND tier_of_${layer} GREATER_EQUAL tier_of_${own})
        list(APPEND hidden ${probe_of_${layer}})
      endif()
    endforeach()
    string(APPEND probes
      "set(${library}_includes \"$<TARGET_PROPERTY:${library},INCLUDE_DIRECTORIES>\")\n"
      "set(${library}_visible ${probe_of_${own}})\n"
      "set(${library}_hidden ${hidden})\n")
  endforeach()
  set(probe_file ${PROJECT_BINARY_DIR}/layering/probes.cmake)
  file(GENERATE OUTPUT ${probe_file} CONTENT "${probes}")

  add_test(NAME layering_test
    COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} -DPROBES=${probe_file}
            "-DSYSTEM_DIRS=${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES}"
            -DWORK_DIR=${PROJECT_BINARY_DIR}/layering
            -P ${PROJECT_SOURCE_DIR}/cmake/CheckLayering.cmake)
  set_tests_properties(layering_test PROPERTIES LABELS layering TIMEOUT 120)
endfunction()
