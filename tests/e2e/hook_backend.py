"""A small application backend for the hook tests (tests/e2e/test_hooks.py): answers herald's
connect, subscribe and publish hooks by fixed rules and records every request it gets, one JSON
line each ({"path", "headers", "body"}), in LOGFILE.

    /usr/bin/python3 hook_backend.py PORT LOGFILE

It prints "ready PORT" once it listens (PORT 0: a free port the kernel picks).

Rules (what the tests rely on):
  /connect    Cookie session=alice -> alice, grants chat:* (subscribe and publish), info;
              session=bob -> bob, no grants; session=deny -> {"deny":true};
              session=forbid -> status 403; session=garbage -> 200 with a body that is not JSON;
              session=slow -> sleeps SLOW_SEC first, then answers as for alice;
              no session -> {"deny":true}
  /subscribe  channel "open:*" -> allow; "slow:*" -> sleeps SLOW_SEC, then allow; else refuse
  /publish    channel "chat:deny" -> refuse; "chat:slow" -> sleeps SLOW_SEC, then allow;
              data {"replace": X} -> allow with data {"replaced": X}; else allow
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SEC = 3.0

ALICE = {"user": "alice", "channels": ["chat:*"], "publish": ["chat:*"],
         "info": {"name": "Alice", "score": 1.0}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as herald's pool expects

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        body = json.loads(raw)
        with LOCK:
            LOG.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()),
                                  "body": body}) + "\n")
            LOG.flush()
        getattr(self, "hook_" + self.path.strip("/").split("?")[0])(body)

    def hook_connect(self, body):
        cookie = body.get("headers", {}).get("Cookie", "")
        session = cookie.split("session=", 1)[1].split(";")[0] if "session=" in cookie else ""
        if session == "slow":
            time.sleep(SLOW_SEC)
            session = "alice"
        if session == "alice":
            return self.answer(200, ALICE)
        if session == "bob":
            return self.answer(200, {"user": "bob"})
        if session == "forbid":
            return self.answer(403, {"error": "no"})
        if session == "garbage":
            return self.answer(200, b"<html>oops</html>")
        return self.answer(200, {"deny": True})

    def hook_subscribe(self, body):
        ch = body["channel"]
        if ch.startswith("slow:"):
            time.sleep(SLOW_SEC)
            return self.answer(200, {"allow": True})
        return self.answer(200, {"allow": ch.startswith("open:")})

    def hook_publish(self, body):
        ch, data = body["channel"], body.get("data")
        if ch == "chat:deny":
            return self.answer(200, {"allow": False})
        if ch == "chat:slow":
            time.sleep(SLOW_SEC)
        if isinstance(data, dict) and "replace" in data:
            return self.answer(200, {"allow": True, "data": {"replaced": data["replace"]}})
        return self.answer(200, {"allow": True})


class Server(ThreadingHTTPServer):
    allow_reuse_address = True  # restarted on the same port by the tests
    daemon_threads = True


if __name__ == "__main__":
    LOCK = threading.Lock()
    LOG = open(sys.argv[2], "a")
    srv = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", srv.server_address[1], flush=True)
    srv.serve_forever()
