-- bench/http/pipeline.lua — HTTP/1.1 pipelining for wrk: every write carries DEPTH
-- requests back to back, and wrk sends the next batch once all DEPTH responses are in.
-- (wrk counts the requests in the string returned by request() and expects that many
-- responses, so its requests/sec counts individual requests, not batches.)
--
-- Usage: wrk -t1 -c50 -d10s -s bench/http/pipeline.lua http://127.0.0.1:PORT/health -- DEPTH
--        DEPTH defaults to 16; an optional second argument overrides the path.

local batch

init = function(args)
  local depth = tonumber(args[1]) or 16
  local path = args[2] or wrk.path
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format("GET", path)
  end
  batch = table.concat(requests)
end

request = function()
  return batch
end
