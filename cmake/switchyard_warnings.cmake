# Warnings every switchyard target compiles with; -Werror only on request.
function(switchyard_set_warnings target)
  set(flags -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
            $<$<BOOL:${SWITCHYARD_WERROR}>:-Werror>)
  target_compile_options(${target} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${flags}>")
  # nvcc: the host compiler's warnings on the host side of .cu files (-Wpedantic
  # would flag nvcc's own generated line markers), nvcc's on the device side.
  target_compile_options(${target} PRIVATE
    "$<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra;$<$<BOOL:${SWITCHYARD_WERROR}>:-Werror=all-warnings>>")
endfunction()
