# Precompiled headers: what every source of a group would parse again (the
# public API, GoogleTest, Google Benchmark, nlohmann-json), parsed once. CI
# builds the tree three times on two cores, so a second of parsing in each
# of its hundred sources is minutes. A header compiled with other macros or
# flags than a source's is refused by the compiler (-Winvalid-pch says so)
# and the source parses as before. CMAKE_DISABLE_PRECOMPILE_HEADERS=ON turns
# them off: the package test's second build of the library does, which
# keeps each source's own includes complete.

# switchyard_share_pch(TARGET GROUP HEADER...): the group's first target
# precompiles the headers; its later targets reuse that one (their flags
# must match it: the same kind of target, the same options).
function(switchyard_share_pch target group)
  get_property(owner GLOBAL PROPERTY switchyard_pch_${group})
  if(owner)
    target_precompile_headers(${target} REUSE_FROM ${owner})
  else()
    target_precompile_headers(${target} PRIVATE ${ARGN})
    set_property(GLOBAL PROPERTY switchyard_pch_${group} ${target})
  endif()
endfunction()
