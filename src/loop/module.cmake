# io_uring for the flush phase (server.io_uring): Debian liburing-dev. PRIVATE: only
# src/loop/uring.cpp includes liburing.h.
find_library(HERALD_URING_LIB uring REQUIRED)
target_link_libraries(${MODULE_TARGET} PRIVATE ${HERALD_URING_LIB})
