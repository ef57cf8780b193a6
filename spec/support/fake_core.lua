-- support/fake_core.lua: a stand-in for hako.core that records every call and answers
-- from a script, so the executor can be tested without root or a kernel.

local M = {}

local CONSTANTS = {
  "CLONE_NEWNS", "CLONE_NEWPID", "CLONE_NEWIPC", "CLONE_NEWUTS", "CLONE_NEWNET", "CLONE_NEWUSER",
  "SIG_BLOCK", "SIG_SETMASK", "SIGCHLD", "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1",
  "SIGUSR2", "SIGWINCH", "SIGKILL", "WNOHANG", "O_CLOEXEC", "AT_FDCWD", "AT_SYMLINK_NOFOLLOW",
  "MS_REC", "MS_PRIVATE", "MS_BIND", "MNT_DETACH", "PR_SET_PDEATHSIG", "POLLIN", "POLLHUP",
  "ENOENT", "EACCES", "ENOTDIR", "EINTR", "EAGAIN", "EINVAL", "ELOOP", "PR_SET_NO_NEW_PRIVS",
  "PR_CAPBSET_DROP", "PR_CAP_AMBIENT", "PR_CAP_AMBIENT_CLEAR_ALL", "PR_CAP_AMBIENT_RAISE",
  "PR_SET_KEEPCAPS", "O_PATH", "O_DIRECTORY", "AT_EMPTY_PATH", "AT_RECURSIVE",
  "MOUNT_ATTR_NOSUID", "MOUNT_ATTR_NODEV", "MOUNT_ATTR_RDONLY", "MOUNT_ATTR_NOEXEC",
  "SIGCONT", "SI_USER", "SI_KERNEL", "CLOCK_MONOTONIC",
  "EEXIST", "EPERM", "ESRCH", "O_RDONLY", "O_WRONLY", "O_CREAT", "O_EXCL", "O_NOFOLLOW",
  "RESOLVE_BENEATH", "RESOLVE_NO_SYMLINKS", "PR_SET_DUMPABLE", "PR_CAPBSET_READ",
  "CLOSE_RANGE_CLOEXEC", "CLONE_NEWCGROUP", "CLONE_NEWTIME",
  "WUNTRACED", "SIGIO", "SIGTTOU", "SIGSTOP", "SIGTSTP", "O_ASYNC", "O_NONBLOCK", "F_GETFL",
  "F_SETFL", "F_SETOWN", "RESOLVE_IN_ROOT", "RESOLVE_NO_MAGICLINKS", "SIGTTIN",
  "OPEN_TREE_CLONE", "OPEN_TREE_CLOEXEC", "MOVE_MOUNT_F_EMPTY_PATH", "UMOUNT_NOFOLLOW",
}

local Sequence = {}

-- sequence({results...}, ...) -> an answer that gives each tuple of results in turn.
function M.sequence(...)
  return setmetatable({ ... }, Sequence)
end

-- new(answers) -> core, calls. answers[name] is a value returned as it is, a function(...)
-- returning the results, or a sequence(). Unanswered calls return true.
function M.new(answers)
  local core, calls = {}, {}
  for i, name in ipairs(CONSTANTS) do core[name] = 1 << i end
  core.SIG_BLOCK, core.SIG_SETMASK = 0, 2
  -- x86_64's, which the seccomp filter needs as they are
  core.AUDIT_ARCH_NATIVE, core.TIOCSTI, core.TIOCLINUX, core.EPERM = 0xC000003E, 0x5412, 0x541C, 1
  setmetatable(core, {
    __index = function(_, name)
      return function(...)
        calls[#calls + 1] = { name, ... }
        local answer = answers[name]
        if type(answer) == "function" then return answer(...) end
        if getmetatable(answer) == Sequence then
          local results = table.remove(answer, 1) or {}
          return table.unpack(results, 1, results.n or #results)
        end
        if answer ~= nil then return answer end
        return true
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

return M
