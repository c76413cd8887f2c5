# proto parses JSON with simdjson (Debian libsimdjson-dev ships a CMake config).
# Only src/proto/json.cpp includes simdjson.h: it is a very large header.
find_package(simdjson REQUIRED)
target_link_libraries(${MODULE_TARGET} PUBLIC simdjson::simdjson)
