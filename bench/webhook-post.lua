-- Copyright (c) the Gatehouse authors
--
-- wrk script for `gatehouse-bench webhook-ingest --client wrk`: posts every webhook of a file exactly once, as payOS
-- would, and stops. The file has one webhook per line, `<path>\t<body>` (the owner's /webhook/payos/<key> and the
-- signed JSON body); thread i of N posts lines i, i+N, i+2N, … so the threads share the file without overlap.
--
--   wrk -t2 -c16 -d600s -s bench/webhook-post.lua http://127.0.0.1:PORT -- FILE THREADS
--
-- A thread stops once it has read a 200 for every one of its webhooks, and writes FILE.done.<thread>; wrk's main thread
-- only wakes at the end of -d, so the caller interrupts wrk (SIGINT) once every thread has written its file. The rate's
-- time is the threads' own: from the first webhook sent to the last 200 read (CLOCK_MONOTONIC through LuaJIT's ffi).
-- A connection that asks for a request after the
-- thread's last webhook was sent gets `GET /-/bench-filler` instead (404 at once, no work, never counted as a webhook):
-- at most one per connection, at the very end. Any other status fails the run (reported by done()).
--
-- done() prints one line the bench parses:
--   webhooks=<200s> other=<unexpected answers> extra=<end-of-run 404s> seconds=<first sent to last 200> p50_us=… p99_us=… max_us=…
-- (wrk's latency covers every request, the few end-of-run 404s included).

local ffi = require("ffi")
ffi.cdef [[
   typedef struct { long tv_sec; long tv_nsec; } gh_timespec;
   int clock_gettime(int clock, gh_timespec *now);
]]
local timespec = ffi.new("gh_timespec")
local function now_us()
   ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC: one clock for every thread
   return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

local requests = {}
local next_request = 1
local filler
acknowledged = 0
other = 0
extra = 0
started_us = -1
finished_us = -1

-- wrk runs init() before setup() has numbered the threads, so the thread's share is read on its first request.
local file, count

function init(args)
   file, count = args[1], tonumber(args[2])
   if not file or not count or count < 1 then error("usage: -- FILE THREADS") end
   filler = wrk.format("GET", "/-/bench-filler", { ["Host"] = wrk.host })
end

local function load()
   local line_number = 0
   for line in io.lines(file) do
      if line_number % count == thread_index then
         local path, body = line:match("^(/webhook/payos/[^\t]+)\t(.+)$")
         if not path then error(file .. ":" .. (line_number + 1) .. " is not <path>\\t<body>") end
         table.insert(requests, wrk.format("POST", path, { ["Host"] = wrk.host, ["Content-Type"] = "application/json" }, body))
      end
      line_number = line_number + 1
   end
   if #requests == 0 then error("thread " .. thread_index .. " has no webhook to post") end
end

-- wrk calls thread 0's request() once before it connects, to check the request (script_verify_request); that one
-- is never sent, so it gets the filler rather than a webhook.
local verified = false

function request()
   if #requests == 0 then load() end
   if thread_index == 0 and not verified then
      verified = true
      return filler
   end
   local request = requests[next_request]
   if request then
      if next_request == 1 then started_us = now_us() end
      next_request = next_request + 1
      return request
   end
   return filler
end

function response(status, headers, body)
   if status == 200 then
      acknowledged = acknowledged + 1
   elseif status == 404 then
      extra = extra + 1
   else
      other = other + 1
   end
   if acknowledged + other >= #requests and finished_us < 0 then
      finished_us = now_us()
      local marker = io.open(file .. ".done." .. thread_index, "w")
      marker:write(tostring(acknowledged), "\n")
      marker:close()
      wrk.thread:stop()
   end
end

function done(summary, latency, _)
   local ok, bad, filled, first, last = 0, 0, 0, nil, nil
   for _, thread in ipairs(threads) do
      ok = ok + thread:get("acknowledged")
      bad = bad + thread:get("other")
      filled = filled + thread:get("extra")
      local started, finished = thread:get("started_us"), thread:get("finished_us")
      if started >= 0 and (first == nil or started < first) then first = started end
      if last == nil or finished > last then last = finished end
   end
   local seconds = (first and last and last >= first) and (last - first) / 1e6 or summary.duration / 1e6
   io.write(string.format("webhooks=%d other=%d extra=%d seconds=%.3f p50_us=%d p99_us=%d max_us=%d errors=%d\n",
      ok, bad, filled, seconds, latency:percentile(50), latency:percentile(99), latency.max,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
