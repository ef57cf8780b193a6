-- hako.sandbox_steps: the steps that run in the sandbox's first process, up to its exec.

local failure = require "hako.failure"
local pid1 = require "hako.pid1"

local check = failure.check

local M = {}

local function why(message)
  return message:match(": ([^:]*)$") or message
end

-- Die when hako-run dies (also of SIGKILL). The parent may already be gone when the
-- signal is armed, so look at the pipe hako-run holds open: a hang-up means it has died.
-- A credential change clears the signal (prctl(2)): the plan arms it again after them.
function M.die_with_parent(_, state)
  local core = state.core
  check(core.prctl(core.PR_SET_PDEATHSIG, core.SIGKILL))
  local events = check(core.poll(state.alive_r, core.POLLIN, 0))
  if events & core.POLLHUP ~= 0 then core._exit(failure.SETUP) end
end

-- Wait until hako-run lets the sandbox go on: it writes one byte on the pipe it holds
-- once it has done what must come first (the id maps, reading the namespaces); the end
-- of file instead means hako-run has died.
function M.await_release(_, state)
  local got = check(state.core.read(state.alive_r, 1))
  if got == "" then state.core._exit(failure.SETUP) end
end

function M.close(step, state)
  check(state.core.close(step.fd))
end

function M.make_private(step, state)
  local core = state.core
  check(core.mount(nil, step.path, nil, core.MS_REC | core.MS_PRIVATE))
end

-- The working directory, resolved inside the root as the command's user (the step comes
-- after the credentials are dropped), never through a magic link: a tree's
-- `app -> /proc/self/fd/N` would otherwise lead to whatever host directory fd N is in
-- the process that changes directory (runc CVE-2024-21626). The result must be under
-- the root: getcwd(2) says "(unreachable)" (an error in libc) for anything outside it.
function M.chdir(step, state)
  local core = state.core
  local what = "working directory " .. step.path
  local root = check(core.open("/", core.O_PATH | core.O_DIRECTORY | core.O_CLOEXEC))
  local dir, message = core.openat2(root, step.path, core.O_PATH | core.O_DIRECTORY | core.O_CLOEXEC, 0,
    core.RESOLVE_IN_ROOT | core.RESOLVE_NO_MAGICLINKS)
  core.close(root)
  if not dir then failure.raise(what, why(message)) end
  local ok
  ok, message = core.fchdir(dir)
  core.close(dir)
  if not ok then failure.raise(what, why(message)) end
  local cwd = core.getcwd()
  if not cwd or cwd:sub(1, 1) ~= "/" then failure.raise(what, "is outside the sandbox's root") end
end

-- Its own process group, so that nothing inside can signal the caller's (kill(0, ...),
-- kill -STOP 0): the sandbox is a job of its own. The supervisor does the same from its
-- side (supervise_steps.start_job): whichever runs first, the group exists.
function M.new_process_group(_, state)
  check(state.core.setpgid(0, 0))
end

-- Into the root bound by bind_root; the host's root goes onto step.old (".hako").
function M.pivot_root(step, state)
  local core = state.core
  check(core.fchdir(state.root_fd))
  check(core.pivot_root(".", step.old))
  core.close(state.root_fd)
  state.root_fd = nil
end

-- Detach the host's root: from here on nothing of the host's file system is reachable.
-- Not through a symlink: the tree's owner may have replaced .hako on the host by one
-- (renaming a mount point of another namespace detaches it there), say to /proc, which
-- would then be detached instead. The umount fails, and the sandbox with it.
function M.detach_old_root(step, state)
  local core = state.core
  check(core.umount2(step.path, core.MNT_DETACH | core.UMOUNT_NOFOLLOW))
end

function M.sethostname(step, state)
  check(state.core.sethostname(step.name))
end

function M.join_netns(_, state)
  check(state.core.setns(state.netns_fd, state.core.CLONE_NEWNET))
  -- Joined: the host's fd of it is no business of the sandbox's processes.
  state.core.close(state.netns_fd)
  state.netns_fd = nil
end

-- A new network namespace has only loopback, and down: bring it up.
function M.loopback_up(_, state)
  local core = state.core
  local fd = check(core.socket(core.AF_INET, core.SOCK_DGRAM | core.SOCK_CLOEXEC))
  local flags = check(core.get_ifflags(fd, "lo"))
  check(core.set_ifflags(fd, "lo", flags | core.IFF_UP))
  core.close(fd)
end

-- The command starts with the signal mask hako-run was started with.
function M.restore_signals(_, state)
  local core = state.core
  if state.saved_mask then check(core.sigprocmask(core.SIG_SETMASK, state.saved_mask)) end
end

local function exec_failed(path, message, errno, core)
  if errno == core.ENOENT then failure.raise(path, why(message), failure.NOT_FOUND) end
  failure.raise(path, why(message), failure.CANNOT_EXECUTE)
end

-- HOME, unless the environment sets it, is the user's home from the sandbox's passwd.
function M.with_home(env, identity)
  for _, entry in ipairs(env) do
    if entry:sub(1, 5) == "HOME=" then return env end
  end
  local copy = { table.unpack(env) }
  copy[#copy + 1] = "HOME=" .. (identity and identity.home or "/")
  return copy
end

-- Exec the command; a name without "/" is looked up in PATH inside the sandbox, the way
-- execvp(3) does: go on past missing files, report a found but unusable one.
function M.exec(step, state)
  local core = state.core
  local name = step.argv[1]
  -- exact_env: hako-enter's environment is the record's, HOME included, as it is.
  local env = step.exact_env and step.env or M.with_home(step.env, state.identity)
  if name:find("/", 1, true) then
    local _, message, errno = core.execve(name, step.argv, env)
    exec_failed(name, message, errno, core)
  end
  local denied
  for dir in (step.search_path .. ":"):gmatch("([^:]*):") do
    local path = (dir == "" and "." or dir) .. "/" .. name
    local _, message, errno = core.execve(path, step.argv, env)
    if errno == core.EACCES then
      denied = denied or { path, message, errno }
    elseif errno ~= core.ENOENT and errno ~= core.ENOTDIR then
      exec_failed(path, message, errno, core)
    end
  end
  if denied then exec_failed(denied[1], denied[2], denied[3], core) end
  failure.raise(name, "command not found", failure.NOT_FOUND)
end

-- Become the sandbox's PID 1 (hako.pid1) and run the command as its child.
function M.init(step, state)
  pid1.run(step, state, M.exec)
end

return M
