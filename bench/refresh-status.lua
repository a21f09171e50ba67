-- Copyright (c) the Gatehouse authors
--
-- wrk script for bench/refresh-status.sh: cycles through the pending payments written by
-- `gatehouse-bench refresh-server --urls-file FILE` (lines `/payment/refresh-status/<id>?t=<token>`),
-- one payment per request, round robin, each thread starting at its own offset.
--
--   wrk -t2 -c64 -d15s --latency -s bench/refresh-status.lua http://127.0.0.1:PORT -- FILE MODE
--
-- MODE:
--   gateway  GET /payment/refresh-status/<id>?t=<token>           (a renter's first poll: token in the query)
--   cookie   GET /payment/refresh-status/<id>, Cookie gh_pt_<id>=<token>   (later polls from the page)
--   bare     GET /bare/<id>?t=<token>   (the bare Hummingbird twin; same ids, same request line length)
--
-- Requests are formatted once in init(); request() only picks the next one.

local threads = 0

function setup(thread)
   thread:set("thread_index", threads)
   threads = threads + 1
end

local requests = {}
local position = 0

function init(args)
   local file, mode = args[1], args[2] or "gateway"
   if not file then error("usage: -- URLS_FILE [gateway|cookie|bare]") end
   if mode ~= "gateway" and mode ~= "cookie" and mode ~= "bare" then
      error("mode must be gateway, cookie or bare")
   end
   local line_number = 0
   for line in io.lines(file) do
      line_number = line_number + 1
      local id, token = line:match("^/payment/refresh%-status/(%d+)%?t=(%w+)$")
      -- The line holds a token: name the line, never print it.
      if not id then error(file .. ":" .. line_number .. " is not /payment/refresh-status/<id>?t=<token>") end
      local request
      if mode == "gateway" then
         request = wrk.format("GET", line, { ["Host"] = wrk.host })
      elseif mode == "cookie" then
         request = wrk.format("GET", "/payment/refresh-status/" .. id,
            { ["Host"] = wrk.host, ["Cookie"] = "gh_pt_" .. id .. "=" .. token })
      else
         request = wrk.format("GET", "/bare/" .. id .. "?t=" .. token, { ["Host"] = wrk.host })
      end
      requests[#requests + 1] = request
   end
   if #requests == 0 then error(file .. " has no lines") end
   -- Spread the threads over the list so they do not poll the same payment in lock step.
   position = ((thread_index or 0) * 389) % #requests
end

function request()
   position = position % #requests + 1
   return requests[position]
end
