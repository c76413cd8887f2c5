# access verifies and mints tokens with OpenSSL 3 (Debian libssl-dev), EVP API only. PRIVATE:
# only crypto.cpp includes OpenSSL headers; JSON goes through simdjson, which proto carries.
find_package(OpenSSL 3.0 REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::Crypto)
