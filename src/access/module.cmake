# Constant-time comparisons (CRYPTO_memcmp) and, with JWT, signature checks: OpenSSL's
# libcrypto. PRIVATE: no header of this module includes OpenSSL's.
find_package(OpenSSL REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::Crypto)
