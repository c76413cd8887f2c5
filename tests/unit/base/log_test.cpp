// base/log: how one event renders in each format, and the per-thread buffer's bound.
#include "base/log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace herald::base {
namespace {

// 2026-01-02T03:04:05.678Z
constexpr uint64_t kWhen = 1767323045678000;

std::string render(LogFormat f, LogLevel l, std::string_view event, std::string_view msg,
                   std::initializer_list<LogField> fields) {
  std::string out;
  render_log_line(out, f, kWhen, l, event, msg,
                  std::span<const LogField>(fields.begin(), fields.size()));
  return out;
}

TEST(LogRender, TextMessageAsBefore) {
  EXPECT_EQ(render(LogFormat::text, LogLevel::info, {}, "SIGTERM: draining", {}),
            "2026-01-02T03:04:05.678Z info  SIGTERM: draining\n");
  EXPECT_EQ(render(LogFormat::text, LogLevel::error, {}, "x", {}),
            "2026-01-02T03:04:05.678Z error x\n");
}

TEST(LogRender, TextEventFieldsAsKeyValue) {
  EXPECT_EQ(render(LogFormat::text, LogLevel::info, "conn_close", {},
                   {{"id", "c0-7"},
                    {"remote", "10.0.0.1:5000"},
                    {"bytes_in", uint64_t(12)},
                    {"delta", -3},
                    {"ok", true},
                    LogField::millis("duration_ms", 1234567),
                    {"user_agent", "curl/8 (x)"},
                    {"user", ""}}),
            "2026-01-02T03:04:05.678Z info  conn_close id=c0-7 remote=10.0.0.1:5000 "
            "bytes_in=12 delta=-3 ok=true duration_ms=1234.567 user_agent=\"curl/8 (x)\" "
            "user=\"\"\n");
}

TEST(LogRender, TextValuesCannotForgeLinesOrFields) {
  std::string line = render(LogFormat::text, LogLevel::info, "http_request", {},
                            {{"path", "/x\ninfo  fake=1"}, {"ua", "a=b"}});
  EXPECT_EQ(line,
            "2026-01-02T03:04:05.678Z info  http_request path=\"/x\\u000ainfo  fake=1\" "
            "ua=\"a=b\"\n");
}

TEST(LogRender, JsonHasTsLevelEventMsgAndTypedFields) {
  EXPECT_EQ(render(LogFormat::json, LogLevel::warn, "listen", "herald listening",
                   {{"http", "127.0.0.1:8080"},
                    {"loops", uint64_t(2)},
                    {"tls", false},
                    LogField::millis("duration_ms", 5)}),
            "{\"ts\":\"2026-01-02T03:04:05.678Z\",\"level\":\"warn\",\"event\":\"listen\","
            "\"msg\":\"herald listening\",\"http\":\"127.0.0.1:8080\",\"loops\":2,"
            "\"tls\":false,\"duration_ms\":0.005}\n");
}

TEST(LogRender, JsonPlainMessageHasNoEvent) {
  EXPECT_EQ(render(LogFormat::json, LogLevel::info, {}, "stopped", {}),
            "{\"ts\":\"2026-01-02T03:04:05.678Z\",\"level\":\"info\",\"msg\":\"stopped\"}\n");
}

TEST(LogRender, JsonEscapesClientBytes) {
  EXPECT_EQ(
      render(LogFormat::json, LogLevel::info, "http_request", {}, {{"user_agent", "ev\"il\xFF\n"}}),
      "{\"ts\":\"2026-01-02T03:04:05.678Z\",\"level\":\"info\",\"event\":\"http_request\","
      "\"user_agent\":\"ev\\\"il\xEF\xBF\xBD\\u000a\"}\n");
}

TEST(LogRender, LongLinesAreCutAndJsonStaysValid) {
  std::string big(kMaxLogLine * 2, 'x');
  std::string text = render(LogFormat::text, LogLevel::info, {}, big, {});
  EXPECT_EQ(text.size(), kMaxLogLine);
  EXPECT_EQ(text.back(), '\n');
  std::string json = render(LogFormat::json, LogLevel::info, "e", {}, {{"v", big}});
  EXPECT_EQ(json,
            "{\"ts\":\"2026-01-02T03:04:05.678Z\",\"level\":\"info\",\"event\":\"e\","
            "\"msg\":\"line too long, cut\"}\n");
}

TEST(LogFormatParse, OnlyTextAndJson) {
  LogFormat f;
  EXPECT_TRUE(parse_log_format("json", &f));
  EXPECT_EQ(f, LogFormat::json);
  EXPECT_TRUE(parse_log_format("text", &f));
  EXPECT_EQ(f, LogFormat::text);
  EXPECT_FALSE(parse_log_format("JSON", &f));
  EXPECT_FALSE(parse_log_format("", &f));
}

// A buffering thread whose stderr is a pipe nobody reads: the loop never blocks, lines past
// the bound are dropped and counted, and once the reader drains the pipe the rest and a
// log_dropped line arrive.
TEST(LogBuffer, BlockedStderrDropsAndCountsInsteadOfBlocking) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int saved = dup(2);
  ASSERT_GE(saved, 0);
  ASSERT_GE(dup2(fds[1], 2), 0);
  LogLevel old_level = log_level();
  set_log_level(LogLevel::info);
  log_buffer_thread();
  uint64_t dropped_before = log_lines_dropped();
  // Far more than the pipe (64 KiB) and the buffer (kLogBufferBytes) hold together.
  const size_t kLines = 3 * (kLogBufferBytes + 65536) / 100;
  for (size_t i = 0; i < kLines; ++i) {
    log_event(LogLevel::info, "test_line", {}, {{"i", uint64_t(i)}, {"pad", std::string(40, 'p')}});
    if (i % 100 == 0) log_flush();  // returns at once: the pipe is full
  }
  log_flush();
  uint64_t dropped = log_lines_dropped() - dropped_before;
  EXPECT_GT(dropped, 0u);
  // Drain the pipe, then flush what waited (the final flush writes everything).
  std::string got;
  char buf[65536];
  ASSERT_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  for (int round = 0; round < 100; ++round) {
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, size_t(n));
    log_flush();
  }
  log_flush(/*final=*/true);
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, size_t(n));
  dup2(saved, 2);
  close(saved);
  close(fds[0]);
  close(fds[1]);
  set_log_level(old_level);
  // Whole lines only, and the drop was said.
  EXPECT_EQ(got.back(), '\n');
  size_t lines = 0;
  for (char c : got) lines += c == '\n';
  EXPECT_EQ(lines + dropped, kLines + 1);  // + the log_dropped line
  EXPECT_NE(got.find("log lines dropped"), std::string::npos);
  EXPECT_NE(got.find("count=" + std::to_string(dropped)), std::string::npos);
}

}  // namespace
}  // namespace herald::base
