# proto parses JSON with simdjson (Debian libsimdjson-dev ships a CMake config). PRIVATE: only
# src/proto/json.cpp includes simdjson.h (a very large header), and nothing above proto may.
find_package(simdjson REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE simdjson::simdjson)
