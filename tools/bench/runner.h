#pragma once
// Runs the phases of a bench over each requested transport and collects a RunReport.
#include "result.h"

namespace herald::bench {

/// Checks the options; returns an empty string or what is wrong.
std::string validate(const BenchOptions& o);

/// Runs every transport of `o` one after the other. `*unreachable` is set when no client could
/// connect at all.
RunReport run_all(const BenchOptions& o, bool* unreachable);

/// Exit code for a finished report: 0 clean, 1 something lost/duplicated/failed.
int exit_code(const RunReport& r);

}  // namespace herald::bench
