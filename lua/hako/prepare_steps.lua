-- hako.prepare_steps: hako-run's steps on the host before the sandbox's first process
-- exists: check and open everything it needs (target, old root, --net, pid file,
-- records' directory, status fd), resolve the policy, block the signals to wait for.
-- A failure here leaves nothing behind: no process has been started.

local failure = require "hako.failure"
local cgroup = require "hako.cgroup"
local host_path = require "hako.host_path"
local landlock = require "hako.landlock"
local pid1 = require "hako.pid1"
local policy = require "hako.policy"
local record = require "hako.record"
local syscall_filter = require "hako.syscall_filter"

local check = failure.check
local why = failure.why

local M = {}

local PID_FILE_MODE = tonumber("644", 8)

-- The target is resolved once, here: everything after works on this fd (the old root's
-- check, the user's files, the sandbox's root bind through enter_target), so swapping a
-- directory on its path meanwhile changes nothing; and only through links the caller
-- can trust (hako.host_path).
function M.check_target(step, state)
  local core = state.core
  local fd, message = host_path.open(core, step.path, { uid = core.geteuid() })
  if not fd then failure.raise("target " .. step.path, why(message)) end
  table.insert(state.cleanups, function() core.close(fd) end)
  state.target_fd = fd
  if check(core.statx(fd, "", core.AT_EMPTY_PATH)).type ~= "directory" then
    failure.raise("target " .. step.path, "not a directory")
  end
end

-- pivot_root puts the old root on <target>/.hako: it must be an empty, real directory,
-- or the sandbox's contents would choose where the host's root goes.
function M.check_old_root(step, state)
  local core = state.core
  local st, message, errno = core.statx(state.target_fd, step.name, core.AT_SYMLINK_NOFOLLOW)
  if not st then
    if errno == core.ENOENT then
      failure.raise(step.path, "missing: create it as an empty directory, pivot_root needs it")
    end
    failure.raise(step.path, why(message))
  end
  if st.type == "link" then failure.raise(step.path, "is a symbolic link, not a directory") end
  if st.type ~= "directory" then failure.raise(step.path, "not a directory") end
  if st.mount_root then failure.raise(step.path, "is a mount point") end
  local dir
  dir, message = core.openat2(state.target_fd, step.name, core.O_RDONLY | core.O_DIRECTORY | core.O_CLOEXEC, 0,
    core.RESOLVE_BENEATH | core.RESOLVE_NO_SYMLINKS)
  if not dir then failure.raise(step.path, why(message)) end
  local entries
  entries, message = core.readdir("/proc/self/fd/" .. dir)
  core.close(dir)
  if not entries then failure.raise(step.path, why(message)) end
  if #entries > 0 then failure.raise(step.path, "not empty") end
end

-- The clone gives the sandbox's first process the working directory of hako-run, moved
-- into its new mount namespace: made the target's here, it is how the sandbox finds the
-- target without resolving its path again (the fd is of the host's mount namespace,
-- where the sandbox cannot mount). hako-run goes back to its own after the clone.
function M.enter_target(_, state)
  local core = state.core
  local cwd = check(core.open(".", core.O_PATH | core.O_DIRECTORY | core.O_CLOEXEC))
  state.host_cwd = cwd
  table.insert(state.cleanups, function() M.leave_target(nil, state) end)
  check(core.fchdir(state.target_fd))
end

function M.leave_target(_, state)
  local core = state.core
  if not state.host_cwd then return end
  core.fchdir(state.host_cwd)
  core.close(state.host_cwd)
  state.host_cwd = nil
end

-- A network namespace to join: open it now, check it is one, join it in the sandbox.
-- A namespace file is looked at (O_PATH) before it is opened: a FIFO or a device there
-- must not be opened by hako-run (a FIFO would keep it waiting).
function M.open_netns(step, state)
  local core = state.core
  local what = "--net " .. step.path
  local handle, message = core.open(step.path, core.O_PATH | core.O_CLOEXEC)
  if not handle then failure.raise(what, why(message)) end
  local fd
  fd, message = host_path.reopen_file(core, handle)
  core.close(handle)
  if not fd then failure.raise(what, message and why(message) or "not a network namespace") end
  table.insert(state.cleanups, function() core.close(fd) end)
  if core.ns_get_nstype(fd) ~= core.CLONE_NEWNET then
    failure.raise("--net " .. step.path, "not a network namespace")
  end
  state.netns_fd = fd
end

local MAX_ID_FILE = 1 << 20

-- A file of the sandbox, read without letting its symlinks lead out of the root, and
-- only if it is a regular file: the tree is hostile, and a device node or a FIFO there
-- must not be opened by hako-run, which runs on the host (as root). Reopened through
-- /proc/self/fd once its type is known; at most MAX_ID_FILE bytes.
function M.read_inside(core, root_fd, path)
  local handle = core.openat2(root_fd, path, core.O_PATH | core.O_CLOEXEC, 0,
    core.RESOLVE_IN_ROOT | core.RESOLVE_NO_MAGICLINKS)
  if not handle then return nil end
  local fd = host_path.reopen_file(core, handle)
  core.close(handle)
  if not fd then return nil end
  local chunks, size = {}, 0
  repeat
    local chunk = core.read(fd, 65536)
    chunks[#chunks + 1] = chunk
    size = size + (chunk and #chunk or 0)
  until not chunk or chunk == "" or size >= MAX_ID_FILE
  core.close(fd)
  return table.concat(chunks)
end

-- The command's policy (hako.policy), for the user --user and --group name (by name or
-- number, from the sandbox's own passwd and group files): its ids and HOME.
function M.resolve_policy(step, state)
  local core, identity = state.core, nil
  if step.user or step.group then
    local passwd = M.read_inside(core, state.target_fd, "etc/passwd")
    local group = M.read_inside(core, state.target_fd, "etc/group")
    identity = require("hako.users").resolve(step.user, step.group, passwd, group)
  end
  state.policy = policy.with_identity(step.policy, identity)
end

-- A policy file is read whole, up to a size no rule file needs.
local MAX_POLICY_FILE = 1048576

-- read_policy_file(core, path) -> text | nil, why: a regular file, as the caller may read it.
-- Held by an O_PATH handle until its type is known (host_path.reopen_file): the caller
-- may be root reading a user's file (or a user's @include), and opening a FIFO would keep
-- it waiting for ever, opening a device (a watchdog, a tape) has effects of its own.
local function read_policy_file(core, path)
  local handle, message = core.open(path, core.O_PATH | core.O_CLOEXEC)
  if not handle then return nil, why(message) end
  local fd, reopen_message = host_path.reopen_file(core, handle)
  core.close(handle)
  if not fd then return nil, reopen_message and why(reopen_message) or "not a regular file" end
  local chunks, size = {}, 0
  local chunk, read_message
  repeat
    chunk, read_message = core.read(fd, 65536)
    chunks[#chunks + 1] = chunk
    size = size + (chunk and #chunk or 0)
  until not chunk or chunk == "" or size > MAX_POLICY_FILE
  core.close(fd)
  -- a policy cut short by a read error could lack its denials: none at all then
  if not chunk then return nil, why(read_message) end
  if size > MAX_POLICY_FILE then return nil, "larger than " .. MAX_POLICY_FILE .. " bytes" end
  return table.concat(chunks)
end
M.read_policy_file = read_policy_file

-- The syscall filter (hako.syscall_filter), compiled here, before anything is made: a bad
-- policy file is the caller's error, told at once. The command's policy carries the BPF.
function M.compile_syscall_filter(step, state)
  local core = state.core
  local seccomp = {}
  for k, v in pairs(state.policy.seccomp) do seccomp[k] = v end
  seccomp.program = syscall_filter.filter(step.source, seccomp, function(path) return read_policy_file(core, path) end,
    syscall_filter.context(core, state.policy))
  local p = {}
  for k, v in pairs(state.policy) do p[k] = v end
  p.seccomp = seccomp
  state.policy = p
end

-- The pid file is written whole or not at all: into a new file beside it (never through
-- a symlink), renamed over it once the sandbox is up. Errors show before the sandbox.
-- Its directory is opened once, here, and everything after (the new file, the rename,
-- the removal at the end) is done relative to that fd: whoever controls a directory
-- above it cannot swap in a symlink meanwhile and have hako-run (root) rename or remove
-- a file elsewhere. The directory itself must be root's or the caller's, and sticky if
-- others may write to it, so that nobody else can replace the file in it either.

local function pid_file_directory(core, what, dir)
  local dirfd, message = host_path.open(core, dir, { uid = core.geteuid() })
  if not dirfd then failure.raise(what, why(message)) end
  local st = check(core.statx(dirfd, "", core.AT_EMPTY_PATH))
  if st.type ~= "directory" then
    core.close(dirfd)
    failure.raise(what, "Not a directory")
  end
  local problem = host_path.untrusted(st, core.geteuid())
  local wrong = problem == "owner"
      and string.format("directory %s is owned by uid %d, not by root or the caller", dir, st.uid)
    or problem == "writable"
      and string.format("directory %s is writable by others and not sticky (mode %o)", dir, st.mode & 4095)
  if wrong then
    core.close(dirfd)
    failure.raise(what, wrong)
  end
  return dirfd
end

-- Whether dirfd/name is still the file of that identity (nobody replaced it).
function M.same_file(core, dirfd, name, id)
  local st = core.statx(dirfd, name, core.AT_SYMLINK_NOFOLLOW)
  return st ~= nil and st.ino == id.ino and st.dev_major == id.dev_major and st.dev_minor == id.dev_minor
end

function M.prepare_pid_file(step, state)
  local core = state.core
  local what = "--pid-file " .. step.path
  local dir, name = step.path:match("^(.*)/([^/]*)$")
  if not name or name == "" or name == "." or name == ".." then failure.raise(what, "not a file name") end
  local dirfd = pid_file_directory(core, what, dir == "" and "/" or dir)
  local file = { dirfd = dirfd, name = name, temporary = name .. ".tmp." .. core.getpid() }
  state.pid_file = file
  table.insert(state.cleanups, function()
    if file.fd then core.close(file.fd) end
    if file.id and M.same_file(core, dirfd, file.temporary, file.id) then core.unlinkat(dirfd, file.temporary) end
    core.close(dirfd)
  end)
  local st = core.statx(dirfd, name, core.AT_SYMLINK_NOFOLLOW)
  if st and st.type == "link" then failure.raise(what, "is a symbolic link, refused") end
  if st and st.type ~= "file" then failure.raise(what, "exists and is not a regular file") end
  local fd, message = core.openat2(dirfd, file.temporary,
    core.O_WRONLY | core.O_CREAT | core.O_EXCL | core.O_NOFOLLOW | core.O_CLOEXEC, PID_FILE_MODE,
    core.RESOLVE_BENEATH | core.RESOLVE_NO_SYMLINKS)
  if not fd then failure.raise(what, why(message)) end
  file.fd = fd
  file.id = check(core.statx(fd, "", core.AT_EMPTY_PATH))
end

function M.block_signals(step, state)
  local core = state.core
  local saved = check(core.sigprocmask(core.SIG_BLOCK, pid1.signal_numbers(core, step.signals)))
  state.saved_mask = saved
  table.insert(state.cleanups, function() core.sigprocmask(core.SIG_SETMASK, saved) end)
end

-- The records' directory, checked (and made) before the sandbox: a bad one is an error
-- that must leave nothing behind. --name is held there from now on (hako.sandboxes),
-- unless another running sandbox of the caller's has it.
function M.open_record_directory(step, state)
  local core = state.core
  local euid = core.geteuid()
  local dirfd = check(record.open_directory(core, step.dir, euid, true))
  state.record_dirfd = dirfd
  table.insert(state.cleanups, function() core.close(dirfd) end)
  if step.name then
    local sandboxes = require "hako.sandboxes"
    local places = sandboxes.places(core, record.directories(euid, os.getenv("XDG_RUNTIME_DIR")), euid)
    table.insert(state.cleanups, sandboxes.claim(core, dirfd, step.name, places))
  end
end


-- The supervisor's fd for --json-status-fd must be open before anything starts.
function M.check_status_fd(step, state)
  local core = state.core
  local st, message = core.statx(step.fd, "", core.AT_EMPTY_PATH)
  if not st then failure.raise_core("--json-status-fd " .. step.fd, message) end
end

-- sandbox -> host: how the command ended, written by hako's PID 1 just before it exits.
-- The host keeps both ends until the end and only reads what is there (poll first).
function M.open_result_pipe(_, state)
  local core = state.core
  local r, w = check(core.pipe2(core.O_CLOEXEC))
  state.result_r, state.result_w = r, w
  table.insert(state.cleanups, function()
    core.close(r)
    core.close(w)
  end)
end

-- The sandbox's cgroups (hako.cgroup), made and limited before it exists, a watcher that
-- removes them however hako-run ends, and the command's policy told which hierarchies
-- they are in (for the record: hako-enter puts its command into the sandbox's cgroup of
-- each, as the host sees it then, not as a record says).
function M.make_cgroups(step, state)
  local core = state.core
  -- Loaded here, before enter_target changes directory: only a sandbox with limits
  -- needs it (an eighteenth of hako-run's start-up instructions otherwise, callgrind).
  local cgroupfs = require "hako.cgroupfs"
  local mounts, self = cgroupfs.discover(core)
  local controllers = cgroupfs.v2_controllers(core, mounts, self, step.limits.parent)
  local plan = cgroup.plan(step.limits, mounts, self, controllers, "hako-" .. core.getpid())
  local planned = cgroup.all(plan)
  table.insert(state.cleanups, function()
    for _, cg in ipairs(planned) do cgroupfs.remove(core, cg) end
    if state.cgroup_watcher then core.close(state.cgroup_watcher) end
    for _, cg in ipairs(planned) do
      if cg.mountfd then core.close(cg.mountfd) end
    end
    for _, fd in ipairs(state.cgroup_procs or {}) do core.close(fd) end
    if state.cgroup_fd then core.close(state.cgroup_fd) end
  end)
  local entries = {}
  for _, cg in ipairs(planned) do
    if cg.mount:find("%s") then failure.raise("cgroup " .. cg.mount, "a mount point with a space is not supported") end
    cgroupfs.open(core, cg)
    entries[#entries + 1] = cg.mount
  end
  -- The watcher first: whatever of these exists when hako-run ends, however, it removes.
  state.cgroup_watcher = cgroupfs.watch(core, planned)
  state.cgroups, state.cgroup_procs = planned, {}
  for _, cg in ipairs(planned) do cgroupfs.create(core, cg) end
  for _, cg in ipairs(planned) do
    -- The sandbox starts in its v2 cgroup (clone3); the others it is moved into, held.
    if cg.kind == "v2" then
      state.cgroup_fd = cgroupfs.dirfd(core, cg)
    else
      state.cgroup_procs[#state.cgroup_procs + 1] = cgroupfs.procs(core, cg)
    end
  end
  state.policy.cgroups = entries
end

-- Whether the kernel's Landlock has what the policy wants (hako.landlock): a right it
-- lacks is an error with --landlock-required, or when there is no Landlock at all and an
-- option asked for it; otherwise one line on stderr when an option asked for it, and
-- nothing for hako's own defaults (--dry-run shows those).
function M.check_landlock(step, state)
  local l = state.policy.landlock
  if not l then return end
  local abi = state.core.landlock_abi() or 0
  state.landlock_abi = abi -- build_landlock's too: one question to the kernel, not two
  local missing, explicit = landlock.missing(l, abi)
  if #missing == 0 then return end
  local told = explicit
  for _, name in ipairs(missing) do
    told = told or (step.shared_net and name == "scope_abstract_unix_socket")
  end
  local lacking = landlock.describe(abi, missing)
  if l.required then failure.raise("landlock", lacking .. " (--landlock-required)") end
  if abi == 0 and explicit then failure.raise("landlock", lacking .. ", which an option needs") end
  if told then failure.warn(step.program, "landlock", lacking .. ": not applied") end
end

M.steps = {
  check_status_fd = M.check_status_fd, check_target = M.check_target,
  check_old_root = M.check_old_root, open_netns = M.open_netns, resolve_policy = M.resolve_policy,
  compile_syscall_filter = M.compile_syscall_filter,
  prepare_pid_file = M.prepare_pid_file, open_record_directory = M.open_record_directory,
  block_signals = M.block_signals, open_result_pipe = M.open_result_pipe,
  enter_target = M.enter_target, leave_target = M.leave_target, check_landlock = M.check_landlock,
  make_cgroups = M.make_cgroups,
}

return M
