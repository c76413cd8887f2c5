# cluster speaks RESP to Redis with hiredis's parser (redisReader) and command formatter
# (Debian libhiredis-dev, found with pkg-config). PRIVATE: only src/cluster/*.cpp include
# hiredis; its async API is not used (herald's loop owns the sockets). The Lua scripts are
# named by their SHA-1 (EVALSHA), computed with OpenSSL's libcrypto.
find_package(PkgConfig REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
target_link_libraries(${MODULE_TARGET} PRIVATE PkgConfig::HIREDIS)
find_package(OpenSSL REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::Crypto)
