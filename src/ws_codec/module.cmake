# Only .cpp files of this module use these (handshake.cpp: SHA-1, base64, random key;
# deflate.cpp: raw DEFLATE streams), so they link PRIVATE: nothing above sees their headers.
find_package(OpenSSL REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::Crypto)
find_package(ZLIB REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE ZLIB::ZLIB)
