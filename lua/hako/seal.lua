-- hako.seal: make sure this process runs from a binary that nothing can write.
--
-- A sandbox's /bin/sh may start with "#!/proc/self/exe": exec'ing it from a process of
-- ours runs our own binary inside the sandbox, which can then keep a descriptor of it and
-- write it once we are gone (runc CVE-2019-5736). A binary on a read-only mount is safe
-- as it is; otherwise ensure() copies it into a sealed memfd and execs that, with the
-- same arguments and environment. The new process finds itself sealed and goes on.

local failure = require "hako.failure"

local check = failure.check

local M = {}

-- safe(core) -> true when /proc/self/exe is a sealed memfd or on a read-only mount.
function M.safe(core)
  local exe = check(core.open("/proc/self/exe", core.O_RDONLY | core.O_CLOEXEC))
  local seals = core.fcntl(exe, core.F_GET_SEALS)
  core.close(exe)
  if seals and seals & core.F_SEAL_WRITE ~= 0 then return true end
  local _, _, errno = core.faccessat(core.AT_FDCWD, "/proc/self/exe", core.W_OK)
  return errno == core.EROFS
end

-- ensure(core, argv): returns if safe, else execs a sealed copy (and returns only by error).
function M.ensure(core, argv)
  if M.safe(core) then return end
  local exe = check(core.open("/proc/self/exe", core.O_RDONLY | core.O_CLOEXEC))
  local memfd = check(core.memfd_create("hako", core.MFD_CLOEXEC | core.MFD_ALLOW_SEALING))
  repeat
    local n = check(core.sendfile(memfd, exe, 1 << 20))
  until n == 0
  core.close(exe)
  check(core.fcntl(memfd, core.F_ADD_SEALS,
    core.F_SEAL_SEAL | core.F_SEAL_SHRINK | core.F_SEAL_GROW | core.F_SEAL_WRITE))
  io.stdout:flush()
  io.stderr:flush()
  check(core.execveat(memfd, "", argv, core.environ(), core.AT_EMPTY_PATH))
end

return M
