-- wrk script: every thread cycles through the URL paths listed (one a line) in $WRK_URL_FILE, each
-- thread from its own offset, and `done` prints one machine-readable line for run.js.
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local requests = {}
local next_index = 0

function init(args)
  for line in io.lines(os.getenv("WRK_URL_FILE")) do
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
    '"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d,"meanUs":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
