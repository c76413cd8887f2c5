# server reads its TOML config with toml++. Debian's libtomlplusplus-dev 3.3 is a compiled
# shared library (its CMake config adds -DTOML_HEADER_ONLY=0 -DTOML_SHARED_LIB=1). PRIVATE:
# only src/server/config_toml.cpp includes toml++, and nothing outside the module should.
find_package(tomlplusplus REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE tomlplusplus::tomlplusplus)
