-- hako.freeze: stop every process of a sandbox from the host, and continue them again.
--
-- When hako-run stops as a job (^Z), its shell takes the terminal back; but a process of
-- the sandbox outside the stopped job (one that made a process group of its own) still
-- runs, still has the terminal as its controlling one, and could make itself the
-- foreground and read what is typed to the shell. So the whole sandbox stops with the
-- job: every process of its PID namespace, or of one nested in it, but hako's init
-- (which never reads the terminal, and whose stop would be reported as the command's).
-- Each is signalled through a pidfd, so that a pid reused meanwhile is never signalled,
-- and the pidfd closed at once (a sandbox of thousands of processes must not run hako-run
-- out of fds). A stopped process cannot fork: the walk is done again until it finds
-- nobody new. Continued are only those it stopped: one stopped inside before stays so.

local M = {}

local PASSES = 10
local MAX_DEPTH = 33 -- PID namespaces nest 32 deep at most

local function same(a, st)
  return a.dev == st.dev_major .. ":" .. st.dev_minor and a.ino == st.ino
end

-- Is pid in the PID namespace pidns ({dev, ino}) or one nested in it?
local function inside(core, pid, pidns)
  local fd = core.open("/proc/" .. pid .. "/ns/pid", core.O_RDONLY | core.O_CLOEXEC)
  for _ = 1, MAX_DEPTH do
    if not fd then return false end
    local st = core.statx(fd, "", core.AT_EMPTY_PATH)
    if st and same(pidns, st) then
      core.close(fd)
      return true
    end
    local parent = core.ns_get_parent(fd) -- EPERM past ours: the host's is no sandbox's
    core.close(fd)
    fd = parent
  end
  if fd then core.close(fd) end
  return false
end

local function stopped(core, pid)
  local fd = core.open("/proc/" .. pid .. "/stat", core.O_RDONLY | core.O_CLOEXEC)
  local text = fd and core.read(fd, 512) or ""
  if fd then core.close(fd) end
  return text:match("^.*%)%s+([Tt])%s") ~= nil
end

-- One pass over /proc: every process of the sandbox not met before is stopped (and
-- noted in held: true if this stopped it). -> whether it met anyone new.
local function pass(core, pidns, held, init)
  local met = false
  for _, name in ipairs(core.readdir("/proc") or {}) do
    local pid = name:match("^%d+$") and math.tointeger(tonumber(name))
    if pid and pid ~= init and held[pid] == nil then
      local fd = core.pidfd_open(pid)
      -- Looked at once the pidfd holds the process: if /proc now shows another one, the
      -- pidfd's is gone, and the signal reaches nobody.
      if fd and inside(core, pid, pidns) then
        met = true
        held[pid] = not stopped(core, pid)
        if held[pid] then core.pidfd_send_signal(fd, core.SIGSTOP) end
      end
      if fd then core.close(fd) end
    end
  end
  return met
end

-- stop(core, pidns, init) -> what thaw() continues.
function M.stop(core, pidns, init)
  local held = {}
  for _ = 1, PASSES do
    if not pass(core, pidns, held, init) then break end
  end
  return { pidns = pidns, held = held }
end

-- thaw(core, frozen): SIGCONT to each process stop() stopped that is still the sandbox's.
function M.thaw(core, frozen)
  if not frozen then return end
  for pid, mine in pairs(frozen.held) do
    local fd = mine and core.pidfd_open(pid)
    if fd and inside(core, pid, frozen.pidns) then core.pidfd_send_signal(fd, core.SIGCONT) end
    if fd then core.close(fd) end
  end
end

return M
