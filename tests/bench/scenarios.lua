-- wrk script for `make bench` (driven by tests/bench/run): one file for every
-- scenario, chosen by BENCH_SCENARIO.
--
--   static         the request given on wrk's command line, unchanged (the
--                  hello-world ceiling, GET /livez, GET /healthz)
--   me             GET /api/v6/users/@me with the token of a sampled user
--                  (sample.txt: every 50th seeded user, spread over them all)
--   guild          GET /api/v6/admin/guilds/<id>, over the seeded guilds
--   patch          PATCH /api/v6/admin/users/<id> {"flags": F}, over the
--                  sampled users; F is a value that user never held (the run
--                  number BENCH_RUN in the high bits, the pass over the users
--                  below, the staff bit always clear), because a PATCH that
--                  does not change the flags writes nothing and would not
--                  measure the write path
--   mute           POST /api/v1/users/<name>/admin/mute {"duration":1} and
--                  .../unmute, alternating; each unmute is for the user muted
--                  MUTE_LAG pairs earlier, so with any number of requests in
--                  flight no mute meets an active one (that would be a 400)
--   register       POST /api/v6/auth/register_inv {username, email, password,
--                  invcode}: a fresh r<run>x<thread>x<k> on the unlimited
--                  invite of invites.txt (each one costs an Argon2id hash)
--   search_common  GET /api/v6/admin/users?username=bu0 (every user up to
--                  bu099999 matches: thousands)
--   search_rare    ...?username=bu00NN42, NN over 00..99 (one user each)
--   search_short   ...?username=D, D over 1..9 (a needle without a trigram)
--
-- and, one request at a time, what authentication costs a client:
--   login          POST /api/v6/auth/login with BENCH_LOGIN_EMAIL and
--                  BENCH_LOGIN_PASSWORD (200)
--   login_wrong    the same email with another password (400)
--   login_unknown  an email nobody has (400)
--   grant          POST /api/oauth/token, password grant for BENCH_GAME_NAME
--                  with BENCH_GAME_PASSWORD_HEX (200)
--   authorized     GET /api/v1/info/authorized with BENCH_GAME_TOKEN
--   me_token       GET /api/v6/users/@me with BENCH_TOKEN
--
-- Requests are numbered j = t + T * k (thread t of T, its k-th request), as
-- tests/bench/db_ceiling.c numbers its processes' operations, and the j-th
-- goes to item (j * 7919) mod n of a list of n: consecutive requests land
-- far apart in the data set, and the ceiling makes the same calls.
--
-- Environment: BENCH_SCENARIO, BENCH_IDS (the seed's output directory),
-- BENCH_TOKEN (chat staff token), BENCH_GAME_TOKEN (game bearer token),
-- BENCH_RUN (1, 2, ... one per wrk run), BENCH_WRK_THREADS (wrk's -t), and
-- for the authentication scenarios the credentials named above.
--
-- done() prints one line for the driver:
--   WRK_RESULT requests=N duration_us=N p50_us=N p99_us=N mean_us=N max_us=N
--              connect=N read=N write=N status=N timeout=N

local scenario = os.getenv("BENCH_SCENARIO") or "static"
local ids_dir = os.getenv("BENCH_IDS") or "."
local threads = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
local run = tonumber(os.getenv("BENCH_RUN") or "1")

local STRIDE = 7919
local RARE_NAMES = 100
local MUTE_LAG = 64
local REGISTER_PASSWORD = "bench-register-password"

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

-- 1-based index of the item of a list of n that request j goes to.
local function pick(j, n)
   local stride = (n % STRIDE == 0) and 1 or STRIDE
   return (j * stride) % n + 1
end

local k = 0 -- requests made by this thread
local headers = {}
local sample_ids, sample_tokens, guilds, game_names, invite

local staff = { guild = true, patch = true, search_common = true, search_rare = true,
                search_short = true, me_token = true }
local posts_json = { patch = true, mute = true, register = true, login = true, login_wrong = true,
                     login_unknown = true, grant = true }

function init(args)
   tid = tid or 0
   if staff[scenario] then
      headers["Authorization"] = assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN")
   elseif scenario == "mute" or scenario == "authorized" then
      headers["Authorization"] = "Bearer " .. assert(os.getenv("BENCH_GAME_TOKEN"), "BENCH_GAME_TOKEN")
   end
   if posts_json[scenario] then
      headers["Content-Type"] = "application/json"
   end
   if scenario == "me" or scenario == "patch" then
      sample_ids, sample_tokens = read_ids("sample.txt")
   elseif scenario == "guild" then
      guilds = read_ids("guilds.txt")
   elseif scenario == "mute" then
      local _
      _, game_names = read_ids("game_users.txt")
   elseif scenario == "register" then
      local codes = read_ids("invites.txt")
      invite = codes[#codes]
   end
end

local function login(email, password)
   return wrk.format("POST", "/api/v6/auth/login", headers,
                     string.format('{"email":"%s","password":"%s"}', email, password))
end

local function search(needle)
   return wrk.format("GET", "/api/v6/admin/users?username=" .. needle, headers)
end

local builders = {
   me = function(j)
      local h = { Authorization = sample_tokens[pick(j, #sample_tokens)] }
      return wrk.format("GET", "/api/v6/users/@me", h)
   end,

   guild = function(j)
      return wrk.format("GET", "/api/v6/admin/guilds/" .. guilds[pick(j, #guilds)], headers)
   end,

   patch = function()
      local per_thread = math.floor(#sample_ids / threads)
      local j = tid + threads * (k % per_thread)
      local pass = math.floor(k / per_thread) % 8192
      local flags = (run * 8192 + pass) * 2
      return wrk.format("PATCH", "/api/v6/admin/users/" .. sample_ids[pick(j, #sample_ids)],
                        headers, string.format('{"flags":%d}', flags))
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

   register = function()
      local name = string.format("r%dx%dx%d", run, tid, k)
      return wrk.format("POST", "/api/v6/auth/register_inv", headers, string.format(
         '{"username":"%s","email":"%s@bench.invalid","password":"%s","invcode":"%s"}',
         name, name, REGISTER_PASSWORD, invite))
   end,

   search_common = function()
      return search("bu0")
   end,

   search_rare = function(j)
      return search(string.format("bu00%02d42", j % RARE_NAMES))
   end,

   search_short = function(j)
      return search(tostring(1 + j % 9))
   end,

   login = function()
      return login(os.getenv("BENCH_LOGIN_EMAIL"), os.getenv("BENCH_LOGIN_PASSWORD"))
   end,

   login_wrong = function()
      return login(os.getenv("BENCH_LOGIN_EMAIL"), "not the password")
   end,

   login_unknown = function()
      return login("nobody-at-all@bench.invalid", os.getenv("BENCH_LOGIN_PASSWORD"))
   end,

   grant = function()
      return wrk.format("POST", "/api/oauth/token", headers, string.format(
         '{"grant_type":"password","username":"%s","password":"%s"}',
         os.getenv("BENCH_GAME_NAME"), os.getenv("BENCH_GAME_PASSWORD_HEX")))
   end,

   authorized = function()
      return wrk.format("GET", "/api/v1/info/authorized", headers)
   end,

   me_token = function()
      return wrk.format("GET", "/api/v6/users/@me", headers)
   end,
}

-- Defining request() makes wrk build every request in Lua; the static
-- scenarios leave it undefined so wrk sends its one pre-built request.
local build = builders[scenario]
if build then
   request = function()
      local r = build(tid + threads * k)
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
