# arus_module(NAME SOURCES ... DEPS ... [PRIVATE_DEPS ...])
#   One static library per module, target `arus_<name>`, alias `arus::<name>`.
#   Headers are included as "<module>/<file>.h" relative to src/.
function(arus_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(arus_${name} STATIC ${M_SOURCES})
  add_library(arus::${name} ALIAS arus_${name})
  target_include_directories(arus_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(arus_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
endfunction()

# arus_test(NAME SOURCES ... DEPS ...)
#   A GoogleTest executable registered with ctest through gtest_discover_tests.
function(arus_test name)
  if(NOT ARUS_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "ARUS_TEST_TMP=${CMAKE_BINARY_DIR}/test-tmp")
endfunction()
