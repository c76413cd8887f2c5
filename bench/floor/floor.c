// bench/floor/floor.c — the "raw floor" of docs/benchmarks.md: what the kernel alone charges to
// write 100-byte messages to many loopback TCP sockets, with no server logic at all.
//
// It opens N loopback socket pairs (the accepted side is the "server" side that writes,
// the connecting side is a "subscriber" that a reader thread on the other core drains),
// then for each batch size B writes M messages to every socket in rounds: each round
// hands B messages to every socket in turn (one send() per message when B is 1, one
// writev of B iovecs when B > 1), the way a fan-out server flushes a publish (or a burst
// of B publishes) to every subscriber. It reports, per batch size, messages per CPU-second
// of the writer thread (getrusage RUSAGE_THREAD: user + system) and syscalls per message.
//
// Note on loopback: the TCP receive path of a loopback segment runs in the sender's
// syscall, so the writer's system time includes the receiver's kernel work too — the same
// is true of any server measured on loopback, which is why it is the right floor here.
//
// Bounded: each batch size stops after M messages per socket or --max-seconds, whichever
// comes first, and waits at most 30 s for the reader to drain.
//
// Build: cc -O2 -Wall -Wextra -pthread -o floor floor.c   (bench/floor/run.sh does it)

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { kMaxBatches = 16, kMaxBatch = 1024, kReadBufSize = 256 * 1024 };
// Below this much writer CPU time a rate is noise (getrusage's user/system split is
// tick-sampled): report it as n/a rather than a made-up number.
static const double kMinCpuSeconds = 0.01;

struct Options {
  int pairs;
  long messages;  // per socket, per batch size
  int msg_size;
  double max_seconds;
  int batches[kMaxBatches];
  int batch_count;
  int writer_cpu;
  int reader_cpu;
  int nodelay;
  int contiguous;  // B > 1: the B messages copied into one buffer and sent whole
  const char* json_path;
};

struct Result {
  int batch;
  long messages;  // total over all sockets
  long write_calls;
  long poll_calls;
  long would_block;
  double user_s;
  double sys_s;
  double wall_s;
  int complete;  // 1 if all M messages per socket were written before the time cap
};

static int* g_reader_fds;
static int g_pairs;
static atomic_long g_received;
static atomic_int g_stop;

static void die(const char* what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(FILE* out) {
  fprintf(out,
          "Usage: floor [options]\n"
          "Raw kernel floor for fan-out writes: N loopback TCP pairs, M messages of S bytes\n"
          "written to every socket per batch size; reports messages per writer CPU-second\n"
          "and syscalls per message.\n"
          "  --pairs N         socket pairs (default 1000; at most ~(RLIMIT_NOFILE-10)/2)\n"
          "  --messages M      messages per socket per batch size (default 1000)\n"
          "  --size S          message size in bytes (default 100)\n"
          "  --batches LIST    comma-separated batch sizes, 1 = send() per message,\n"
          "                    B>1 = writev of B messages (default 1,10,100; max %d)\n"
          "  --max-seconds T   time cap per batch size (default 10)\n"
          "  --writer-cpu C    pin the writer thread to CPU C (default 0; -1 = no pin)\n"
          "  --reader-cpu C    pin the reader thread to CPU C (default 1; -1 = no pin)\n"
          "  --no-nodelay      leave Nagle on for the writing sockets (default: TCP_NODELAY,\n"
          "                    as a server does)\n"
          "  --contiguous      B>1: copy the B messages into one buffer (user space, per\n"
          "                    socket and round) and write it with one send() instead of a\n"
          "                    writev of B iovecs: the kernel then copies one segment\n"
          "  --json FILE       also write the results as JSON to FILE\n"
          "  -h, --help        this text\n",
          kMaxBatch);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void thread_cpu(double* user_s, double* sys_s) {
  struct rusage ru;
  if (getrusage(RUSAGE_THREAD, &ru) != 0) die("getrusage");
  *user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
  *sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void pin_self(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
    fprintf(stderr, "floor: cannot pin to CPU %d; running unpinned\n", cpu);
  }
}

static void parse_batches(struct Options* o, const char* list) {
  o->batch_count = 0;
  char* copy = strdup(list);
  for (char* tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
    int b = atoi(tok);
    if (b < 1 || b > kMaxBatch || o->batch_count == kMaxBatches) {
      fprintf(stderr, "floor: bad batch list '%s'\n", list);
      exit(2);
    }
    o->batches[o->batch_count++] = b;
  }
  free(copy);
  if (o->batch_count == 0) {
    fprintf(stderr, "floor: empty batch list\n");
    exit(2);
  }
}

static void parse_args(struct Options* o, int argc, char** argv) {
  *o = (struct Options){.pairs = 1000,
                        .messages = 1000,
                        .msg_size = 100,
                        .max_seconds = 10.0,
                        .writer_cpu = 0,
                        .reader_cpu = 1,
                        .nodelay = 1};
  parse_batches(o, "1,10,100");
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      exit(0);
    } else if (!strcmp(a, "--no-nodelay")) {
      o->nodelay = 0;
      continue;
    } else if (!strcmp(a, "--contiguous")) {
      o->contiguous = 1;
      continue;
    }
    if (!v) {
      usage(stderr);
      exit(2);
    }
    if (!strcmp(a, "--pairs")) {
      o->pairs = atoi(v);
    } else if (!strcmp(a, "--messages")) {
      o->messages = atol(v);
    } else if (!strcmp(a, "--size")) {
      o->msg_size = atoi(v);
    } else if (!strcmp(a, "--batches")) {
      parse_batches(o, v);
    } else if (!strcmp(a, "--max-seconds")) {
      o->max_seconds = atof(v);
    } else if (!strcmp(a, "--writer-cpu")) {
      o->writer_cpu = atoi(v);
    } else if (!strcmp(a, "--reader-cpu")) {
      o->reader_cpu = atoi(v);
    } else if (!strcmp(a, "--json")) {
      o->json_path = v;
    } else {
      usage(stderr);
      exit(2);
    }
    ++i;
  }
  if (o->pairs < 1 || o->messages < 1 || o->msg_size < 1 || o->max_seconds <= 0) {
    fprintf(stderr, "floor: --pairs, --messages, --size and --max-seconds must be positive\n");
    exit(2);
  }
}

