# Install the headers, the library, the cuda module, a CMake package
# (switchyard::switchyard; COMPONENTS cuda, mpi) and a pkg-config file, in the shape
# of Google Benchmark's and {fmt}'s rules.
include(CMakePackageConfigHelpers)
set(SWITCHYARD_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/switchyard")

# mpi.hpp and http.hpp come with their components only.
set(switchyard_headers_left_out "")
if(NOT SWITCHYARD_HAS_MPI)
  list(APPEND switchyard_headers_left_out PATTERN "mpi.hpp" EXCLUDE)
endif()
if(NOT SWITCHYARD_HAS_HTTP)
  list(APPEND switchyard_headers_left_out PATTERN "http.hpp" EXCLUDE)
endif()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/core/include/switchyard"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" ${switchyard_headers_left_out})
install(FILES "${PROJECT_BINARY_DIR}/include/switchyard/config.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/switchyard")
install(TARGETS switchyard EXPORT switchyard-targets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
if(SWITCHYARD_HAS_CUDA)
  # Loaded at run time by path, never linked: no export, no namelink needed.
  install(TARGETS switchyard_cuda LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}")
endif()
# The worker is also linked into the library; this copy is for systems that
# forbid executing memory files (vm.memfd_noexec=2): point SWITCHYARD_WORKER at it.
install(TARGETS switchyard_worker RUNTIME DESTINATION "${CMAKE_INSTALL_LIBEXECDIR}/switchyard")
install(EXPORT switchyard-targets NAMESPACE switchyard::
        DESTINATION "${SWITCHYARD_CMAKE_DIR}")
if(SWITCHYARD_HAS_MPI)
  # A targets file of its own, read only when the component is asked for, so
  # that users of the library alone need no MPI.
  install(TARGETS switchyard_mpi EXPORT switchyard-mpi-targets
          ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
          LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
          RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
  install(EXPORT switchyard-mpi-targets NAMESPACE switchyard::
          DESTINATION "${SWITCHYARD_CMAKE_DIR}")
endif()
if(SWITCHYARD_HAS_HTTP)
  install(TARGETS switchyard_http EXPORT switchyard-http-targets
          ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
          LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
          RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
  install(EXPORT switchyard-http-targets NAMESPACE switchyard::
          DESTINATION "${SWITCHYARD_CMAKE_DIR}")
endif()
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DATADIR}/switchyard")
install(FILES "${PROJECT_SOURCE_DIR}/docs/schema/caps.schema.json" DESTINATION "${CMAKE_INSTALL_DATADIR}/switchyard")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/switchyardConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/switchyardConfig.cmake" INSTALL_DESTINATION "${SWITCHYARD_CMAKE_DIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/switchyardConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/switchyardConfig.cmake"
              "${PROJECT_BINARY_DIR}/switchyardConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/Findliburing.cmake"
        DESTINATION "${SWITCHYARD_CMAKE_DIR}")

# Relative to the .pc file, so that an install moved or made with --prefix
# works. A static library names what it links in Requires and Libs (not their
# .private forms), so the plain `pkg-config --cflags --libs switchyard` links;
# a shared one needs only itself.
file(RELATIVE_PATH SWITCHYARD_PC_TO_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
if(BUILD_SHARED_LIBS)
  set(SWITCHYARD_PC_REQUIRES_FIELD "Requires.private")
  set(SWITCHYARD_PC_LIBS_FIELD "Libs.private")
else()
  set(SWITCHYARD_PC_REQUIRES_FIELD "Requires")
  set(SWITCHYARD_PC_LIBS_FIELD "Libs")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/switchyard.pc.in"
               "${PROJECT_BINARY_DIR}/switchyard.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/switchyard.pc"
        DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
