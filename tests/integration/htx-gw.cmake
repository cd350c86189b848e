# htx-gw's integration tests (included by CMakeLists.txt here): real
# ticketd, upstreamd (with the gw_plugin test routes) and htx-gw.
find_program(BN_CURL curl)
if(TARGET htx-gw AND TARGET upstreamd AND TARGET ticketd AND TARGET betanet
    AND BN_CURL)
  set(GW_IT_PLUGIN_OUT ${CMAKE_BINARY_DIR}/gw-test-plugins)
  add_library(gw_plugin MODULE ${CMAKE_CURRENT_LIST_DIR}/gw_plugin.c)
  target_include_directories(gw_plugin PRIVATE
    ${CMAKE_SOURCE_DIR}/services/upstreamd
    ${CMAKE_SOURCE_DIR}/libcommon/include)
  set_target_properties(gw_plugin PROPERTIES PREFIX "" OUTPUT_NAME gw_plugin
    LIBRARY_OUTPUT_DIRECTORY ${GW_IT_PLUGIN_OUT})
  add_executable(it_gw ${CMAKE_CURRENT_LIST_DIR}/test_gw.c)
  target_link_libraries(it_gw PRIVATE bn_it_harness betanet_common)
  target_compile_definitions(it_gw PRIVATE
    HTXGW_BIN="$<TARGET_FILE:htx-gw>"
    UPSTREAMD_BIN="$<TARGET_FILE:upstreamd>"
    TICKETD_BIN="$<TARGET_FILE:ticketd>"
    BETANET_BIN="$<TARGET_FILE:betanet>"
    CURL_BIN="${BN_CURL}"
    GW_PLUGIN_DIR="${GW_IT_PLUGIN_OUT}")
  add_dependencies(it_gw htx-gw upstreamd ticketd betanet gw_plugin)
  foreach(t chain tickets ticketd_down limits passthrough big kill
      concurrent slowloris reuseport admin bigheaders forwarded referer
      preadmit drip bind_conflict)
    add_test(NAME integration/gw_${t} COMMAND it_gw ${t})
    set_tests_properties(integration/gw_${t} PROPERTIES
      LABELS integration TIMEOUT 300 SKIP_RETURN_CODE 77)
  endforeach()
endif()
