-- wrk script shared by the benchmarks (bench/wrk.js): every thread cycles through the request paths
-- listed (one a line) in $WRK_PATH_FILE, each thread from its own offset. Optional:
--   $WRK_TARGETS  "127.0.0.1:8081,127.0.0.1:8082": threads are spread round-robin over several
--                 servers with no proxy in between;
--   $WRK_DELAY_MS  a pause before each request of a connection, to model viewers who fetch one
--                 segment per segment duration instead of as fast as they can;
--   $WRK_CLIENT_ADDRESSES  N > 0: requests carry `X-Forwarded-For: 10.x.y.z`, cycling through N
--                 distinct addresses, as a reverse proxy in front of the server would say for N
--                 clients (a per-client limit then sees N clients, not one 127.0.0.1). The requests
--                 are formatted once in init(), so the header costs wrk nothing per request.
-- `done` prints one machine-readable line for wrk.js.
local thread_count = 0

function setup(thread)
  local targets_env = os.getenv("WRK_TARGETS")
  if targets_env and #targets_env > 0 then
    local targets = {}
    for target in string.gmatch(targets_env, "[^,]+") do targets[#targets + 1] = target end
    local host, port = string.match(targets[thread_count % #targets + 1], "^(.+):(%d+)$")
    thread.addr = wrk.lookup(host, port)[1]
  end
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local requests = {}
local next_index = 0
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0") or 0
local client_addresses = tonumber(os.getenv("WRK_CLIENT_ADDRESSES") or "0") or 0

function init(args)
  local paths = {}
  for line in io.lines(os.getenv("WRK_PATH_FILE")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  if client_addresses > 0 then
    -- Path i mod #paths from address i mod N, over a whole number of passes through the paths.
    local count = math.ceil(math.max(#paths, client_addresses) / #paths) * #paths
    for i = 0, count - 1 do
      local a = i % client_addresses
      local address = string.format("10.%d.%d.%d", math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256)
      requests[#requests + 1] = wrk.format("GET", paths[i % #paths + 1], { ["X-Forwarded-For"] = address })
    end
  else
    for _, p in ipairs(paths) do requests[#requests + 1] = wrk.format("GET", p) end
  end
  next_index = ((thread_index or 0) * 7) % #requests
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, _requests)
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
