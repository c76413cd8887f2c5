#include "cluster/scripts.h"

#include <openssl/sha.h>

#include <array>
#include <string>

namespace herald::cluster {

namespace {

// Offsets are formatted with %d: Lua 5.1 would print a number past 1e14 in exponent form.
constexpr std::string_view kPublish = R"lua(
local e = redis.call('HGET', KEYS[1], 'e')
if not e then
  e = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', e, 'o', '0')
end
local off = string.format('%d', redis.call('HINCRBY', KEYS[1], 'o', 1))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if tonumber(ARGV[3]) > 0 and tonumber(ARGV[4]) > 0 then
  local t = redis.call('TIME')
  local ms = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], off .. '-0', 'd', ARGV[2], 't', ms)
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
if ARGV[7] == '1' then
  redis.call('SPUBLISH', ARGV[6], e .. ':' .. off .. ' ' .. ARGV[2])
else
  redis.call('PUBLISH', ARGV[6], e .. ':' .. off .. ' ' .. ARGV[2])
end
return {e, off}
)lua";

// The range starts after the cursor with an exclusive bound "(N-0": entry IDs are "N-0", so
// it is the entry N+1 onwards, without arithmetic on a Lua number.
constexpr std::string_view kRead = R"lua(
local e = redis.call('HGET', KEYS[1], 'e')
if not e then
  e = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', e, 'o', '0')
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local top = redis.call('HGET', KEYS[1], 'o')
local t = redis.call('TIME')
local out = {e, top, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)}
local count = tonumber(ARGV[5])
if count == 0 then return out end
local range
if ARGV[3] == '' then
  if count < 0 then
    range = redis.call('XREVRANGE', KEYS[2], '+', '-')
  else
    range = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', count)
  end
else
  if ARGV[3] ~= e or tonumber(ARGV[4]) >= tonumber(top) then return out end
  if count < 0 then
    range = redis.call('XRANGE', KEYS[2], '(' .. ARGV[4] .. '-0', '+')
  else
    range = redis.call('XRANGE', KEYS[2], '(' .. ARGV[4] .. '-0', '+', 'COUNT', count)
  end
end
for i = 1, #range do
  local fields = range[i][2]
  local d, ts = false, false
  for j = 1, #fields, 2 do
    if fields[j] == 'd' then d = fields[j + 1] elseif fields[j] == 't' then ts = fields[j + 1] end
  end
  out[#out + 1] = range[i][1]
  out[#out + 1] = d
  out[#out + 1] = ts
end
return out
)lua";

std::string sha1_hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

std::string_view script_source(Script s) {
  return s == Script::publish ? kPublish : kRead;
}

std::string_view script_sha(Script s) {
  static const std::array<std::string, size_t(Script::count)> kShas = {sha1_hex(kPublish),
                                                                       sha1_hex(kRead)};
  return kShas[size_t(s)];
}

}  // namespace herald::cluster
