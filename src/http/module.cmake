# Only static_files.cpp uses it (the ETag of a static file is the SHA-256 of its bytes), so it
# links PRIVATE: nothing above sees OpenSSL's headers.
find_package(OpenSSL REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE OpenSSL::Crypto)
