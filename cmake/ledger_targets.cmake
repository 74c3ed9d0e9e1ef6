# Helpers that give every target of ours the same warnings and layout.
# Third-party headers come in through imported targets, which CMake marks SYSTEM,
# so -Werror applies to our code only.

add_library(ledger_warnings INTERFACE)
target_compile_options(ledger_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wpedantic -Wconversion -Wno-sign-conversion -Werror)

# ledger_library(<name> ALIAS <ns::name> SOURCES ... [DEPS ...])
function(ledger_library name)
  cmake_parse_arguments(arg "" "ALIAS" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${arg_SOURCES})
  add_library(${arg_ALIAS} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${arg_DEPS} PRIVATE ledger_warnings)
endfunction()

# ledger_test(<name> SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
function(ledger_test name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_DEPS} GTest::gtest GTest::gtest_main ledger_warnings)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 600)
endfunction()