// Raise the soft fd limit to the hard one: 1,000 pairs need 2,000+ descriptors.
static rlim_t raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) die("getrlimit");
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit");
  return rl.rlim_cur;
}

static void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) die("O_NONBLOCK");
}

// Opens `n` loopback pairs: writer_fds[i] is the accepted (server) side, reader_fds[i]
// the connecting (subscriber) side. Both ends are non-blocking once connected.
static void open_pairs(int n, int nodelay, int* writer_fds, int* reader_fds) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) die("socket");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) != 0) die("bind");
  if (listen(lfd, 1024) != 0) die("listen");
  socklen_t len = sizeof addr;
  if (getsockname(lfd, (struct sockaddr*)&addr, &len) != 0) die("getsockname");
  for (int i = 0; i < n; ++i) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0) die("socket (raise the fd limit or lower --pairs)");
    if (connect(c, (struct sockaddr*)&addr, sizeof addr) != 0) die("connect");
    int s = accept(lfd, NULL, NULL);
    if (s < 0) die("accept");
    if (nodelay) {
      int one = 1;
      if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) die("TCP_NODELAY");
    }
    set_nonblocking(s);
    set_nonblocking(c);
    writer_fds[i] = s;
    reader_fds[i] = c;
  }
  close(lfd);
}

static void* reader_main(void* arg) {
  pin_self(*(int*)arg);
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  for (int i = 0; i < g_pairs; ++i) {
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = g_reader_fds[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, g_reader_fds[i], &ev) != 0) die("epoll_ctl");
  }
  char* buf = malloc(kReadBufSize);
  struct epoll_event events[256];
  while (!atomic_load(&g_stop)) {
    int n = epoll_wait(ep, events, 256, 50);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; ++i) {
      for (;;) {
        ssize_t r = read(events[i].data.fd, buf, kReadBufSize);
        if (r > 0) {
          atomic_fetch_add(&g_received, (long)r);
          if (r < kReadBufSize) break;
          continue;
        }
        if (r == 0) break;
        if (errno == EAGAIN || errno == EINTR) break;
        die("read");
      }
    }
  }
  free(buf);
  close(ep);
  return NULL;
}

