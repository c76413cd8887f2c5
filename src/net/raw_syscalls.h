#pragma once
// read(2) and writev(2) without glibc's cancellation-point wrappers: the libc functions bracket
// the system call with __pthread_enable/disable_asynccancel, ~30 user-space instructions per
// call, close to a tenth of a fan-out delivery (callgrind). herald never cancels a thread, so
// the bare system call does the same (same result, same errno).
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>

namespace herald::net {

inline ssize_t raw_read(int fd, void* buf, size_t len) {
  return static_cast<ssize_t>(::syscall(SYS_read, fd, buf, len));
}

inline ssize_t raw_writev(int fd, const iovec* iov, int n) {
  return static_cast<ssize_t>(::syscall(SYS_writev, fd, iov, n));
}

}  // namespace herald::net
