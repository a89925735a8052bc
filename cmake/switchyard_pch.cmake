# Precompiled headers: what every source of a group would parse again (the
# public API, GoogleTest, Google Benchmark, nlohmann-json), parsed once. CI
# builds the tree three times on two cores, so a second of parsing in each
# of its hundred sources is minutes. A header compiled with other macros or
# flags than a source's is refused by the compiler (-Winvalid-pch says so)
# and the source parses as before. CMAKE_DISABLE_PRECOMPILE_HEADERS=ON turns
# them off (the package test's second build of the library does).

# switchyard_share_pch(TARGET GROUP LIBS lib... HEADERS header...): TARGET
# reuses the group's header, which a program of its own
# (switchyard_pch_GROUP, an empty main linked with LIBS and the public
# headers) precompiles. A target that reuses a header waits for its owner to
# be built, link included; an owner that linked the library would hold every
# source of the group until the SIMD kernels had compiled (four minutes
# under the sanitizers on a slow guest, one core idle all that time).
function(switchyard_share_pch target group)
  cmake_parse_arguments(ARG "" "" "LIBS;HEADERS" ${ARGN})
  set(owner switchyard_pch_${group})
  if(NOT TARGET ${owner})
    set(main "${PROJECT_BINARY_DIR}/generated/pch_owner.cpp")
    file(WRITE "${main}.new" "// Owns a group's precompiled header (cmake/switchyard_pch.cmake).\nint main() { return 0; }\n")
    configure_file("${main}.new" "${main}" COPYONLY)
    add_executable(${owner} EXCLUDE_FROM_ALL "${main}")
    target_link_libraries(${owner} PRIVATE switchyard_headers ${ARG_LIBS})
    switchyard_set_warnings(${owner})
    target_precompile_headers(${owner} PRIVATE ${ARG_HEADERS})
  endif()
  target_precompile_headers(${target} REUSE_FROM ${owner})
endfunction()
