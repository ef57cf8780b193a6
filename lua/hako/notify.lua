-- hako.notify: systemd's readiness protocol (sd_notify(3)) for hako-run.
--
-- A Type=notify service is started with NOTIFY_SOCKET, the address of a unix datagram
-- socket (a path, or "@name" for an abstract one), and is ready when a datagram saying
-- READY=1 arrives there. --notify says who sends it:
--
--   hako     (default) hako-run, once the command has started (its exec succeeded):
--            READY=1 and MAINPID=<hako-run's pid>, in one datagram, once per process.
--   sandbox  the command, which speaks the protocol itself: it gets NOTIFY_SOCKET.
--   none     nobody: a script around hako-run that tells systemd itself.
--
-- Whoever sends, NOTIFY_SOCKET never reaches the command's environment by --keep-env:
-- only --notify sandbox sets it there (an explicit --env is passed as given).
--
-- The pure part (settings, address, message) serves hako.spec and hako.plan; the steps
-- (steps table) are hako-run's: hand_notify_socket in the sandbox, notify_ready on the host.

local failure = require "hako.failure"
local host_path = require "hako.host_path"

local check = failure.check

local M = {}

M.VARIABLE = "NOTIFY_SOCKET"
M.MODES = { "hako", "sandbox", "none" }
M.DEFAULT_MODE = "hako"
-- sizeof(sockaddr_un.sun_path): a path needs room for its NUL too.
M.SUN_PATH = 108

-- address(value) -> sun_path's bytes ("\0name" for "@name") | nil, why
function M.address(value)
  if value:find("\0", 1, true) then return nil, "contains a NUL byte" end
  local first = value:sub(1, 1)
  if first == "@" then
    if #value < 2 then return nil, "an empty abstract name" end
    if #value > M.SUN_PATH then return nil, "longer than " .. M.SUN_PATH .. " bytes" end
    return "\0" .. value:sub(2)
  elseif first == "/" then
    if #value >= M.SUN_PATH then return nil, "longer than " .. (M.SUN_PATH - 1) .. " bytes" end
    return value
  end
  return nil, "neither an absolute path nor an abstract name (@NAME); give --notify none"
end

