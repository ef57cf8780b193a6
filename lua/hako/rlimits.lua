-- hako.rlimits: --rlimit NAME=SOFT[:HARD] -> the resource limits the command gets. Pure.
--
-- Names and forms as prlimit(1) takes them: "nofile=64" sets both limits, "nofile=64:128"
-- each, "nofile=64:" the soft one only, "nofile=:128" the hard one only; a value is a
-- number or "unlimited" (or "infinity"). The policy keeps them normalized
-- ("nofile=64:128", "core=0:", "stack=:unlimited") in the order given, a later one for
-- the same name replacing the earlier.

local failure = require "hako.failure"

local M = {}

-- prlimit(1)'s names -> hako.core's RLIMIT_* constant names.
M.NAMES = {
  as = "RLIMIT_AS", core = "RLIMIT_CORE", cpu = "RLIMIT_CPU", data = "RLIMIT_DATA",
  fsize = "RLIMIT_FSIZE", locks = "RLIMIT_LOCKS", memlock = "RLIMIT_MEMLOCK",
  msgqueue = "RLIMIT_MSGQUEUE", nice = "RLIMIT_NICE", nofile = "RLIMIT_NOFILE",
  nproc = "RLIMIT_NPROC", rss = "RLIMIT_RSS", rtprio = "RLIMIT_RTPRIO", rttime = "RLIMIT_RTTIME",
  sigpending = "RLIMIT_SIGPENDING", stack = "RLIMIT_STACK",
}

M.UNLIMITED = -1 -- hako.core's word for RLIM_INFINITY

local function bad(text, why)
  failure.raise("--rlimit " .. text, why)
end

local function value(text, word)
  if word == "" then return nil end
  if word == "unlimited" or word == "infinity" then return M.UNLIMITED end
  local n = word:match("^%d+$") and #word <= 18 and math.tointeger(tonumber(word))
  if not n then bad(text, "expected a number or unlimited, got " .. word) end
  return n
end

-- parse(text) -> { name, soft, hard } (soft or hard nil: left as it is), or a failure.
function M.parse(text)
  if type(text) ~= "string" then bad(tostring(text), "expected NAME=SOFT[:HARD]") end
  local name, limits = text:match("^(%l+)=(.*)$")
  if not name then bad(text, "expected NAME=SOFT[:HARD]") end
  if not M.NAMES[name] then bad(text, "unknown resource " .. name .. " (names as in prlimit(1))") end
  local soft, colon, hard = limits:match("^([^:]*)(:?)([^:]*)$")
  if not soft or (soft == "" and hard == "") then bad(text, "expected NAME=SOFT[:HARD]") end
  local r = { name = name, soft = value(text, soft), hard = value(text, hard) }
  if colon == "" then r.hard = r.soft end
  if r.soft and r.hard and r.hard ~= M.UNLIMITED and (r.soft == M.UNLIMITED or r.soft > r.hard) then
    bad(text, "the soft limit is above the hard one")
  end
  return r
end

local function word(v)
  if v == nil then return "" end
  return v == M.UNLIMITED and "unlimited" or tostring(v)
end

-- format({ name, soft, hard }) -> the normalized text.
function M.format(r)
  return r.name .. "=" .. word(r.soft) .. ":" .. word(r.hard)
end

-- list(given) -> the normalized texts: given is a list of texts, or a map name -> "S[:H]".
function M.list(given)
  if given == nil then return {} end
  if type(given) ~= "table" then bad(tostring(given), "expected a list of NAME=SOFT[:HARD]") end
  local texts = { table.unpack(given) }
  local names = {}
  for k in pairs(given) do
    if type(k) == "string" then names[#names + 1] = k end
  end
  table.sort(names)
  for _, k in ipairs(names) do texts[#texts + 1] = k .. "=" .. tostring(given[k]) end
  local out, at = {}, {}
  for _, text in ipairs(texts) do
    local r = M.parse(text)
    out[at[r.name] or #out + 1] = M.format(r)
    at[r.name] = at[r.name] or #out
  end
  return out
end

return M
