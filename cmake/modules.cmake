# herald_module(NAME [DIR dir] [DEPS mod...]): a folder is a module, a module is a library.
# Sources are every .cpp in the folder (CONFIGURE_DEPENDS: adding a file needs no CMake edit).
# A module may carry extra settings in DIR/module.cmake (third-party links and the like).
#
# Layering is enforced by include paths, not by convention: a module's headers are reachable
# only through a per-module include directory in the build tree that holds one symlink, e.g.
# build/modinc/hub/hub -> src/hub, so `#include "hub/hub.h"` resolves only for targets that
# link herald_hub (its include directory travels with the link, PUBLIC). A module that
# includes the header of a module it does not link fails to compile. tests/layering/ proves it.
function(herald_module name)
  cmake_parse_arguments(M "" "DIR" "DEPS" ${ARGN})
  if(NOT M_DIR)
    set(M_DIR src/${name})
  endif()
  # The path a header is included by: "hub/hub.h" for src/hub, "tools/cli/x.h" for tools/cli.
  string(REGEX REPLACE "^src/" "" include_as ${M_DIR})
  set(inc_root ${PROJECT_BINARY_DIR}/modinc/${name})
  get_filename_component(link_parent ${inc_root}/${include_as} DIRECTORY)
  file(MAKE_DIRECTORY ${link_parent})
  if(NOT EXISTS ${inc_root}/${include_as})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${M_DIR} ${inc_root}/${include_as} SYMBOLIC)
  endif()

  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${M_DIR}/*.cpp)
  if(NOT srcs)
    add_library(herald_${name} INTERFACE)
    target_include_directories(herald_${name} INTERFACE ${inc_root})
    foreach(d ${M_DEPS})
      target_link_libraries(herald_${name} INTERFACE herald_${d})
    endforeach()
    return()
  endif()
  add_library(herald_${name} STATIC ${srcs})
  target_include_directories(herald_${name} PUBLIC ${inc_root})
  foreach(d ${M_DEPS})
    target_link_libraries(herald_${name} PUBLIC herald_${d})
  endforeach()
  if(EXISTS ${PROJECT_SOURCE_DIR}/${M_DIR}/module.cmake)
    set(MODULE_TARGET herald_${name})
    include(${PROJECT_SOURCE_DIR}/${M_DIR}/module.cmake)
  endif()
endfunction()
