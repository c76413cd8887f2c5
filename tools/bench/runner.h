#pragma once
// Runs the phases of a bench over each requested transport and collects a RunReport.
#include <sched.h>

#include <functional>
#include <vector>

#include "net/address.h"
#include "result.h"

namespace herald::bench {

/// Checks the options; returns an empty string or what is wrong.
std::string validate(const BenchOptions& o);

/// What the lab adds to a run: where publishers connect from, and figures taken around each
/// transport's measuring window.
struct RunEnv {
  /// Network namespace publishers' sockets are created in (-1: the caller's, like the
  /// subscribers'), and the server's address as seen from there. In the lab, publishers sit
  /// next to the server - an application backend publishing to herald - and only subscribers
  /// are behind the impaired link.
  int publisher_netns = -1;
  net::Address publisher_addr;
  /// Called on the main thread just before publishing starts and just after the drain.
  std::function<void()> window_begin;
  std::function<void(TransportResult&)> window_end;
};

/// Runs every transport of `o` one after the other. `*unreachable` is set when no client could
/// connect at all. `env` may be null (no lab).
RunReport run_all(const BenchOptions& o, bool* unreachable, const RunEnv* env = nullptr);

/// The CPUs set in `set`, ascending (the process's allowed CPUs come from sched_getaffinity).
std::vector<int> cpus_in(const cpu_set_t& set);

/// The CPU client loop `loop` is pinned to: the loop-th allowed CPU, wrapping around; -1 when
/// `allowed` is empty. Pinning stays inside what the process was given (taskset, cgroups), so
/// `taskset -c 1 herald bench --threads 1` runs on CPU 1, not on top of a server on CPU 0.
int cpu_for_loop(const std::vector<int>& allowed, int loop);

/// Exit code for a finished report: 0 clean, 1 something lost/duplicated/failed. With
/// `limits_ok`, a transport whose only losses are a measured limit (Verdict::limit) is no
/// failure.
int exit_code(const RunReport& r, bool limits_ok = false);

}  // namespace herald::bench
