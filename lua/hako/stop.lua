-- hako.stop: `hako stop NAME|PID`: end a running sandbox through its hako-run, so that
-- hako-run cleans up (record, pid file, cgroups) as it does when its command ends.
--
-- The sandbox is found as hako-enter finds it (join_steps.locate: the caller's record
-- directories, the same trust checks), and the pid the record names as its supervisor is
-- signalled only once it is shown to be that sandbox's live hako-run: both processes are
-- held by pidfds (a pid reused later cannot be signalled through them), the sandbox is
-- the recorded process (start time, namespaces), its parent is the recorded hako-run,
-- whose own start time is the recorded one and who runs as the record's owner.

local cli = require "hako.cli"
local common = require "hako.common_options"
local failure = require "hako.failure"
local join_steps = require "hako.join_steps"
local record = require "hako.record"
local sandboxes = require "hako.sandboxes"

local M = {}

M.DEFAULT_TIMEOUT = 10
-- After the sandbox is killed, how long hako-run has to clean up before it is killed too.
M.CLEANUP_GRACE = 5

M.options = {
  { long = "timeout", key = "timeout", value = "SECONDS",
    help = "how long the command has to end after SIGTERM before SIGKILL (default "
      .. M.DEFAULT_TIMEOUT .. ")" },
  common.help,
}

local USAGE = [[
Usage: hako stop [--timeout SECONDS] <name>|<pid>

Stop a running hako sandbox: <name> as hako-run --name gave it, or <pid> as hako-enter
takes it (its first process, or its hako-run). hako stop sends SIGTERM to its hako-run,
which passes it on to the command (and SIGCONT, should it be stopped); if the sandbox
is still there after SECONDS, SIGKILL to its first process, which ends everything in
it. hako-run then cleans up and exits; hako stop waits until it has. Only root or the
sandbox's owner may stop it.

Options:
]]

local function clock(core)
  return core.clock_gettime(core.CLOCK_MONOTONIC)
end

-- gone(core, pidfd, seconds) -> whether the process ended within seconds.
function M.gone(core, pidfd, seconds)
  local deadline = clock(core) + seconds
  while true do
    local left = math.max(0, deadline - clock(core))
    local ms = seconds == math.huge and -1 or math.min(math.ceil(left * 1000), 0x7fffffff)
    local revents = core.poll(pidfd, core.POLLIN, ms)
    if revents and revents ~= 0 then return true end
    if revents and left <= 0 then return false end
  end
end

local function uids(core, pid)
  local fd = core.open("/proc/" .. pid .. "/status", core.O_RDONLY | core.O_CLOEXEC)
  if not fd then return nil end
  local text = core.read(fd, 8192) or ""
  core.close(fd)
  local real, effective = text:match("\nUid:%s+(%d+)%s+(%d+)")
  return tonumber(real), tonumber(effective)
end

local function open(core, pid, what)
  local fd, _, errno = core.pidfd_open(pid)
  if not fd then
    failure.raise(what, errno == core.ESRCH and "has ended" or "cannot be opened (pidfd_open)")
  end
  return fd
end

-- verify(core, rec) -> pidfds of the sandbox and of its hako-run, the latter proven to
-- be the record's live supervisor; raises otherwise.
function M.verify(core, rec)
  local pid = tostring(rec.pid)
  if not rec.supervisor or not rec.owner then failure.raise(pid, "its record names no hako-run") end
  local what = pid .. ": hako-run " .. rec.supervisor
  local sandbox = open(core, rec.pid, pid)
  local ok, result = pcall(function()
    local supervisor = open(core, rec.supervisor, what)
    local ok2, err2 = pcall(function()
      local problem = sandboxes.live(core, rec)
      if problem then failure.raise(pid, problem) end
      local stat = record.stat(core, rec.pid) or ""
      local sup_stat = record.stat(core, rec.supervisor) or ""
      if record.stat_field(stat, 4) ~= rec.supervisor then
        failure.raise(what, "is not the sandbox's parent: refused")
      end
      if rec.supervisor_start_time and record.start_time(sup_stat) ~= rec.supervisor_start_time then
        failure.raise(what, "is not the recorded one (start time): refused")
      end
      local real, effective = uids(core, rec.supervisor)
      if real ~= rec.owner or effective ~= rec.owner then
        failure.raise(what, "does not run as the record's owner, uid " .. rec.owner .. ": refused")
      end
      -- Both still alive: what /proc said was about the processes the pidfds hold.
      if not core.pidfd_send_signal(sandbox, 0) then failure.raise(pid, "has ended") end
      if not core.pidfd_send_signal(supervisor, 0) then failure.raise(what, "has ended") end
    end)
    if not ok2 then
      core.close(supervisor)
      error(err2, 0)
    end
    return supervisor
  end)
  if not ok then
    core.close(sandbox)
    error(result, 0)
  end
  return sandbox, result
end

-- stop(core, sandbox, supervisor, timeout) -> how it ended: "term" or "kill".
function M.stop(core, sandbox, supervisor, timeout)
  core.pidfd_send_signal(supervisor, core.SIGTERM)
  core.pidfd_send_signal(supervisor, core.SIGCONT)
  local how = "term"
  if not M.gone(core, supervisor, timeout) then
    how = "kill"
    core.pidfd_send_signal(sandbox, core.SIGKILL)
    if not M.gone(core, supervisor, M.CLEANUP_GRACE) then
      core.pidfd_send_signal(supervisor, core.SIGKILL)
      M.gone(core, supervisor, math.huge)
    end
  end
  -- hako-run has waited for it; a SIGKILLed hako-run leaves it to the kernel.
  M.gone(core, sandbox, math.huge)
  return how
end

local function timeout_of(value)
  if value == nil then return M.DEFAULT_TIMEOUT end
  local n = value:match("^%d+%.?%d*$") and tonumber(value)
  if not n or n >= 2 ^ 31 then failure.raise("--timeout " .. value, "not a number of seconds") end
  return n
end

function M.main(argv)
  return failure.run_command("hako stop", function()
    local options, operands = cli.parse(M.options, argv)
    if options.help then
      io.stdout:write(USAGE, cli.help(M.options))
      return 0
    end
    local target = operands[1]
    if not target then failure.raise("name or pid", "missing (usage: hako stop [--timeout SECONDS] <name>|<pid>)") end
    if operands[2] then failure.raise(operands[2], "unexpected argument (try --help)") end
    local timeout = timeout_of(options.timeout)
    local core = require "hako.core"
    local euid = core.geteuid()
    local directories = record.directories(euid, os.getenv("XDG_RUNTIME_DIR"))
    local pid = math.tointeger(tonumber(target:match("^%d+$") and #target <= 10 and target or ""))
    if pid and (pid < 1 or pid > 0x3fffffff) then failure.raise("pid " .. target, "not a number") end
    if not target:match("^%d+$") then
      local why = record.check_name(target)
      if why then failure.raise(target, "neither a pid nor a sandbox's name (a name: " .. why .. ")") end
      pid = sandboxes.resolve(core, sandboxes.places(core, directories, euid), target, euid)
    end
    local rec = join_steps.locate(core, directories, pid, euid, "stop")
    if not target:match("^%d+$") and rec.name ~= target then
      failure.raise(target, "no running sandbox of that name")
    end
    local sandbox, supervisor = M.verify(core, rec)
    M.stop(core, sandbox, supervisor, timeout)
    core.close(sandbox)
    core.close(supervisor)
    return 0
  end)
end

return M
