#include "cluster/reply.h"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include <cstdlib>

namespace herald::cluster {

namespace {

// hiredis calls these while it parses. A child lives inside its parent's `elements` (sized
// when the array header is read, never resized), so only the root is allocated and only the
// root is ever freed (hiredis frees r->reply alone on errors and in redisReaderFree).
Reply* place(const redisReadTask* task) {
  if (task->parent) {
    auto* parent = static_cast<Reply*>(task->parent->obj);
    return &parent->elements[size_t(task->idx)];
  }
  return new Reply;
}

void* create_string(const redisReadTask* task, char* str, size_t len) {
  Reply* r = place(task);
  switch (task->type) {
    case REDIS_REPLY_ERROR:
      r->type = Reply::Type::error;
      break;
    case REDIS_REPLY_STATUS:
      r->type = Reply::Type::status;
      break;
    default:
      r->type = Reply::Type::string;
      break;
  }
  r->str.assign(str, len);
  return r;
}

void* create_array(const redisReadTask* task, int elements) {
  // Returning nullptr makes hiredis report an out-of-memory error: our bound, not a crash.
  // The budget covers the whole reply, so nesting cannot multiply it.
  auto* budget = static_cast<size_t*>(task->privdata);
  if (elements < 0 || size_t(elements) > *budget) return nullptr;
  *budget -= size_t(elements);
  Reply* r = place(task);
  r->type = Reply::Type::array;
  r->elements.resize(size_t(elements));
  return r;
}

void* create_integer(const redisReadTask* task, long long value) {
  Reply* r = place(task);
  r->type = Reply::Type::integer;
  r->integer = value;
  return r;
}

void* create_nil(const redisReadTask* task) {
  Reply* r = place(task);
  r->type = Reply::Type::nil;
  return r;
}

void free_object(void* obj) {
  delete static_cast<Reply*>(obj);
}

redisReplyObjectFunctions kFunctions = {create_string, create_array, create_integer, create_nil,
                                        free_object};

}  // namespace

std::string_view Reply::error_code() const {
  if (type != Type::error) return {};
  std::string_view s = str;
  return s.substr(0, s.find(' '));
}

std::string Reply::describe() const {
  constexpr size_t kShown = 120;
  static constexpr const char* kNames[] = {"string", "array", "integer", "nil", "status", "error"};
  std::string out = kNames[size_t(type)];
  if (type == Type::array) return out + "[" + std::to_string(elements.size()) + "]";
  if (type == Type::integer) return out + " " + std::to_string(integer);
  if (type == Type::nil) return out;
  out += " \"";
  out.append(str, 0, kShown);
  if (str.size() > kShown) out += "...";
  return out + "\"";
}

ReplyReader::ReplyReader(size_t max_elements)
    : r_(redisReaderCreateWithFunctions(&kFunctions)),
      max_elements_(max_elements),
      budget_(max_elements) {
  if (!r_) std::abort();    // out of memory at construction
  r_->privdata = &budget_;  // each task carries it to create_array
}

ReplyReader::~ReplyReader() {
  redisReaderFree(r_);
}

void ReplyReader::feed(std::string_view bytes) {
  if (bytes.empty() || too_large_) return;
  if (buffered() + bytes.size() > kMaxReplyBytes) {
    too_large_ = true;
    return;
  }
  redisReaderFeed(r_, bytes.data(), bytes.size());
}

ReplyReader::Status ReplyReader::next(std::unique_ptr<Reply>& out) {
  out.reset();
  if (too_large_) return Status::error;
  void* obj = nullptr;
  if (redisReaderGetReply(r_, &obj) != REDIS_OK) return Status::error;
  if (!obj) return Status::need_more;
  out.reset(static_cast<Reply*>(obj));
  budget_ = max_elements_;  // the next reply has its own budget
  return Status::ok;
}

std::string_view ReplyReader::error_text() const {
  if (too_large_) return "reply larger than the limit";
  return r_->err ? std::string_view(r_->errstr) : std::string_view();
}

size_t ReplyReader::buffered() const {
  return r_->len - r_->pos;
}

void format_command(std::string& out, std::span<const std::string_view> args) {
  // hiredis's formatter takes C arrays; a command has at most a dozen arguments.
  constexpr size_t kMaxArgs = 32;
  const char* argv[kMaxArgs];
  size_t argvlen[kMaxArgs];
  if (args.size() > kMaxArgs) std::abort();  // an invariant: our commands are short
  size_t n = args.size();
  for (size_t i = 0; i < n; ++i) {
    argv[i] = args[i].data();
    argvlen[i] = args[i].size();
  }
  char* cmd = nullptr;
  int len = redisFormatCommandArgv(&cmd, int(n), argv, argvlen);
  if (len < 0 || !cmd) std::abort();  // only fails on out of memory
  out.append(cmd, size_t(len));
  redisFreeCommand(cmd);
}

}  // namespace herald::cluster
