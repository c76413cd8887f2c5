# TLS is OpenSSL's libssl (Debian libssl-dev, OpenSSL 3.0). Only this module's .cpp files
# include OpenSSL (its headers forward-declare what they name), so it links PRIVATE.
find_package(OpenSSL REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::SSL OpenSSL::Crypto)
