# Address-validation cookies are HMAC-SHA256 tags (cookie.cpp): OpenSSL's libcrypto, PRIVATE.
find_package(OpenSSL REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::Crypto)