local function lookup(env, name)
  for _, entry in ipairs(env or {}) do
    if entry:sub(1, #name + 1) == name .. "=" then return entry:sub(#name + 2) end
  end
end

-- without(env) -> env less NOTIFY_SOCKET: what --keep-env takes from the caller.
function M.without(env)
  local kept = {}
  for _, entry in ipairs(env) do
    if entry:sub(1, #M.VARIABLE + 1) ~= M.VARIABLE .. "=" then kept[#kept + 1] = entry end
  end
  return kept
end

-- set(env, value): NOTIFY_SOCKET=value in env, in place of any there.
function M.set(env, value)
  local entry = M.VARIABLE .. "=" .. value
  for i, old in ipairs(env) do
    if old:sub(1, #M.VARIABLE + 1) == M.VARIABLE .. "=" then
      env[i] = entry
      return
    end
  end
  env[#env + 1] = entry
end

-- settings(mode, environ) -> { mode, socket, abstract }: --notify (nil: the default) and
-- the caller's NOTIFY_SOCKET. socket is nil when there is none or nobody is to use it.
function M.settings(mode, environ)
  if mode == nil then mode = M.DEFAULT_MODE end
  local known = false
  for _, m in ipairs(M.MODES) do known = known or m == mode end
  if not known then
    failure.raise("--notify " .. tostring(mode), "expected hako, sandbox or none")
  end
  local socket = lookup(environ, M.VARIABLE)
  if mode == "none" or socket == nil or socket == "" then return { mode = mode } end
  local address, why = M.address(socket)
  if not address then failure.raise(M.VARIABLE .. " " .. socket, why) end
  return { mode = mode, socket = socket, abstract = address:sub(1, 1) == "\0" }
end

-- apply(spec): what --notify sandbox needs of the rest of the spec, checked and filled in.
-- A path socket reaches the command as /proc/self/fd/N (hand_notify_socket), so the
-- sandbox needs its /proc. An abstract socket lives in hako-run's network namespace, and
-- Landlock scopes it away unless the sandbox shares both.
function M.apply(spec)
  local n = spec.notify
  if n.mode ~= "sandbox" or not n.socket then return end
  -- The read-only copy of the socket is the sandbox's mount: CAP_SYS_ADMIN could make it
  -- writable and chmod the host's socket shut.
  for _, cap in ipairs(spec.caps) do
    if cap == require("hako.caps").number("sys_admin") then
      failure.raise("--notify sandbox", "cannot go with --cap-add sys_admin (the command could make the socket"
        .. " writable and shut it)")
    end
  end
  if n.abstract then
    if spec.net.mode ~= "host" or not spec.share_abstract_sockets then
      failure.raise("--notify sandbox", M.VARIABLE .. " is the abstract socket " .. n.socket
        .. ", which the command reaches only with --net host --share-abstract-sockets")
    end
    M.set(spec.env, n.socket)
  elseif spec.proc == "off" then
    failure.raise("--notify sandbox", "the command reaches " .. n.socket .. " through /proc: drop --no-proc")
  else
    spec.proc = "on"
  end
end

-- The one datagram hako-run sends. MAINPID is hako-run's own pid, the process systemd
-- should watch: it lives exactly as long as the sandbox, passes systemd's SIGTERM on to
-- the command, exits with the command's status, and removes what it made (record, pid
-- file, cgroups) once the sandbox is gone. The sandbox's PID 1 ends before that clean-up,
-- and as an init (--as-pid-1) it ignores the signals it has no handler for. Sent even
-- when hako-run is the process systemd started: a unit whose ExecStart= runs it from a
-- script (NotifyAccess=all) is then told which process to watch.
function M.ready_message(pid)
  return string.format("READY=1\nMAINPID=%d\n", pid)
end

-- send(core, socket, text) -> true | nil, message: one datagram to NOTIFY_SOCKET's value.
function M.send(core, socket, text)
  local address, why = M.address(socket)
  if not address then return nil, why end
  local fd, message = core.socket(core.AF_UNIX, core.SOCK_DGRAM | core.SOCK_CLOEXEC)
  if not fd then return nil, message end
  local sent
  sent, message = core.sendto_unix(fd, text, address)
  core.close(fd)
  if not sent then return nil, message end
  return true
end

-- Once per process: a recipe that runs many sandboxes is ready when the first has started.
M.sent = false

-- Host, once the command has started (await_sandbox): tell systemd. A failure is said on
-- stderr and the sandbox goes on: it is running, and stopping it is systemd's to decide.
function M.notify_ready(step, state)
  if M.sent then return end
  M.sent = true
  local core = state.core
  local ok, message = M.send(core, step.socket, M.ready_message(core.getpid()))
  if not ok then failure.warn(state.program or "hako-run", M.VARIABLE .. " " .. step.socket, failure.why(message)) end
end

-- Sandbox, before pivot_root (the host's paths are still there): the socket for the
-- command (--notify sandbox, a path), as fd N and NOTIFY_SOCKET=/proc/self/fd/N, which
-- connect(2) follows to the socket (a mount destination would have to exist in the tree;
-- the abstract namespace is the sandbox's own). The fd is not the socket file's own
-- mount but a detached read-only copy of it: through the host's mount the command, uid 0
-- and owner of root's socket, could chmod it shut for every other service. Opened as a
-- bind's source is (hako.host_path), not close-on-exec, and kept: the policy's keep_fds,
-- which hako's init closes in itself. Only this process's policy changes: the record
-- (written by the host) does not name the fd, so hako-enter's commands do not get it.
function M.hand_notify_socket(step, state)
  local core, p = state.core, state.policy
  local what = M.VARIABLE .. " " .. step.path
  local fd, why = host_path.open(core, step.path, { uid = core.geteuid(), any_link = step.any_link })
  if not fd then failure.raise(what, why) end
  local st = core.statx(fd, "", core.AT_EMPTY_PATH)
  if not st or st.type ~= "socket" then
    core.close(fd)
    failure.raise(what, "is not a socket")
  end
  local tree, message = core.open_tree(fd, "", core.OPEN_TREE_CLONE | core.AT_EMPTY_PATH)
  core.close(fd)
  if not tree then failure.raise_core(what, message) end
  check(core.mount_setattr(tree, "", core.AT_EMPTY_PATH, core.MOUNT_ATTR_RDONLY | core.MOUNT_ATTR_NOSUID
    | core.MOUNT_ATTR_NODEV | core.MOUNT_ATTR_NOEXEC))
  p.keep_fds[#p.keep_fds + 1] = tree
  M.set(p.env, "/proc/self/fd/" .. tree)
end

M.steps = { notify_ready = M.notify_ready, hand_notify_socket = M.hand_notify_socket }

return M
