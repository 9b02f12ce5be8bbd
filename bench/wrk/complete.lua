-- Scenario 2 (the write path): POST /v1/avatar-drafts/{id}/complete, one fresh draft per request.
-- BENCH_DRAFTS names a file of draft ids (one a line) made by bench/run.py before the run; each
-- wrk thread takes every n-th id so no draft is completed twice while ids last (after that the
-- requests are idempotent replays, 200 instead of 201: run.py sizes the file to outlast the run).
local ids = {}
for line in io.lines(os.getenv("BENCH_DRAFTS")) do ids[#ids + 1] = line end
local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  thread:set("nthreads", tonumber(os.getenv("BENCH_THREADS") or "2"))
  counter = counter + 1
  table.insert(threads, thread)
end

local n = 0
function init(args)
  n = 0
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
end

function request()
  local i = ((tid - 1) + n * nthreads) % #ids + 1
  n = n + 1
  return wrk.format("POST", "/v1/avatar-drafts/" .. ids[i] .. "/complete")
end

dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
