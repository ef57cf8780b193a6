-- hako.sandboxes: the running sandboxes as their records tell (hako ps, hako stop,
-- hako-enter NAME), and the names hako-run --name holds.
--
-- Every record is read as hako-enter reads one: from a directory of root's or its
-- owner's (record.open_directory), a regular file of theirs naming its own pid
-- (record.read), written by that owner, and, for root, a user's only about a process
-- in a user namespace that user made (join_steps.trusted). Then it is checked against
-- the live process: a record whose process has ended or whose pid was reused is stale.
--
-- A name is held by a symlink SUPERVISOR.name -> "NAME START_TIME" in hako-run's records
-- directory, made (atomically, by symlinkat) before the sandbox and removed when hako-run
-- ends; it is live while that hako-run is (same pid, same start time). hako-run makes
-- its own first, then looks for another live one of the same name in every directory
-- of the caller's: of two started at once, neither or one gets the name, never both.

local failure = require "hako.failure"
local join_steps = require "hako.join_steps"
local record = require "hako.record"

local check = failure.check

local M = {}

-- places(core, directories, euid, everyone) -> { { dir = , owner = }, ... }: the
-- caller's record directories (record.directories); with everyone (root), every user's.
function M.places(core, directories, euid, everyone)
  local places = {}
  for _, dir in ipairs(directories) do
    places[#places + 1] = { dir = dir, owner = record.directory_owner(dir, euid) }
  end
  if not everyone then return places end
  local uids, seen = {}, {}
  for _, name in ipairs(core.readdir("/run/user") or {}) do
    uids[#uids + 1] = name:match("^(%d+)$")
  end
  for _, name in ipairs(core.readdir("/tmp") or {}) do
    uids[#uids + 1] = name:match("^hako%-(%d+)$")
  end
  table.sort(uids, function(a, b) return tonumber(a) < tonumber(b) end)
  for _, text in ipairs(uids) do
    local uid = math.tointeger(tonumber(text))
    if uid and uid ~= 0 and uid < 2 ^ 32 and not seen[uid] then
      seen[uid] = true
      for _, dir in ipairs(record.owner_directories(uid)) do places[#places + 1] = { dir = dir, owner = uid } end
    end
  end
  return places
end

-- live(core, rec) -> nil when the recorded process is alive and is the recorded one;
-- else why not, and true when the record is merely stale (left by a SIGKILLed hako-run).
function M.live(core, rec)
  local id = record.identity(core, rec.pid)
  if not id or id.ended then return "stale: its process has ended", true end
  local what, stale = record.mismatch(rec, id)
  if stale then return "stale: its pid now belongs to another process", true end
  if what then return "record mismatch: " .. what .. " is not the recorded one" end
  if id.ns_error then return "cannot check its namespaces (" .. failure.why(id.ns_error) .. ")" end
end

local function entry(core, dirfd, place, pid, euid)
  local where = place.dir .. "/" .. pid
  local rec, message = record.read(core, dirfd, pid, place.owner)
  if rec then rec, message = join_steps.trusted(core, rec, pid, place.owner, euid) end
  if not rec then return { where = where, pid = pid, problem = failure.why(message) } end
  local why, stale = M.live(core, rec)
  return { where = where, pid = pid, owner = place.owner, record = rec, problem = why, stale = stale }
end

-- each(core, places, visit): visit(dirfd, place, names) for every directory that is there
-- and readable, once each; a directory that fails the checks is visited with nil, why.
local function each(core, places, visit)
  local seen = {}
  for _, place in ipairs(places) do
    local dirfd, message, errno = record.open_directory(core, place.dir, place.owner, false)
    if dirfd then
      local st = core.statx(dirfd, "", core.AT_EMPTY_PATH)
      local key = st and st.dev_major .. ":" .. st.dev_minor .. ":" .. st.ino
      local names
      names, message, errno = core.readdir("/proc/self/fd/" .. dirfd)
      if key and names and not seen[key] then
        seen[key] = true
        table.sort(names)
        visit(dirfd, place, names)
      end
      core.close(dirfd)
    end
    if message and errno ~= core.ENOENT and errno ~= core.EACCES then
      visit(nil, place, failure.why(message))
    end
  end
end

-- list(core, places, euid) -> every record found, in pid order: { where, pid, record,
-- owner, problem, stale }; problem says why one is not a live sandbox (stale: left by a
-- hako-run that was killed), or, without a record, why it could not be read.
function M.list(core, places, euid)
  local found = {}
  each(core, places, function(dirfd, place, names)
    if not dirfd then
      found[#found + 1] = { where = place.dir, problem = names }
      return
    end
    for _, name in ipairs(names) do
      local pid = name:match("^%d+$") and #name <= 10 and math.tointeger(tonumber(name))
      if pid then found[#found + 1] = entry(core, dirfd, place, pid, euid) end
    end
  end)
  table.sort(found, function(a, b) return (a.pid or 0) < (b.pid or 0) end)
  return found
end

-- resolve(core, places, name, euid) -> the pid of the one live sandbox of that name.
function M.resolve(core, places, name, euid)
  local pids = {}
  for _, e in ipairs(M.list(core, places, euid)) do
    if e.record and not e.problem and e.record.name == name then pids[#pids + 1] = e.pid end
  end
  if #pids == 0 then
    local dirs = {}
    for i, place in ipairs(places) do dirs[i] = place.dir end
    failure.raise(name, "no running sandbox of that name (in " .. table.concat(dirs, " or ") .. ")")
  elseif #pids > 1 then
    failure.raise(name, "the name of " .. #pids .. " sandboxes (pids " .. table.concat(pids, ", ")
      .. "): give a pid")
  end
  return pids[1]
end

local function start_time(core, pid)
  local text = record.stat(core, pid)
  return text and not text:match("^.*%)%s+[ZX]%s") and record.start_time(text)
end

-- holder(core, places, name, self) -> the pid of another live hako-run holding name.
local function holder(core, places, name, self)
  local found
  each(core, places, function(dirfd, _, names)
    for _, link in ipairs(dirfd and names or {}) do
      local digits = link:match("^(%d+)%.name$")
      local pid = digits and math.tointeger(tonumber(digits))
      local target = pid and pid ~= self and core.readlinkat(dirfd, link)
      local held, since = (target or ""):match("^(%S+) (%d+)$")
      if held == name and start_time(core, pid) == tonumber(since) then found = found or pid end
    end
  end)
  return found
end

-- claim(core, dirfd, name, places) -> a function that gives the name up. Raises when
-- another live hako-run of the caller's holds it.
function M.claim(core, dirfd, name, places)
  local self = core.getpid()
  local link = self .. ".name"
  local target = name .. " " .. assert(start_time(core, "self"))
  local ok, message, errno = core.symlinkat(target, dirfd, link)
  if not ok and errno == core.EEXIST then -- left by a killed hako-run that had this pid
    core.unlinkat(dirfd, link)
    ok, message, errno = core.symlinkat(target, dirfd, link)
  end
  check(ok, message, errno)
  local function release()
    if core.readlinkat(dirfd, link) == target then core.unlinkat(dirfd, link) end
  end
  local other = holder(core, places, name, self)
  if other then
    release()
    failure.raise("--name " .. name, "taken by a running sandbox of yours (hako-run " .. other
      .. "; hako ps lists them)")
  end
  return release
end

return M
