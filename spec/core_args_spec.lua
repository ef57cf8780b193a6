-- core_args_spec: hako.core's integer arguments are checked before C narrows them. A Lua
-- integer has 64 bits; cast to an int, 2^32 + 1000 would be fd 1000, 2^32 a pid of 0
-- (the caller's process group). Each call below must raise an argument error; unchecked,
-- it would make a different call silently (the values are picked so that that call is
-- harmless: an fd nothing has open, signal 0, WNOHANG, a path that does not exist).
local lu = require "luaunit"
local core = require "hako.core"

local BIG = 1 << 32       -- the smallest value an int cannot hold: truncated, 0
local HUGE = 1 << 40
local FD = BIG + 1000     -- truncated: fd 1000, which nothing here has open
local NOWHERE = "/nonexistent/hako-core-args"

-- Each: a name, and a function making the call with one argument out of range.
local CALLS = {
  { "close fd", function() return core.close(FD) end },
  { "close negative fd", function() return core.close(-1) end },
  { "close_range first", function() return core.close_range(FD, FD, 0) end },
  { "close_range flags", function() return core.close_range(FD, FD, BIG) end },
  { "read fd", function() return core.read(FD, 1) end },
  { "write fd", function() return core.write(FD, "x") end },
  { "pipe2 flags", function() return core.pipe2(BIG) end },
  { "poll fd", function() return core.poll(FD, core.POLLIN, 0) end },
  { "poll events", function() return core.poll(1000, 1 << 16, 0) end },
  { "poll timeout", function() return core.poll(1000, core.POLLIN, HUGE) end },
  { "open flags", function() return core.open(NOWHERE, BIG | core.O_RDONLY) end },
  { "open mode", function() return core.open(NOWHERE, core.O_RDONLY, HUGE) end },
  { "openat2 dirfd", function() return core.openat2(FD, NOWHERE, core.O_RDONLY) end },
  { "openat2 flags", function() return core.openat2(core.AT_FDCWD, NOWHERE, -1) end },
  { "statx dirfd", function() return core.statx(FD, "x") end },
  { "statx flags", function() return core.statx(core.AT_FDCWD, NOWHERE, BIG) end },
  { "renameat dirfd", function() return core.renameat(FD, "a", core.AT_FDCWD, NOWHERE) end },
  { "unlinkat dirfd", function() return core.unlinkat(-HUGE, "a") end },
  { "faccessat mode", function() return core.faccessat(core.AT_FDCWD, NOWHERE, BIG | core.F_OK) end },
  { "fcntl fd", function() return core.fcntl(FD, core.F_GETFD) end },
  { "fcntl arg", function() return core.fcntl(1000, core.F_SETFD, HUGE) end },
  { "memfd_create flags", function() return core.memfd_create("x", BIG) end },
  { "sendfile fd", function() return core.sendfile(FD, FD, 1) end },
  { "sendfile count", function() return core.sendfile(1000, 1000, -1) end },
  { "fchdir fd", function() return core.fchdir(FD) end },
  { "readlinkat dirfd", function() return core.readlinkat(FD, "") end },
  { "ns_get_owner_uid fd", function() return core.ns_get_owner_uid(FD) end },
  { "mkdir mode", function() return core.mkdir(NOWHERE, HUGE) end },
  { "mkdirat dirfd", function() return core.mkdirat(FD, "x") end },
  { "mknodat mode", function() return core.mknodat(core.AT_FDCWD, NOWHERE, BIG | core.S_IFCHR, 1, 3) end },
  { "mknodat major", function() return core.mknodat(core.AT_FDCWD, NOWHERE, core.S_IFCHR, BIG + 1, 3) end },
  { "symlinkat dirfd", function() return core.symlinkat("x", FD, "y") end },
  { "umask", function() return core.umask(BIG | 18) end }, -- 18: 022, the usual
  { "kill pid", function() return core.kill(BIG, 0) end },
  { "kill signal", function() return core.kill(core.getpid(), BIG) end },
  { "kill signal past the last", function() return core.kill(core.getpid(), 65) end },
  { "waitpid pid", function() return core.waitpid(HUGE, core.WNOHANG) end },
  { "waitpid options", function() return core.waitpid(-1, BIG | core.WNOHANG) end },
  { "pidfd_open pid", function() return core.pidfd_open(BIG + core.getpid()) end },
  { "pidfd_send_signal signal", function() return core.pidfd_send_signal(1000, BIG) end },
  { "getsid pid", function() return core.getsid(BIG) end },
  { "prctl option", function() return core.prctl(BIG + core.PR_GET_DUMPABLE) end },
  { "prctl argument", function() return core.prctl(core.PR_CAPBSET_READ, -1) end },
  { "execveat dirfd", function() return core.execveat(FD, NOWHERE, { "x" }, {}) end },
  { "unshare flags", function() return core.unshare(BIG) end },
  { "setns fd", function() return core.setns(FD, 0) end },
  { "socket domain", function() return core.socket(BIG + core.AF_INET, core.SOCK_DGRAM) end },
  { "sendto_unix fd", function() return core.sendto_unix(FD, "x", NOWHERE) end },
  { "set_ifflags flags", function() return core.set_ifflags(1000, "lo", 1 << 16) end },
  { "ns_get_nstype fd", function() return core.ns_get_nstype(FD) end },
  { "mount flags", function() return core.mount(nil, NOWHERE, nil, HUGE) end },
  { "umount2 flags", function() return core.umount2(NOWHERE, BIG) end },
  { "mount_setattr attr", function() return core.mount_setattr(core.AT_FDCWD, NOWHERE, 0, -1) end },
  { "open_tree dirfd", function() return core.open_tree(FD, NOWHERE) end },
  { "move_mount flags", function() return core.move_mount(1000, "", 1000, "", BIG) end },
  { "fsopen flags", function() return core.fsopen("tmpfs", BIG) end },
  { "fsconfig cmd", function() return core.fsconfig(1000, -1) end },
  { "fsmount fd", function() return core.fsmount(FD) end },
  { "sigprocmask how", function() return core.sigprocmask(BIG + core.SIG_BLOCK, {}) end },
  { "sigtimedwait timeout", function() return core.sigtimedwait({ core.SIGUSR2 }, 1e300) end },
  { "clock_gettime clock", function() return core.clock_gettime(BIG + core.CLOCK_MONOTONIC) end },
  { "setpgid pid", function() return core.setpgid(BIG, 0) end },
  { "tcsetpgrp fd", function() return core.tcsetpgrp(FD, 1) end },
  { "seccomp flags", function() return core.seccomp_set_mode_filter(string.rep("\255", 8), BIG) end },
  { "setresuid id", function() return core.setresuid(BIG) end },
}

TestCoreArgs = {}

function TestCoreArgs.test_out_of_range_integers_raise_argument_errors()
  local wrong = {}
  for _, call in ipairs(CALLS) do
    local ok, err = pcall(call[2])
    if ok or not tostring(err):find("bad argument", 1, true) or not tostring(err):find("range", 1, true) then
      wrong[#wrong + 1] = call[1] .. ": " .. (ok and "no error" or tostring(err))
    end
  end
  lu.assertEquals(wrong, {})
end

-- An exit status has 8 bits: _exit(256) would be a success. Tried in a child.
function TestCoreArgs.test_exit_status_out_of_range()
  local pid = assert(core.clone(0))
  if pid == 0 then
    pcall(core._exit, 256)
    core._exit(3) -- refused, as it should be
  end
  lu.assertEquals({ core.waitpid(pid) }, { pid, "exited", 3 })
end

function TestCoreArgs.test_the_message_names_the_argument_and_the_value()
  local ok, err = pcall(core.close, FD)
  lu.assertFalse(ok)
  lu.assertStrContains(err, "bad argument #1 to 'hako.core.close' (4294968296 out of range [0, 2147483647])")
end

-- The ends of each range still reach the kernel, which answers for itself.
function TestCoreArgs.test_values_in_range_are_passed_on()
  local _, _, errno = core.close(0x7fffffff)
  lu.assertEquals(errno, 9) -- EBADF
  _, _, errno = core.kill(0x7fffffff, 0)
  lu.assertEquals(errno, core.ESRCH)
  lu.assertEquals(core.statx(core.AT_FDCWD, "/").type, "directory") -- AT_FDCWD is negative
  lu.assertNotNil(core.waitpid(-1, core.WNOHANG) or true) -- -1: any child
  local r, w = assert(core.pipe2(core.O_CLOEXEC))
  lu.assertEquals(core.poll(r, core.POLLIN, 0), 0)
  core.close(r)
  core.close(w)
  -- flags left out: the arrays' userdata once stood in for them
  _, _, errno = core.execveat(core.AT_FDCWD, NOWHERE, { "x" }, {})
  lu.assertEquals(errno, core.ENOENT)
  local old = core.umask(511) -- 0777
  lu.assertEquals(core.umask(old), 511)
end

os.exit(lu.LuaUnit.run("-o", "tap"))
