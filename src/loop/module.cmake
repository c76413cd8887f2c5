# io_uring for the flush phase (server.io_uring): Debian liburing-dev.
find_library(HERALD_URING_LIB uring REQUIRED)
target_link_libraries(${MODULE_TARGET} PUBLIC ${HERALD_URING_LIB})
