# Runs at install time (`cmake --install`, `make install`, `cpack`), included by the install
# script that src/server/main/CMakeLists.txt generates, which sets HERALD_SOURCE_DIR,
# HERALD_BINDIR, HERALD_SYSCONFDIR and HERALD_STAGE (a scratch directory) first.
#
# Why at install time: the example config's place and the unit's ExecStart depend on the prefix
# being installed to, which `cmake --install BUILD --prefix P` and CPack choose after the build
# was configured. Resolving them here makes one build tree installable (and packageable) under
# any prefix with every path pointing at the installed files.

# GNUInstallDirs' rule for the system configuration directory: /etc for the prefixes / and /usr,
# PREFIX/etc otherwise; an absolute CMAKE_INSTALL_SYSCONFDIR is taken as it is.
if(IS_ABSOLUTE "${HERALD_SYSCONFDIR}")
  set(herald_etc "${HERALD_SYSCONFDIR}")
elseif(CMAKE_INSTALL_PREFIX MATCHES "^/(usr/?)?$")
  set(herald_etc "/${HERALD_SYSCONFDIR}")
else()
  set(herald_etc "${CMAKE_INSTALL_PREFIX}/${HERALD_SYSCONFDIR}")
endif()
if(IS_ABSOLUTE "${HERALD_BINDIR}")
  set(herald_bin "${HERALD_BINDIR}")
else()
  set(herald_bin "${CMAKE_INSTALL_PREFIX}/${HERALD_BINDIR}")
endif()
string(REGEX REPLACE "/+$" "" herald_etc "${herald_etc}")
string(REGEX REPLACE "//+" "/" herald_etc "${herald_etc}")
string(REGEX REPLACE "//+" "/" herald_bin "${herald_bin}")

# The example config as herald/herald.toml, unless the operator already has one there.
set(conf "$ENV{DESTDIR}${herald_etc}/herald/herald.toml")
if(NOT EXISTS "${conf}")
  # file(INSTALL) prefixes an absolute DESTINATION with DESTDIR itself.
  file(INSTALL "${HERALD_SOURCE_DIR}/config/herald.example.toml"
       DESTINATION "${herald_etc}/herald" RENAME herald.toml)
else()
  message(STATUS "Kept: ${conf}")
endif()

# The systemd unit, its ExecStart naming the installed binary and config.
set(HERALD_BINDIR "${herald_bin}")
set(HERALD_CONFDIR "${herald_etc}/herald")
configure_file("${HERALD_SOURCE_DIR}/deploy/systemd/herald.service.in"
               "${HERALD_STAGE}/herald.service" @ONLY)
file(INSTALL "${HERALD_STAGE}/herald.service"
     DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
file(REMOVE "${HERALD_STAGE}/herald.service")
