-- spec/fuzz/text_targets.lua: the parsers of text hako reads from files others write:
-- the sandbox's passwd and group (its owner writes them), records (the owner of a
-- rootless sandbox writes its own, and root's hako-enter reads them), /proc/PID/stat
-- (a process inside names itself), /etc/subuid and /etc/subgid, and mount specs.
--
-- A target's run(input) returns nil when the parser's answer is right, else what is
-- wrong with it; a hako.failure raised is a clean refusal. Each checks more than "no
-- crash": what a parser accepts must be what hako can use (ids in range, destinations
-- clean, a record that reads back the same).

local corpus = require "fuzz.corpus"
local idmap = require "hako.idmap"
local mounts = require "hako.mounts"
local record = require "hako.record"
local users = require "hako.users"

local M = {}

local function is_id(n)
  return math.type(n) == "integer" and n >= 0 and n <= users.MAX_ID
end

local function one_line(text)
  return type(text) == "string" and not text:find("\n")
end

-- equal(a, b) -> whether two plain values are the same, deeply.
local function equal(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not equal(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end
M.equal = equal

local function identity_problem(id)
  if not is_id(id.uid) or not is_id(id.gid) then
    return "ids out of range: " .. tostring(id.uid) .. " " .. tostring(id.gid)
  end
  for _, g in ipairs(id.groups) do
    if not is_id(g) then return "group out of range: " .. tostring(g) end
  end
end

-- Resolve some names and numbers the files give, and a few they do not: each must give
-- ids in range or a clean failure.
local function resolve_all(passwd_text, group_text, names, groups)
  for _, user in ipairs(names) do
    for _, group in ipairs(groups) do
      local ok, id = pcall(users.resolve, user, group, passwd_text, group_text)
      if not ok then error(id, 0) end
      local problem = identity_problem(id)
      if problem then return problem end
    end
  end
end

local function first_fields(text, limit)
  local list = {}
  for line in text:gmatch("[^\n]+") do
    local field = line:match("^([^:]*)")
    if #list < limit then list[#list + 1] = field end
  end
  return list
end

local function safely(f, ...)
  local ok, err = pcall(f, ...)
  if ok then return err end
  if require("hako.failure").is(err) then return nil end
  error(err, 0)
end

-- The other file of the pair, fixed: one with members, odd lines and ids at the ends.
local PASSWD, GROUP = corpus.text("passwd", "odd"), corpus.text("group", "odd")

local PASSWD_TOKENS = { ":x:", "::", ":0:0:", "/bin/sh", "/home/", "root", "+", "#", ":4294967294:",
  ":4294967295:", ":-1:", ":1e3:", ":0x10:", ":00:" }

M.passwd = {
  name = "passwd",
  seeds = corpus.texts("passwd"),
  tokens = PASSWD_TOKENS,
  run = function(text)
    local entries = users.passwd(text)
    for _, e in ipairs(entries) do
      if not is_id(e.uid) or not is_id(e.gid) then return "passwd entry with ids out of range" end
      if not one_line(e.name) or e.name:find(":") or not one_line(e.home) then
        return "passwd field with a separator"
      end
    end
    local names = first_fields(text, 2)
    names[#names + 1] = "4294967295"
    return safely(resolve_all, text, GROUP, names, { false })
      or safely(resolve_all, text, GROUP, { names[1] or "root", "0" }, { "users" })
  end,
}

M.group = {
  name = "group",
  seeds = corpus.texts("group"),
  tokens = { ":x:", "::", ",", ",,", "alice", "root", ":4294967295:", ":-1:", ":1e3:" },
  run = function(text)
    for _, e in ipairs(users.group(text)) do
      if not is_id(e.gid) then return "group entry with a gid out of range" end
      for _, m in ipairs(e.members) do
        if m == "" or m:find("[,\n]") then return "group member with a separator" end
      end
    end
    local groups = first_fields(text, 2)
    groups[#groups + 1] = false
    return safely(resolve_all, PASSWD, text, { "alice" }, groups)
  end,
}

-- What a destination must be once parsed: absolute and clean (no empty, "." or ".."
-- component, no trailing "/"), neither the root nor where the host's root is detached.
local function destination_problem(dst)
  if type(dst) ~= "string" or dst:sub(1, 1) ~= "/" then return "destination not absolute" end
  if dst == "/" then return "destination is the root" end
  if dst:find("//", 1, true) or dst:sub(-1) == "/" then return "destination " .. dst .. " not clean" end
  for component in dst:gmatch("[^/]+") do
    if component == "." or component == ".." then return "destination " .. dst .. " not clean" end
  end
  if dst == "/.hako" or dst:sub(1, 7) == "/.hako/" then return "destination " .. dst .. " is /.hako" end
end

local function mount_problem(m)
  local problem = destination_problem(m.dst)
  if problem then return problem end
  if m.type == "bind" then
    if type(m.src) ~= "string" or m.src:sub(1, 1) ~= "/" then return "source not absolute" end
    if m.mode ~= nil and m.mode ~= "ro" and m.mode ~= "rw" then return "bad mode" end
  elseif m.type == "tmpfs" then
    if m.size ~= nil and not m.size:match("^%d+[kmgKMG%%]?$") then return "bad size" end
  else
    return "unknown mount type"
  end
end

-- A spec is tried in each form that takes it: --mount, --tmpfs and --dev-bind.
M.mounts = {
  name = "mounts",
  seeds = { "/srv/data:/data", "/srv/data:/data:ro", "src:/mnt:rw", "a\\:b:/mnt/c\\:d:ro", "/tmp:64m",
    "/run:10%", "/dev/fuse:/dev/fuse", "/x:/.hako/y", "/x:/a/../b", "/x:/", ":/mnt", "/x:", "" },
  tokens = { ":ro", ":rw", ":", "\\:", "/.hako", "/./", "/.", "//", "/../", ":64m", ":10%", ":1g", ":0" },
  run = function(text)
    for _, item in ipairs({ text, { tmpfs = text }, { dev_bind = text } }) do
      local list = safely(mounts.parse, { item }, "/work")
      local problem = list and mount_problem(list[1])
      if problem then return problem end
    end
  end,
}

-- A record parsed is one hako-run could have written: format gives it back unchanged.
M.record = {
  name = "record",
  seeds = corpus.texts("record"),
  tokens = { "\npolicy.env ", "\npolicy.uid ", "\nns.mnt 0:4 ", "\npid ", "%25", "%0A", "%00", "%",
    "\npolicy.caps 63 64",
    "\npolicy.groups ", "\npolicy.chdir ", "hako-record 3\n", "hako-record 2\n", "\npolicy.flag 1", "\nroot " },
  run = function(text)
    local r, why = record.parse(text)
    if not r then
      if not one_line(why) then return "a reason that is not one line" end
      return nil
    end
    local ok, again = pcall(function() return record.parse(record.format(r)) end)
    if not ok then return "accepted a record it cannot write back: " .. tostring(again) end
    if not equal(again, r) then return "the record read back differs" end
  end,
}

-- /proc/PID/stat: a process inside chooses its own name (comm), up to 15 bytes through
-- prctl, and start_time must still find field 22 whatever the name holds.
local STAT_BEFORE = "4242 ("
local STAT_AFTER = ") S 4241 4242 4241 34816 4242 4194304 112 0 0 0 0 0 0 0 20 0 1 0 8812345 8531968 227 "
  .. "18446744073709551615 94352 94380 140724 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94383 94384 94385 140724 0\n"

M.stat = {
  name = "stat",
  seeds = { "sleep", "a) b) (c 9", "x) S 1 2 3", ")", "(", " ", "\n", "hako-run", "Z) Z ) Z" },
  tokens = { ")", "(", " ", ") ", ") Z ", "\n", "8812345", " 0 " },
  run = function(comm)
    local got = record.start_time(STAT_BEFORE .. comm .. STAT_AFTER)
    if got ~= 8812345 then return "start time " .. tostring(got) .. ", not 8812345" end
  end,
}

-- /etc/subuid and /etc/subgid: whatever they hold, the maps hako writes are of integers
-- the kernel can take, or hako refuses cleanly.
local function map_problem(text)
  local start, count = text:match("^0 (%d+) (%d+)\n$")
  if not start then return "root's map " .. string.format("%q", text) end
  if tonumber(start) + tonumber(count) > 4294967295 then return "root's map past the last id: " .. text end
end

M.subid = {
  name = "subid",
  seeds = corpus.texts("subid"),
  tokens = { "root:", "alice:", "1000:", ":65536", ":0", ":4294967295", ":99999999999999999999", ":1e3", ":-1", "\n" },
  run = function(text)
    local pool = safely(idmap.pool, text)
    local last = pool and idmap.slot_start(pool, pool.slots - 1)
    local problem = map_problem(last and idmap.range_map(last) or "0 1 1\n")
    if problem then return problem end
    local args = safely(idmap.ranges, 1000, text, "alice", "--map-users")
    for _, a in ipairs(args or {}) do
      if not a:match("^%d+$") then return "newuidmap argument " .. a end
    end
  end,
}

return M