// Writes `count` messages (all of `bytes` total) to fd, resuming after partial writes
// and waiting for POLLOUT after EAGAIN. Counts every syscall it makes.
static void write_batch(int fd, struct iovec* iov, int count, size_t bytes, struct Result* r) {
  struct iovec local[kMaxBatch];
  struct iovec* cur = iov;
  int left = count;
  size_t remaining = bytes;
  while (remaining > 0) {
    ssize_t w;
    if (left == 1) {
      w = send(fd, cur->iov_base, cur->iov_len, MSG_NOSIGNAL);
    } else {
      w = writev(fd, cur, left);
    }
    ++r->write_calls;
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) die("write");
      ++r->would_block;
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      ++r->poll_calls;
      if (poll(&p, 1, 5000) < 0 && errno != EINTR) die("poll");
      continue;
    }
    remaining -= (size_t)w;
    if (remaining == 0) break;
    // Partial write: copy the unwritten tail of the iovec array and advance into it.
    if (cur != local) {
      memcpy(local, cur, sizeof(struct iovec) * (size_t)left);
      cur = local;
    }
    size_t done = (size_t)w;
    while (done >= cur->iov_len) {
      done -= cur->iov_len;
      ++cur;
      --left;
    }
    cur->iov_base = (char*)cur->iov_base + done;
    cur->iov_len -= done;
  }
}

static const char* call_name(const struct Options* o, int batch) {
  if (batch == 1) return "send";
  return o->contiguous ? "copy+send" : "writev";
}

static struct Result run_batch(const struct Options* o, const int* writer_fds, int batch,
                               char* const* messages) {
  struct Result r = {.batch = batch};
  struct iovec iov[kMaxBatch];
  for (int k = 0; k < batch; ++k) {
    iov[k].iov_base = messages[k];
    iov[k].iov_len = (size_t)o->msg_size;
  }
  size_t batch_bytes = (size_t)o->msg_size * (size_t)batch;
  // --contiguous: the copy a server would make into a per-connection output buffer, done per
  // socket and round so its user-space cost is counted; then one iovec of batch_bytes.
  char* joined = o->contiguous && batch > 1 ? malloc(batch_bytes) : NULL;
  struct iovec one = {.iov_base = joined, .iov_len = batch_bytes};
  long rounds = (o->messages + batch - 1) / batch;
  long sent_before = atomic_load(&g_received);
  long rounds_done = 0;

  double u0, s0, u1, s1;
  thread_cpu(&u0, &s0);
  double t0 = now_s();
  for (; rounds_done < rounds; ++rounds_done) {
    if (now_s() - t0 > o->max_seconds) break;
    for (int i = 0; i < o->pairs; ++i) {
      if (joined) {
        for (int k = 0; k < batch; ++k)
          memcpy(joined + (size_t)k * (size_t)o->msg_size, messages[k], (size_t)o->msg_size);
        write_batch(writer_fds[i], &one, 1, batch_bytes, &r);
      } else {
        write_batch(writer_fds[i], iov, batch, batch_bytes, &r);
      }
    }
  }
  double t1 = now_s();
  thread_cpu(&u1, &s1);

  r.messages = rounds_done * batch * (long)o->pairs;
  r.complete = rounds_done == rounds;
  r.user_s = u1 - u0;
  r.sys_s = s1 - s0;
  r.wall_s = t1 - t0;

  // Outside the measured span: let the reader drain everything before the next batch
  // size, so one run's backlog is not charged to the next.
  long expected = sent_before + r.messages * o->msg_size;
  double deadline = now_s() + 30.0;
  while (atomic_load(&g_received) < expected) {
    if (now_s() > deadline) {
      fprintf(stderr, "floor: reader did not drain within 30 s\n");
      exit(1);
    }
    usleep(1000);
  }
  free(joined);
  return r;
}

static void print_results(const struct Options* o, const struct Result* rs, rlim_t nofile) {
  printf("# floor: %d loopback TCP pairs, %d-byte messages, up to %ld per socket per batch size\n",
         o->pairs, o->msg_size, o->messages);
  printf("# writer on CPU %d, reader on CPU %d, TCP_NODELAY %s, RLIMIT_NOFILE %lu\n", o->writer_cpu,
         o->reader_cpu, o->nodelay ? "on" : "off", (unsigned long)nofile);
  printf(
      "| call | batch | messages | writer CPU s (user+sys) | wall s | msgs/CPU-s | msgs/wall-s "
      "| syscalls/msg | EAGAIN |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int i = 0; i < o->batch_count; ++i) {
    const struct Result* r = &rs[i];
    double cpu = r->user_s + r->sys_s;
    char rate[32] = "n/a (too short)";
    if (cpu >= kMinCpuSeconds) snprintf(rate, sizeof rate, "%.0f", (double)r->messages / cpu);
    printf("| %s | %d | %ld%s | %.3f (%.3f+%.3f) | %.3f | %s | %.0f | %.4f | %ld |\n",
           call_name(o, r->batch), r->batch, r->messages, r->complete ? "" : " (time cap)", cpu, r->user_s, r->sys_s, r->wall_s, rate,
           r->wall_s > 0 ? (double)r->messages / r->wall_s : 0.0,
           (double)(r->write_calls + r->poll_calls) / (double)(r->messages ? r->messages : 1),
           r->would_block);
  }
}

