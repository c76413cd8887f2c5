#include "tools/cli/poller.h"

#include "tools/cli/url.h"

namespace herald::cli {

std::string poll_target(const std::vector<std::string>& channels, std::string_view cursor,
                        uint32_t wait_sec, std::string_view token) {
  std::string t = "/poll?";
  for (const std::string& c : channels) t.append("channel=").append(query_escape(c)).append("&");
  if (!cursor.empty()) t.append("since=").append(query_escape(cursor)).append("&");
  if (!token.empty()) t.append("token=").append(query_escape(token)).append("&");
  t.append("wait=").append(std::to_string(wait_sec));
  return t;
}

Poller::Poller(loop::Loop& loop, HttpClient& http, Options options, Callbacks callbacks)
    : loop_(loop), http_(http), opt_(std::move(options)), cb_(std::move(callbacks)) {
  cursor_ = opt_.since;
}

void Poller::start() {
  running_ = true;
  ++generation_;
  poll();
}

void Poller::stop() {
  running_ = false;
  ++generation_;
  timer_.stop();
}

void Poller::poll() {
  if (!running_) return;
  ++requests_;
  http_.request("GET", poll_target(opt_.channels, cursor_, opt_.wait_sec, opt_.token), {},
                [this, gen = generation_](const HttpResult& r) {
                  if (gen == generation_) on_answer(r);
                });
}

void Poller::on_answer(const HttpResult& r) {
  if (!running_) return;
  auto error = [this](std::string_view why) {
    stop();
    if (cb_.on_error) cb_.on_error(why);
  };
  if (r.error) return error(std::string(r.error_text) + ": " + r.error.message());
  if (r.res->status != 200) {
    std::string_view body = r.res->body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
    return error("HTTP " + std::to_string(r.res->status) + ": " + std::string(body));
  }
  std::string why;
  if (!parse_poll_response(r.res->body, &scratch_, &why)) return error(why);
  cursor_ = scratch_.cursor;
  if (cb_.on_response) cb_.on_response(scratch_);
  if (!running_) return;
  if (opt_.wait_sec > 0) {
    poll();
  } else {
    timer_.start(loop_.timers(), opt_.interval_ms, [this] { poll(); });
  }
}

}  // namespace herald::cli
