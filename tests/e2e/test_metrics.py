"""GET /metrics read by a real Prometheus exposition parser (Debian's python3-prometheus-client):
the whole text parses, every histogram is well formed (cumulative buckets, +Inf equal to the
count), loop lag is one histogram per event loop, and a publish moves the publish -> deliver
latency histogram and the byte counters; a burst of connections is followed by one memory trim.
"""
import math
import resource
import socket
import time

from prometheus_client.parser import text_string_to_metric_families

from harness import herald_server
from test_sse import SseStream


def scrape(srv):
    status, headers, body = srv.request("GET", "/metrics")
    assert status == 200, (status, body)
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    samples = {}
    for f in families.values():
        for s in f.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return families, samples


def histogram_series(family):
    """{labels without le: {"buckets": [(le, value)], "count": n, "sum": s}} of a histogram."""
    assert family.type == "histogram", family
    series = {}
    for s in family.samples:
        key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        h = series.setdefault(key, {"buckets": [], "count": None, "sum": None})
        if s.name.endswith("_bucket"):
            h["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            h["count"] = s.value
        elif s.name.endswith("_sum"):
            h["sum"] = s.value
    for key, h in series.items():
        les = [le for le, _ in h["buckets"]]
        assert les == sorted(les) and les[-1] == math.inf, (key, les)
        values = [v for _, v in h["buckets"]]
        assert values == sorted(values), (key, values)  # cumulative
        assert values[-1] == h["count"], (key, h)
        assert h["sum"] is not None and h["sum"] >= 0, (key, h)
    return series


def test_metrics_parse_and_move_after_a_publish():
    with herald_server("--threads", "2") as srv:
        families, before = scrape(srv)
        for name, kind in (("herald_connections", "gauge"),
                           ("herald_bytes_received", "counter"),
                           ("herald_bytes_sent", "counter"),
                           ("herald_drops", "counter"),
                           ("herald_slow_consumer_evictions", "counter"),
                           ("herald_loop_lag_microseconds", "histogram"),
                           ("herald_deliver_latency_microseconds", "histogram")):
            assert name in families, f"{name} missing from /metrics"
            assert families[name].type == kind, (name, families[name].type)
            assert families[name].documentation, f"{name} has no HELP"
        lag = histogram_series(families["herald_loop_lag_microseconds"])
        assert set(lag) == {(("loop", "0"),), (("loop", "1"),)}, lag.keys()
        latency = histogram_series(families["herald_deliver_latency_microseconds"])
        assert latency[()]["count"] == 0  # nothing published yet

        stream = SseStream(srv, "/sse?channel=public:metrics")
        assert stream.read_head() == 200
        # The subscription may still be on its way to the channel's loop: publish until the
        # stream gets one (each publish is a delivery counted either way).
        got = None
        for i in range(20):
            srv.publish("public:metrics", {"n": i})
            got = stream.next_event(timeout=1)
            if got is not None:
                break
        assert got is not None, "the SSE subscriber never got a publication"

        # The delivery was counted on its loop before the event was written; poll a little
        # anyway (a scrape gathers from every loop).
        deadline = time.time() + 10
        while True:
            families, after = scrape(srv)
            latency = histogram_series(families["herald_deliver_latency_microseconds"])[()]
            if latency["count"] >= 1 or time.time() > deadline:
                break
            time.sleep(0.05)
        assert latency["count"] >= 1, latency
        for name in ("herald_bytes_received_total", "herald_bytes_sent_total",
                     "herald_messages_in_total", "herald_messages_out_total"):
            assert after[(name, ())] > before[(name, ())], name
        lag_after = histogram_series(families["herald_loop_lag_microseconds"])
        assert sum(h["count"] for h in lag_after.values()) > \
            sum(h["count"] for h in lag.values())
        stream.sock.close()


def test_metrics_key_guards_metrics_only():
    cfg = '[server]\napi_key = "api-secret"\nmetrics_key = "scrape-secret"\n'
    with herald_server(config=cfg) as srv:
        status, headers, _ = srv.request("GET", "/metrics")
        assert status == 401 and headers["www-authenticate"].startswith("Bearer"), status
        assert srv.request("GET", "/metrics", headers={"Authorization": "Bearer nope"})[0] == 401
        for key in ("scrape-secret", "api-secret"):
            status, _, body = srv.request("GET", "/metrics",
                                          headers={"Authorization": "Bearer " + key})
            assert status == 200, key
            assert any(f.name == "herald_connections"
                       for f in text_string_to_metric_families(body.decode()))
        # The scrape key opens nothing else: the API still wants its own key.
        status, _, _ = srv.request("POST", "/api/publish", '{"channel":"public:m","data":1}',
                                   {"Authorization": "Bearer scrape-secret",
                                    "Content-Type": "application/json"})
        assert status == 401
        assert srv.request("GET", "/health")[0] == 200


def wait_for_sample(srv, name, at_least, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        value = scrape(srv)[1][(name, ())]
        if value >= at_least or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_a_burst_of_connections_is_followed_by_one_memory_trim():
    # One loop, so that every connection counts toward the same loop's burst.
    with herald_server("--threads", "1") as srv:
        assert scrape(srv)[1][("herald_memory_trims_total", ())] == 0
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
        socks = []
        try:
            for _ in range(1100):  # the loop trims after 1,000 accepted ones, once they stop
                socks.append(socket.create_connection((srv.host, srv.port), timeout=30))
            accepted = wait_for_sample(srv, "herald_connections_accepted_total", 1100)
            assert accepted >= 1100, accepted
        finally:
            for s in socks:
                s.close()
        assert wait_for_sample(srv, "herald_memory_trims_total", 1) == 1
        # Nothing more without another burst: a few quiet ticks later it is still one.
        time.sleep(3)
        assert scrape(srv)[1][("herald_memory_trims_total", ())] == 1
        assert srv.request("GET", "/health")[0] == 200
