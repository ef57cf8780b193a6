-- hako.cgroupfs: the cgroups hako.cgroup plans, made, entered, reported on, emptied and
-- removed through hako.core. Every file is opened beneath its cgroup mount's directory fd
-- without following a link or leaving that file system, so a path (from a record too)
-- can only ever name a file of that cgroup hierarchy.

local cgroup = require "hako.cgroup"
local failure = require "hako.failure"

local check = failure.check

local M = {}

local DIRECTORY_MODE = tonumber("755", 8)
local MAX_FILE = 65536

local function resolve(core)
  return core.RESOLVE_BENEATH | core.RESOLVE_NO_XDEV | core.RESOLVE_NO_SYMLINKS | core.RESOLVE_NO_MAGICLINKS
end

-- open_mount(core, dir) -> an O_PATH fd on a cgroup mount's directory.
function M.open_mount(core, dir)
  return core.open(dir, core.O_PATH | core.O_DIRECTORY | core.O_CLOEXEC)
end

-- rel(path) -> path without its leading "/", "." for the root (openat2 wants it relative).
local function rel(path)
  local r = path:gsub("^/+", "")
  return r == "" and "." or r
end

local function open_in(core, mountfd, path, flags)
  return core.openat2(mountfd, rel(path), flags | core.O_CLOEXEC, 0, resolve(core))
end

-- read(core, mountfd, path) -> the text of a cgroup file, or nil, message, errno.
function M.read(core, mountfd, path)
  local fd, message, errno = open_in(core, mountfd, path, core.O_RDONLY)
  if not fd then return nil, message, errno end
  local text
  text, message, errno = core.read(fd, MAX_FILE)
  core.close(fd)
  return text, message, errno
end

-- write(core, mountfd, path, text) -> true, or nil, message, errno.
function M.write(core, mountfd, path, text)
  local fd, message, errno = open_in(core, mountfd, path, core.O_WRONLY)
  if not fd then return nil, message, errno end
  local ok
  ok, message, errno = core.write(fd, text)
  core.close(fd)
  return ok, message, errno
end

-- discover(core) -> mounts, self: where the hierarchies are, and the caller's cgroups.
function M.discover(core)
  local function slurp(path)
    local fd = check(core.open(path, core.O_RDONLY | core.O_CLOEXEC))
    local parts = {}
    repeat parts[#parts + 1] = check(core.read(fd, MAX_FILE)) until parts[#parts] == ""
    core.close(fd)
    return table.concat(parts)
  end
  return cgroup.mounts(slurp("/proc/self/mountinfo")), cgroup.self_cgroups(slurp("/proc/self/cgroup"))
end

-- v2_controllers(core, mounts, self, parent) -> the set the v2 parent cgroup offers.
function M.v2_controllers(core, mounts, self, parent)
  local set = {}
  if not (mounts.v2 and self.v2) then return set end
  local mountfd = M.open_mount(core, mounts.v2[1])
  if not mountfd then return set end
  local text = M.read(core, mountfd, (parent or self.v2) .. "/cgroup.controllers") or ""
  core.close(mountfd)
  for c in text:gmatch("%S+") do set[c] = true end
  return set
end

local function cgroup_path(cg)
  return (cg.parent == "/" and "" or cg.parent) .. "/" .. cg.name
end

-- Enable a v2 cgroup's controllers in its parent. Where the parent has processes of its
-- own (hako-run itself, a login shell: the no-internal-processes rule, EBUSY), they are
-- not hako's to move: hako-run says where to run it instead.
local function enable_controllers(core, mountfd, cg)
  if #cg.controllers == 0 then return end
  local list = "+" .. table.concat(cg.controllers, " +")
  local control = cg.parent .. "/cgroup.subtree_control"
  local ok, message, errno = M.write(core, mountfd, control, list)
  if ok then return end
  if errno == core.EBUSY then
    failure.raise("cgroup " .. cg.mount .. cg.parent, "has processes of its own, so cgroup v2 gives its children"
      .. " no controllers: run hako-run in a cgroup of its own (systemd-run --scope -p Delegate=yes ...)"
      .. " or give --cgroup-parent", nil, errno)
  end
  failure.raise_core("cgroup " .. cg.mount .. control, message, errno)
end

-- open(core, cg): its mount's fd, which everything else goes through.
function M.open(core, cg)
  cg.mountfd = check(M.open_mount(core, cg.mount))
end

-- create(core, cg) -> cg, the directory made and its limits written. A file marked "?"
-- is written where the kernel has it (swap accounting may be off).
function M.create(core, cg)
  local mountfd = cg.mountfd
  local path = cgroup_path(cg)
  if cg.kind == "v2" then enable_controllers(core, mountfd, cg) end
  local ok, message, errno = core.mkdirat(mountfd, rel(path), DIRECTORY_MODE)
  if not ok then
    if errno == core.EACCES or errno == core.EPERM or errno == core.EROFS then
      failure.raise("cgroup " .. cg.mount .. path, failure.why(message) .. " (rootless: cgroup v2 with a subtree"
        .. " delegated to the user, as systemd's user@UID.service gives, is needed for limits)", nil, errno)
    end
    failure.raise_core("cgroup " .. cg.mount .. path, message, errno)
  end
  cg.made = true
  for _, f in ipairs(cg.files) do
    local file, optional = f[1]:match("^(.-)(%??)$")
    ok, message, errno = M.write(core, mountfd, path .. "/" .. file, f[2])
    if not ok and not (optional == "?" and errno == core.ENOENT) then
      failure.raise_core("cgroup " .. file .. " " .. f[2], message, errno)
    end
  end
  return cg
end

-- procs(core, cg) -> an fd open for writing on the cgroup's cgroup.procs.
function M.procs(core, cg)
  return check(open_in(core, cg.mountfd, cgroup_path(cg) .. "/cgroup.procs", core.O_WRONLY))
end

-- dirfd(core, cg) -> an fd on the cgroup's directory (for clone3's CLONE_INTO_CGROUP).
function M.dirfd(core, cg)
  return check(open_in(core, cg.mountfd, cgroup_path(cg), core.O_RDONLY | core.O_DIRECTORY))
