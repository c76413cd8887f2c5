#include "tools/cli/poller.h"

#include <simdjson.h>

#include "tools/cli/url.h"

namespace herald::cli {

bool parse_poll_response(std::string_view json, PollResponse* out, std::string* error) {
  out->messages.clear();
  out->cursor.clear();
  out->recovered = true;
  out->unrecovered.clear();
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    *error = "poll answer is not JSON";
    return false;
  }
  simdjson::dom::array messages;
  std::string_view cursor;
  if (doc["messages"].get_array().get(messages) != simdjson::SUCCESS ||
      doc["cursor"].get_string().get(cursor) != simdjson::SUCCESS) {
    *error = "poll answer without messages and cursor";
    return false;
  }
  for (simdjson::dom::element m : messages) out->messages.push_back(simdjson::minify(m));
  out->cursor = std::string(cursor);
  bool recovered = true;
  if (doc["recovered"].get_bool().get(recovered) == simdjson::SUCCESS) out->recovered = recovered;
  simdjson::dom::array unrecovered;
  if (doc["unrecovered"].get_array().get(unrecovered) == simdjson::SUCCESS) {
    for (simdjson::dom::element c : unrecovered) {
      std::string_view name;
      if (c.get_string().get(name) == simdjson::SUCCESS) out->unrecovered.emplace_back(name);
    }
  }
  return true;
}

std::string poll_target(const std::vector<std::string>& channels, std::string_view cursor,
                        uint32_t wait_sec) {
  std::string t = "/poll?";
  for (const std::string& c : channels) t.append("channel=").append(query_escape(c)).append("&");
  if (!cursor.empty()) t.append("since=").append(query_escape(cursor)).append("&");
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
  http_.request("GET", poll_target(opt_.channels, cursor_, opt_.wait_sec), {},
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
