#!/usr/bin/env bash
# bench/peers/nchan/check.sh — start the private Nchan, check that one publish reaches a
# long-poll, an EventSource and a WebSocket subscriber, then stop it. See --help.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../../lib/cpu.sh"

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
  cat <<USAGE
Usage: bench/peers/nchan/check.sh [PORT]   (default 18190)

Starts bench/peers/nchan on 127.0.0.1:PORT in a temporary directory, subscribes to
channel 'chk' by long-poll, EventSource and WebSocket (/usr/bin/python3 websockets),
publishes one message (expects 201) and one to a channel nobody listens on (expects 202),
checks every subscriber got the message, stops Nchan. Exit 0 when all checks pass.
Bounded: every client has a 5 s timeout.
USAGE
  exit 0
fi
port=${1:-18190}
dir=$(mktemp -d)
trap '"$HERE/run.sh" stop "$port" "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
"$HERE/run.sh" start "$port" "$dir" >/dev/null
base="http://127.0.0.1:$port"
msg="herald-nchan-check-$$"

curl -s -m 5 "$base/sub/chk" > "$dir/longpoll.out" &
curl -sN -m 3 -H 'Accept: text/event-stream' "$base/sub/chk" > "$dir/sse.out" &
"$BENCH_PY" - "$port" > "$dir/ws.out" 2>&1 <<'PY' &
import asyncio, sys, websockets
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/sub/chk") as ws:
        print(await asyncio.wait_for(ws.recv(), 5))
asyncio.run(main())
PY
sleep 1   # let the three subscribers arrive before publishing
pub=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST --data-binary "$msg" "$base/pub?id=chk")
none=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST --data-binary x "$base/pub?id=nobody")
wait

fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }
check "publish with subscribers -> 201 (got $pub)" '[ "$pub" = 201 ]'
check "publish without subscribers -> 202 (got $none)" '[ "$none" = 202 ]'
check "long-poll subscriber got the message" 'grep -qx "$msg" "$dir/longpoll.out"'
check "EventSource subscriber got 'data: message'" 'grep -qx "data: $msg" "$dir/sse.out"'
check "WebSocket subscriber got the message" 'grep -qx "$msg" "$dir/ws.out"'
check "error.log has no [error]/[alert]/[emerg]" '! grep -qE "\[(error|alert|emerg|crit)\]" "$dir/error.log"'
exit $fail
