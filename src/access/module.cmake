# Constant-time comparison of secrets (CRYPTO_memcmp): OpenSSL's libcrypto. PRIVATE: no
# header of this module includes OpenSSL's.
find_package(OpenSSL REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::Crypto)
