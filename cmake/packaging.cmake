# `make deb` / `cpack -G DEB` in a build directory: a Debian package of that build's install
# rules (src/server/main/CMakeLists.txt) under the prefix /usr. The Makefile packages the Release
# build; tests/e2e/test_deb.py packages the build under test.
#
# The package: /usr/bin/herald, the web assets in /usr/share/herald/web, the example config as
# the conffile /etc/herald/herald.toml (kept on remove, removed on purge), the systemd unit in
# /usr/lib/systemd/system. Depends is computed from the binary's shared libraries by
# dpkg-shlibdeps (Debian package dpkg-dev). Maintainer scripts in deploy/debian/ only tell a
# running systemd about the unit; they neither enable nor start it.

# deploy/debian/changelog is the package's changelog (installed as
# /usr/share/doc/herald/changelog.gz, as Debian wants of a native package): a new version gets a
# new entry on top (tests/e2e/test_deb.py checks that it names the project's version). Its
# newest entry's signature gives the Maintainer field.
include(GNUInstallDirs)
set(herald_changelog ${PROJECT_SOURCE_DIR}/deploy/debian/changelog)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${herald_changelog})
file(STRINGS ${herald_changelog} herald_signatures REGEX "^ -- ")
list(GET herald_signatures 0 herald_signature)
if(NOT herald_signature MATCHES "^ -- ([^<]+<[^>]+>)  ")
  message(FATAL_ERROR "${herald_changelog}: no ' -- NAME <EMAIL>  DATE' line")
endif()
set(HERALD_DEB_MAINTAINER "${CMAKE_MATCH_1}")
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/install)
execute_process(COMMAND gzip -9nc ${herald_changelog}
                OUTPUT_FILE ${PROJECT_BINARY_DIR}/install/changelog.gz
                RESULT_VARIABLE herald_gzip_rc)
if(NOT herald_gzip_rc EQUAL 0)
  message(FATAL_ERROR "gzip ${herald_changelog} failed")
endif()
install(FILES ${PROJECT_BINARY_DIR}/install/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/herald)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME herald)
set(CPACK_PACKAGE_VENDOR herald)
set(CPACK_PACKAGE_CONTACT "${HERALD_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "real-time messaging server: WebSocket, SSE and HTTP polling")
# The long description after the summary line; CPack indents it and turns the empty line into
# Debian's " ." paragraph break.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "herald delivers messages published over its HTTP API to subscribers of
channels over WebSocket, Server-Sent Events, long-polling and short polling,
with offsets, epochs, history and gap-free recovery after a reconnect.

The package holds the server binary (which also carries the herald command
line client and the herald bench latency lab), the browser client herald.js
with a demo and an admin page, an example configuration in /etc/herald and a
sandboxed systemd unit, installed but not enabled.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # herald_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)

# Installed with DESTDIR and the prefix /usr, so that the install-time script
# (cmake/install_service.cmake) sees the real prefix: config in /etc, ExecStart=/usr/bin/herald.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
# 0644 for conffiles and 0755 for the scripts whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