static void write_json(const struct Options* o, const struct Result* rs, rlim_t nofile) {
  FILE* f = fopen(o->json_path, "w");
  if (!f) die(o->json_path);
  fprintf(f,
          "{\"pairs\": %d, \"msg_size\": %d, \"messages_per_socket\": %ld, \"max_seconds\": %g, "
          "\"writer_cpu\": %d, \"reader_cpu\": %d, \"nodelay\": %s, \"rlimit_nofile\": %lu, "
          "\"results\": [",
          o->pairs, o->msg_size, o->messages, o->max_seconds, o->writer_cpu, o->reader_cpu,
          o->nodelay ? "true" : "false", (unsigned long)nofile);
  for (int i = 0; i < o->batch_count; ++i) {
    const struct Result* r = &rs[i];
    double cpu = r->user_s + r->sys_s;
    char rate[32] = "null";
    if (cpu >= kMinCpuSeconds) snprintf(rate, sizeof rate, "%.1f", (double)r->messages / cpu);
    fprintf(f,
            "%s\n  {\"call\": \"%s\", \"batch\": %d, \"messages\": %ld, \"complete\": %s, "
            "\"write_calls\": %ld, \"poll_calls\": %ld, \"eagain\": %ld, \"user_s\": %.6f, "
            "\"sys_s\": %.6f, \"cpu_s\": %.6f, \"wall_s\": %.6f, \"msgs_per_cpu_s\": %s, "
            "\"msgs_per_wall_s\": %.1f, \"syscalls_per_msg\": %.6f}",
            i ? "," : "", call_name(o, r->batch), r->batch, r->messages,
            r->complete ? "true" : "false", r->write_calls, r->poll_calls, r->would_block,
            r->user_s, r->sys_s, cpu, r->wall_s, rate,
            r->wall_s > 0 ? (double)r->messages / r->wall_s : 0.0,
            (double)(r->write_calls + r->poll_calls) / (double)(r->messages ? r->messages : 1));
  }
  fprintf(f, "\n]}\n");
  fclose(f);
}

int main(int argc, char** argv) {
  struct Options o;
  parse_args(&o, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  rlim_t nofile = raise_nofile();
  if ((rlim_t)o.pairs * 2 + 16 > nofile) {
    fprintf(stderr, "floor: --pairs %d needs %d fds; the limit is %lu\n", o.pairs, o.pairs * 2 + 16,
            (unsigned long)nofile);
    return 2;
  }

  int* writer_fds = calloc((size_t)o.pairs, sizeof(int));
  g_reader_fds = calloc((size_t)o.pairs, sizeof(int));
  g_pairs = o.pairs;
  open_pairs(o.pairs, o.nodelay, writer_fds, g_reader_fds);

  // Distinct buffers per message, as a server holds one buffer per message.
  char* messages[kMaxBatch];
  for (int k = 0; k < kMaxBatch; ++k) {
    messages[k] = malloc((size_t)o.msg_size);
    memset(messages[k], 'a' + k % 26, (size_t)o.msg_size);
  }

  pthread_t reader;
  if (pthread_create(&reader, NULL, reader_main, &o.reader_cpu) != 0) die("pthread_create");
  pin_self(o.writer_cpu);

  struct Result results[kMaxBatches];
  for (int i = 0; i < o.batch_count; ++i)
    results[i] = run_batch(&o, writer_fds, o.batches[i], messages);

  atomic_store(&g_stop, 1);
  pthread_join(reader, NULL);
  print_results(&o, results, nofile);
  if (o.json_path) write_json(&o, results, nofile);
  for (int i = 0; i < o.pairs; ++i) {
    close(writer_fds[i]);
    close(g_reader_fds[i]);
  }
  return 0;
}
