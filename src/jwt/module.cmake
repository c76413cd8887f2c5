# jwt verifies and mints tokens with OpenSSL 3 (Debian libssl-dev), EVP API only, and reads
# their JSON with simdjson. PRIVATE: only crypto.cpp includes OpenSSL headers and only
# token_json.cpp includes simdjson.h.
find_package(OpenSSL 3.0 REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::Crypto)
find_package(simdjson REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE simdjson::simdjson)