end

-- Every process in the cgroup killed, and the directory removed once it is empty. v2 kills
-- them all at once (cgroup.kill); v1 signals each, again until none is left (a fork
-- racing the first pass is caught by the next). hako-run tries for a while (about two
-- seconds); the watcher, patient, until the kernel lets the last one go.
function M.remove(core, cg, patient)
  if not cg.made then return true end
  local path = cgroup_path(cg)
  if cg.kind == "v2" then M.write(core, cg.mountfd, path .. "/cgroup.kill", "1") end
  -- Nothing is ever written to this pipe: polling it is a pause of a few ms.
  local pause_r, pause_w = core.pipe2(core.O_CLOEXEC)
  local removed = false
  local tries, wait = 0, 5
  while not removed and (patient or tries < 400) do
    local ok, _, errno = core.unlinkat(cg.mountfd, rel(path), core.AT_REMOVEDIR)
    removed = ok or errno == core.ENOENT
    if removed then break end
    if errno ~= core.EBUSY then break end
    for pid in (M.read(core, cg.mountfd, path .. "/cgroup.procs") or ""):gmatch("%d+") do
      core.kill(math.tointeger(tonumber(pid)), core.SIGKILL)
    end
    if pause_r then core.poll(pause_r, core.POLLIN, wait) end
    tries = tries + 1
    if patient and tries > 400 then wait = math.min(wait * 2, 1000) end
  end
  if pause_r then core.close(pause_r); core.close(pause_w) end
  cg.made = not removed
  return removed
end

-- Signals a watcher ignores: the terminal's and the caller's are for hako-run.
local WATCHER_BLOCKS = { "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGTSTP", "SIGTTIN", "SIGTTOU",
  "SIGUSR1", "SIGUSR2", "SIGPIPE" }

-- watch(core, cgroups) -> the fd hako-run holds while they exist. A process of its own
-- (forked twice: hako-run never waits for it), in a session of its own, with nothing but
-- that pipe's other end and the mounts' fds, waits for the pipe to close: hako-run has
-- ended, even by SIGKILL. It then kills what is left in the cgroups and removes them.
function M.watch(core, cgroups)
  local r, w = check(core.pipe2(core.O_CLOEXEC))
  io.stdout:flush()
  io.stderr:flush()
  local pid = check(core.clone(0))
  if pid == 0 then
    pcall(function()
      if check(core.clone(0)) ~= 0 then return end
      local blocked = {}
      for i, name in ipairs(WATCHER_BLOCKS) do blocked[i] = core[name] end
      core.sigprocmask(core.SIG_BLOCK, blocked)
      core.setsid()
      local keep = { r }
      for _, cg in ipairs(cgroups) do keep[#keep + 1] = cg.mountfd end
      table.sort(keep)
      local from = 0
      for _, fd in ipairs(keep) do
        if fd > from then core.close_range(from, fd - 1, 0) end
        from = fd + 1
      end
      core.close_range(from, 0xffffffff, 0)
      repeat local got = core.read(r, 1) until got == "" or got == nil
      -- Whichever of them exists: hako-run may have ended before it made them all.
      for _, cg in ipairs(cgroups) do
        cg.made = true
        M.remove(core, cg, true)
      end
    end)
    core._exit(0)
  end
  core.close(r)
  core.waitpid(pid, 0)
  return w
end

-- stats(core, cg) -> { oom_kills, memory_peak, pids_peak } as far as the cgroup tells.
function M.stats(core, cg)
  local path, out = cgroup_path(cg), {}
  local function number(file, pattern)
    local text = M.read(core, cg.mountfd, path .. "/" .. file)
    local v = text and text:match(pattern or "^(%d+)")
    return v and math.tointeger(tonumber(v))
  end
  for _, c in ipairs(cg.controllers) do
    if c == "memory" then
      out.oom_kills = number(cg.kind == "v2" and "memory.events" or "memory.oom_control", "oom_kill (%d+)")
      out.memory_peak = number(cg.kind == "v2" and "memory.peak" or "memory.max_usage_in_bytes")
    elseif c == "pids" then
      out.pids_peak = number("pids.peak")
    end
  end
  return out
end

return M
