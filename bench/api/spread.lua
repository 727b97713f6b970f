-- wrk script for bench/api/run.js: threads are spread round-robin over the API processes listed in
-- $WRK_TARGETS ("127.0.0.1:8081,127.0.0.1:8082"), so two processes each get half the threads and
-- connections with no proxy in between; every thread cycles through the request paths listed (one a
-- line) in $WRK_PATH_FILE from its own offset. `done` prints one machine-readable line for run.js.
local thread_count = 0

function setup(thread)
  local targets = {}
  for target in string.gmatch(os.getenv("WRK_TARGETS"), "[^,]+") do targets[#targets + 1] = target end
  local host, port = string.match(targets[thread_count % #targets + 1], "^(.+):(%d+)$")
  thread.addr = wrk.lookup(host, port)[1]
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local requests = {}
local next_index = 0

function init(args)
  for line in io.lines(os.getenv("WRK_PATH_FILE")) do
    if #line > 0 then requests[#requests + 1] = wrk.format("GET", line) end
  end
  next_index = ((thread_index or 0) * 7) % #requests
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function done(summary, latency, _requests)
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
