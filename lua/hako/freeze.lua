-- hako.freeze: stop every process of a sandbox from the host, and continue them again.
--
-- When hako-run stops as a job (^Z), its shell takes the terminal back; but a process of
-- the sandbox outside the stopped job (one that made a process group of its own) still
-- runs, still has the terminal as its controlling one, and could make itself the
-- foreground and read what is typed to the shell. So the whole sandbox stops with the
-- job: every process of its PID namespace but hako's init (which never reads the
-- terminal, and whose stop would be reported as the command's), by pidfd, so that a pid
-- reused meanwhile is never signalled. A stopped process cannot fork: the walk is done
-- again until it finds nobody new.

local M = {}

local PASSES = 10

local function same(a, b)
  return a and b and a.dev == b.dev and a.ino == b.ino
end

-- The processes of the PID namespace pidns ({dev, ino}) not yet in held: pidfds by pid.
local function newcomers(core, pidns, held, skip)
  local found = {}
  for _, name in ipairs(core.readdir("/proc") or {}) do
    local pid = name:match("^%d+$") and math.tointeger(tonumber(name))
    if pid and pid ~= skip and not held[pid] then
      local fd = core.pidfd_open(pid)
      -- Looked at once the pidfd holds the process: what /proc says is about it.
      local st = fd and core.statx(core.AT_FDCWD, "/proc/" .. pid .. "/ns/pid", 0)
      if st and same(pidns, { dev = st.dev_major .. ":" .. st.dev_minor, ino = st.ino }) then
        found[pid] = fd
      elseif fd then
        core.close(fd)
      end
    end
  end
  return found
end

-- stop(core, pidns, init) -> what thaw() continues: SIGSTOP to every process of the
-- namespace but init.
function M.stop(core, pidns, init)
  local held = {}
  for _ = 1, PASSES do
    local found = newcomers(core, pidns, held, init)
    if next(found) == nil then break end
    for pid, fd in pairs(found) do
      core.pidfd_send_signal(fd, core.SIGSTOP)
      held[pid] = fd
    end
  end
  return held
end

-- thaw(core, held): SIGCONT to each, and let go of them.
function M.thaw(core, held)
  for _, fd in pairs(held or {}) do
    core.pidfd_send_signal(fd, core.SIGCONT)
    core.close(fd)
  end
end

return M
