# Install the headers, the libraries, a CMake package (switchyard::switchyard)
# and a pkg-config file, in the shape of Google Benchmark's and {fmt}'s rules.
include(CMakePackageConfigHelpers)
set(SWITCHYARD_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/switchyard")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/core/include/switchyard"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES "${PROJECT_BINARY_DIR}/include/switchyard/config.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/switchyard")
install(TARGETS switchyard switchyard_core switchyard_kernels_simd
                switchyard_serial switchyard_simd switchyard_threads switchyard_processes switchyard_cuda
                switchyard_io_uring switchyard_io_fallback
        EXPORT switchyard-targets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
# The worker is also linked into the library; this copy is for systems that
# forbid executing memory files (vm.memfd_noexec=2): point SWITCHYARD_WORKER at it.
install(TARGETS switchyard_worker RUNTIME DESTINATION "${CMAKE_INSTALL_LIBEXECDIR}/switchyard")
install(EXPORT switchyard-targets NAMESPACE switchyard::
        DESTINATION "${SWITCHYARD_CMAKE_DIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/switchyardConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/switchyardConfig.cmake" INSTALL_DESTINATION "${SWITCHYARD_CMAKE_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/switchyardConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/switchyardConfig.cmake"
              "${PROJECT_BINARY_DIR}/switchyardConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/Findliburing.cmake"
        DESTINATION "${SWITCHYARD_CMAKE_DIR}")

# Relative to the .pc file, so that an install moved or made with --prefix works.
# The cuda backend links CUDA's static runtime, which needs libdl and librt.
set(SWITCHYARD_PC_CUDA_LIBS "")
if(SWITCHYARD_HAS_CUDA)
  set(SWITCHYARD_PC_CUDA_LIBS " -L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -ldl -lrt")
endif()
file(RELATIVE_PATH SWITCHYARD_PC_TO_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/switchyard.pc.in"
               "${PROJECT_BINARY_DIR}/switchyard.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/switchyard.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
