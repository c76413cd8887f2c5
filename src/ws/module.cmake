# The WebSocket handshake needs SHA-1, base64 and a random key: OpenSSL's libcrypto.
find_package(OpenSSL REQUIRED)
target_link_libraries(${MODULE_TARGET} PUBLIC OpenSSL::Crypto)
# permessage-deflate (RFC 7692) compresses with zlib's raw DEFLATE streams.
find_package(ZLIB REQUIRED)
target_link_libraries(${MODULE_TARGET} PUBLIC ZLIB::ZLIB)
