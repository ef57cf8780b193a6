-- support/fake_core.lua: a stand-in for hako.core that records every call and answers
-- from a script, so the executor can be tested without root or a kernel.
--
-- Strict: a call nobody scripted raises "fake core: unscripted call NAME", so a test
-- cannot pass while the code makes calls it never thought about; a test that means
-- "anything goes" for some calls says so with allow(). A constant the fake lacks raises
-- "fake core: no constant NAME" (hako.core would give nil): add it below.

local M = {}

-- Flags, which the code combines with |: each a bit of its own, so that a flag left out,
-- added or mistaken for another shows in the value. S_IFCHR is combined with a mode:
-- it comes last, far above the mode's bits.
local CONSTANTS = {
  "CLONE_NEWNS", "CLONE_NEWPID", "CLONE_NEWIPC", "CLONE_NEWUTS", "CLONE_NEWNET", "CLONE_NEWUSER",
  "CLONE_NEWCGROUP", "CLONE_NEWTIME", "WNOHANG", "WUNTRACED",
  "O_CLOEXEC", "O_PATH", "O_DIRECTORY", "O_RDONLY", "O_WRONLY", "O_CREAT", "O_EXCL", "O_NOFOLLOW",
  "O_ASYNC", "O_NONBLOCK", "AT_SYMLINK_NOFOLLOW", "AT_EMPTY_PATH", "AT_RECURSIVE",
  "RESOLVE_BENEATH", "RESOLVE_NO_SYMLINKS", "RESOLVE_IN_ROOT", "RESOLVE_NO_MAGICLINKS", "RESOLVE_NO_XDEV",
  "MS_REC", "MS_PRIVATE", "MS_BIND", "MNT_DETACH", "UMOUNT_NOFOLLOW",
  "MOUNT_ATTR_NOSUID", "MOUNT_ATTR_NODEV", "MOUNT_ATTR_RDONLY", "MOUNT_ATTR_NOEXEC",
  "OPEN_TREE_CLONE", "OPEN_TREE_CLOEXEC", "MOVE_MOUNT_F_EMPTY_PATH", "MOVE_MOUNT_T_EMPTY_PATH",
  "FSOPEN_CLOEXEC", "FSMOUNT_CLOEXEC", "CLOSE_RANGE_CLOEXEC", "FD_CLOEXEC",
  "MFD_CLOEXEC", "MFD_ALLOW_SEALING", "F_SEAL_SEAL", "F_SEAL_SHRINK", "F_SEAL_GROW", "F_SEAL_WRITE",
  "POLLIN", "POLLHUP", "SOCK_DGRAM", "SOCK_CLOEXEC", "IFF_UP", "W_OK", "S_IFCHR",
  "MOUNT_ATTR_IDMAP", "SOCK_SEQPACKET", "LOCK_SH", "LOCK_EX", "LOCK_NB", "O_RDWR",
}

-- Numbers the code compares and never combines. Signals and errnos are Linux's (x86_64,
-- like the seccomp filter's): the result pipe and the filter carry them as they are.
local SIGNALS = {
  SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15,
  SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22,
  SIGWINCH = 28, SIGIO = 29,
}
local ERRNOS = {
  EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EAGAIN = 11, EACCES = 13, EEXIST = 17,
  ENOTDIR = 20, EINVAL = 22, ENOSPC = 28, EROFS = 30, ENOSYS = 38, ELOOP = 40, EBADMSG = 74,
}
-- The others: each a number no other constant, fd or pid of the specs has.
local NUMBERS = {
  "AT_FDCWD", "PR_SET_PDEATHSIG", "PR_SET_NO_NEW_PRIVS", "PR_CAPBSET_DROP", "PR_CAPBSET_READ",
  "PR_CAP_AMBIENT", "PR_CAP_AMBIENT_CLEAR_ALL", "PR_CAP_AMBIENT_RAISE", "PR_SET_KEEPCAPS",
  "PR_SET_DUMPABLE", "SI_USER", "SI_KERNEL", "CLOCK_MONOTONIC", "F_GETFL", "F_SETFL", "F_SETOWN",
  "F_SETFD", "F_ADD_SEALS", "F_GET_SEALS", "FSCONFIG_SET_STRING", "FSCONFIG_CMD_CREATE", "AF_INET",
}

local Sequence = {}

-- sequence({results...}, ...) -> an answer that gives each tuple of results in turn, one
-- call each; a call after the last is unscripted.
function M.sequence(...)
  return setmetatable({ ... }, Sequence)
end

-- allow(answers, names) -> answers, where each of names not already answered answers
-- true: for a test that does not care what those calls are, said where it is so.
function M.allow(answers, names)
  for _, name in ipairs(names) do
    if answers[name] == nil then answers[name] = true end
  end
  return answers
end

-- The results of an answer; nil and a used-up sequence have none: the call is unscripted.
local function results_of(answer, ...)
  if type(answer) == "function" then return true, answer(...) end
  if getmetatable(answer) == Sequence then
    local results = table.remove(answer, 1)
    if not results then return false, " (its sequence is used up)" end
    return true, table.unpack(results, 1, results.n or #results)
  end
  if answer == nil then return false, "" end
  return true, answer
end

local function answered(name, ok, ...)
  if not ok then error("fake core: unscripted call " .. name .. ..., 2) end
  return ...
end

-- new(answers) -> core, calls. answers[name] is a value returned as it is, a function(...)
-- returning the results, or a sequence(). Every call is recorded in calls, { name, args... },
-- an unscripted one too (it then raises).
function M.new(answers)
  local core, calls = {}, {}
  for i, name in ipairs(CONSTANTS) do core[name] = 1 << i end
  for i, name in ipairs(NUMBERS) do core[name] = 1000 + i end
  for name, number in pairs(SIGNALS) do core[name] = number end
  for name, number in pairs(ERRNOS) do core[name] = number end
  core.SIG_BLOCK, core.SIG_SETMASK = 0, 2
  -- x86_64's, which the seccomp filter needs as they are
  core.AUDIT_ARCH_NATIVE, core.TIOCSTI, core.TIOCLINUX = 0xC000003E, 0x5412, 0x541C
  setmetatable(core, {
    __index = function(_, name)
      if type(name) == "string" and name:match("^[A-Z]") then error("fake core: no constant " .. name, 2) end
      return function(...)
        calls[#calls + 1] = { name, ... }
        return answered(name, results_of(answers[name], ...))
      end
    end,
  })
  return core, calls
end

-- The calls named `name`, in order.
function M.calls_named(calls, name)
  local found = {}
  for _, call in ipairs(calls) do
    if call[1] == name then found[#found + 1] = call end
  end
  return found
end

-- The names of the calls, in order: what a test compares when the arguments are another's.
function M.names(calls)
  local found = {}
  for i, call in ipairs(calls) do found[i] = call[1] end
  return found
end

return M
