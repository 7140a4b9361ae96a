-- wrk script for `make bench` (driven by tests/bench/run): one file for every
-- scenario, chosen by BENCH_SCENARIO.
--
--   static   the request given on wrk's command line, unchanged (the
--            hello-world ceiling, GET /status, GET /healthz)
--   guild    GET /api/v6/admin/guilds/<id>, cycling over the seeded guilds
--   search   GET /api/v6/admin/users?username=bu00NN, NN cycling over 00..99
--            (each matches 100 of the first 10 000 seeded users: bu00NN00..99)
--   patch    PATCH /api/v6/admin/users/<id> {"flags": F}, cycling over the
--            seeded users; F is a value that user never held (the run number
--            BENCH_RUN in the high bits, the pass over the users below, the
--            staff bit always clear), because a PATCH that does not change
--            the flags writes nothing and would not measure the write path
--   mute     POST /api/v1/users/<name>/admin/mute {"duration":1} and
--            .../unmute, alternating; each unmute is for the user muted
--            MUTE_LAG pairs earlier, so with any number of requests in
--            flight no mute meets an active one (that would be a 400)
--
-- Environment: BENCH_SCENARIO, BENCH_IDS (the seed's output directory),
-- BENCH_TOKEN (chat staff token), BENCH_GAME_TOKEN (game bearer token),
-- BENCH_RUN (1, 2, ... one per wrk run of patch), BENCH_WRK_THREADS (wrk's -t).
-- Targets are split between wrk's threads (thread t takes t, t+T, t+2T...)
-- exactly as tests/bench/db_ceiling.c splits them between its threads.
--
-- done() prints one line for the driver:
--   WRK_RESULT requests=N duration_us=N p50_us=N p99_us=N mean_us=N max_us=N
--              connect=N read=N write=N status=N timeout=N

local scenario = os.getenv("BENCH_SCENARIO") or "static"
local ids_dir = os.getenv("BENCH_IDS") or "."
local threads = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
local run = tonumber(os.getenv("BENCH_RUN") or "1")

local SEARCH_PREFIXES = 100
local MUTE_LAG = 64

-- setup() runs in the main Lua state once per thread, before the thread's init().
local next_tid = 0
function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
end

-- The first field (and the second) of each line of a file of the seed.
local function read_ids(name)
   local first, second = {}, {}
   local f = assert(io.open(ids_dir .. "/" .. name, "r"))
   for line in f:lines() do
      local a, b = line:match("^(%S+)%s*(%S*)")
      if a then
         first[#first + 1] = a
         second[#second + 1] = b
      end
   end
   f:close()
   assert(#first > 0, name .. " is empty")
   return first, second
end

local k = 0 -- requests made by this thread
local headers = {}
local users, guilds, game_names

function init(args)
   tid = tid or 0
   if scenario == "guild" or scenario == "search" or scenario == "patch" then
      headers["Authorization"] = assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN")
   elseif scenario == "mute" then
      headers["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_GAME_TOKEN"), "BENCH_GAME_TOKEN")
   end
   if scenario == "patch" or scenario == "mute" then
      headers["Content-Type"] = "application/json"
   end
   if scenario == "guild" then
      guilds = read_ids("guilds.txt")
   elseif scenario == "patch" then
      users = read_ids("users.txt")
   elseif scenario == "mute" then
      local _
      _, game_names = read_ids("game_users.txt")
   end
end

local builders = {
   guild = function()
      local id = guilds[(tid + threads * k) % #guilds + 1]
      return wrk.format("GET", "/api/v6/admin/guilds/" .. id, headers)
   end,

   search = function()
      local prefix = string.format("bu%04d", (tid + threads * k) % SEARCH_PREFIXES)
      return wrk.format("GET", "/api/v6/admin/users?username=" .. prefix, headers)
   end,

   patch = function()
      local per_thread = math.floor(#users / threads)
      local id = users[tid + threads * (k % per_thread) + 1]
      local pass = math.floor(k / per_thread) % 8192
      local flags = (run * 8192 + pass) * 2
      return wrk.format("PATCH", "/api/v6/admin/users/" .. id, headers,
                        string.format('{"flags":%d}', flags))
   end,

   mute = function()
      local per_thread = math.floor(#game_names / threads)
      local pair = math.floor(k / 2)
      if k % 2 == 0 then
         local name = game_names[tid + threads * (pair % per_thread) + 1]
         return wrk.format("POST", "/api/v1/users/" .. name .. "/admin/mute", headers,
                           '{"duration":1}')
      end
      local slot = (pair - MUTE_LAG) % per_thread -- Lua's % is never negative here
      local name = game_names[tid + threads * slot + 1]
      return wrk.format("POST", "/api/v1/users/" .. name .. "/admin/unmute", headers)
   end,
}

-- Defining request() makes wrk build every request in Lua; the static
-- scenarios leave it undefined so wrk sends its one pre-built request.
local build = builders[scenario]
if build then
   request = function()
      local r = build()
      k = k + 1
      return r
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRK_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%d max_us=%d " ..
      "connect=%d read=%d write=%d status=%d timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      math.floor(latency.mean), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
