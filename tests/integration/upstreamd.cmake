# upstreamd's integration tests (included by CMakeLists.txt here).
if(TARGET upstreamd AND TARGET betanet AND TARGET it_plugin)
  add_executable(it_upstreamd ${CMAKE_CURRENT_LIST_DIR}/test_upstreamd.c)
  target_link_libraries(it_upstreamd PRIVATE bn_it_harness betanet_common)
  target_compile_definitions(it_upstreamd PRIVATE
    UPSTREAMD_BIN="$<TARGET_FILE:upstreamd>"
    BETANET_BIN="$<TARGET_FILE:betanet>"
    TEST_PLUGIN_DIR="$<TARGET_FILE_DIR:it_plugin>")
  add_dependencies(it_upstreamd upstreamd betanet it_plugin)
  foreach(t basic static proxy big concurrent compat legacy robust kill9
      sigterm badkey admin gateways smuggle)
    add_test(NAME integration/upstreamd_${t} COMMAND it_upstreamd ${t})
    set_tests_properties(integration/upstreamd_${t} PROPERTIES
      LABELS integration TIMEOUT 300 SKIP_RETURN_CODE 77)
  endforeach()
endif()
