#!/usr/bin/env bash
# Start/stop a private nginx peer (see --help). Shared by bench/peers/*/run.sh.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$HERE/../nginx-common.sh" "$HERE" "$@"
