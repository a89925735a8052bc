# Warnings every switchyard target compiles with; -Werror only on request.
function(switchyard_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion $<$<BOOL:${SWITCHYARD_WERROR}>:-Werror>)
endfunction()
