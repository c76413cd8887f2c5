# Constant-time comparison of secrets (CRYPTO_memcmp): OpenSSL's libcrypto. PRIVATE: no
# header of this module includes OpenSSL's.
find_package(OpenSSL REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::Crypto)
# Hook answers are read with simdjson (hook_answer.cpp only). PRIVATE: no header of this module
# includes simdjson.h.
find_package(simdjson REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE simdjson::simdjson)
