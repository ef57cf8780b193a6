-- spec/fuzz/core_targets.lua: hako.core's functions that take strings, arrays and
-- integers from Lua, called with hostile arguments: paths with NUL bytes, huge strings,
-- arrays with holes or with other things than strings, integers past every C type, floats,
-- NaN, negative fds, values of the wrong type.
--
-- The C layer's contract (doc/ARCHITECTURE.md): a Lua argument error, or nil, a message
-- and an errno, or a result; never a crash. And a string the kernel reads as a C string
-- must not carry a NUL byte: the kernel would see it cut short there, a different path.
--
-- Nothing here may change the machine. Paths all lie under NOWHERE, whose parent does
-- not exist, so the kernel fails every lookup before it could create, remove or mount
-- anything, however a path is cut short. Calls that could act on this process (fds,
-- ids, signal masks, namespaces, hostname) run in a child of their own, which reports
-- and _exits. Only fds that are closed, out of range or /dev/null are given, and options
-- of prctl and fcntl that take a pointer are never chosen, nor sockets or file system
-- types that would make the kernel load a module.

local core = require "hako.core"
local mutate = require "fuzz.mutate"

local M = {}

M.NOWHERE = "/nonexistent-hako-fuzz/x"
assert(not core.statx(core.AT_FDCWD, M.NOWHERE:match("^/[^/]+"), 0), "the fuzzer's NOWHERE must not exist")
local DEVNULL = assert(core.open("/dev/null", core.O_RDWR | core.O_CLOEXEC))
local CLOSED = 2147483647 -- in range for an fd, and never open

-- Hostile values of each kind of argument; some are valid, so that the call goes on.
local INTEGERS = { 0, 1, -1, 2147483647, 2147483648, -2147483649, 4294967295, 4294967296, math.maxinteger,
  math.mininteger, 1.0, 1.5, -0.0, 2 ^ 63, 0 / 0, math.huge, -math.huge, "7", "0x10", "x", false, {} }
local NON_STRINGS = { false, true, {}, print, io.stdout }

local function integer(r)
  if r:chance(0.3) then return r:next64() >> r:int(0, 63) end
  return r:pick(INTEGERS)
end

-- Never an fd that is open here but /dev/null: not stdout, not the harness's pipes.
local BAD_FDS = { -1, -2147483649, 2147483648, math.maxinteger, math.mininteger, 1.5, 0 / 0, math.huge, "x",
  "2147483647", false, {} }
local function fd(r)
  return r:chance(0.6) and r:pick({ DEVNULL, CLOSED }) or r:pick(BAD_FDS)
end

local function path(r)
  if r:chance(0.1) then return r:pick(NON_STRINGS) end
  if r:chance(0.05) then return M.NOWHERE .. "/" .. ("a"):rep(r:int(255, 70000)) end
  return M.NOWHERE .. "/" .. mutate.text(r, "a/b", { "\0", "/", "..", "%s" })
end

-- A string the kernel reads to its first NUL: any bytes, NUL included, now and then huge.
local function cstring(r)
  if r:chance(0.1) then return r:pick(NON_STRINGS) end
  if r:chance(0.05) then return ("n"):rep(r:int(64, 1 << 20)) end
  return mutate.text(r, r:pick({ "name", "", "lo" }), { "\0" })
end

local function strings(r)
  local kind = r:int(1, 8)
  if kind == 1 then return r:pick({ "x", 1, false, print }) end
  if kind == 2 then return {} end
  if kind == 3 then return { "a\0b" } end
  if kind == 4 then return { "a", nil, "b" } end
  if kind == 5 then return { "a", 1, "b" } end
  if kind == 6 then -- what rawlen and rawgeti do not see
    return setmetatable({}, { __index = function() return "x" end, __len = function() return 3 end })
  end
  if kind == 7 then
    local list = {}
    for i = 1, r:int(1, 3) * 40000 do list[i] = "x" end
    return list
  end
  return { cstring(r), cstring(r) }
end

local function integers(r)
  local list = {}
  for i = 1, r:chance(0.05) and r:int(60000, 70000) or r:int(0, 4) do list[i] = integer(r) end
  if r:chance(0.1) then list[r:int(1, 5)] = nil end
  return list
end

local function seconds(r)
  return r:pick({ 0, 0.001, -1, -0.0, 0 / 0, math.huge, -math.huge, 1e300, 2 ^ 31, "0.001", "x", {}, false })
end

-- A BPF program the kernel refuses: its last instruction is never a return (0x06, 0x16).
local function program(r)
  if r:chance(0.2) then return r:pick({ "", "1234567", ("\0"):rep(8 * 4097), 5, {} }) end
  local text = r:bytes(8 * r:int(1, 8))
  return text:sub(1, -9) .. "\0\0" .. text:sub(-6)
end

local function one_of(values) return function(r) return r:chance(0.8) and r:pick(values) or integer(r) end end

local K = { path = path, fd = fd, int = integer, cstring = cstring, strings = strings, ints = integers,
  seconds = seconds, program = program }
K.dirfd = function(r) return r:chance(0.3) and core.AT_FDCWD or fd(r) end
K.pid = function(r) return r:chance(0.5) and r:int(1, 1 << 22) or integer(r) end
K.fstype = function(r) return r:pick({ "tmpfs", "tmpfs\0junk", "proc", false, {} }) end
K.prctl = one_of({ core.PR_GET_DUMPABLE, core.PR_SET_DUMPABLE, core.PR_GET_NO_NEW_PRIVS, core.PR_SET_NO_NEW_PRIVS,
  core.PR_CAPBSET_READ, core.PR_CAPBSET_DROP, core.PR_SET_KEEPCAPS, core.PR_CAP_AMBIENT, core.PR_SET_PDEATHSIG,
  core.PR_SET_CHILD_SUBREAPER })
K.fcntl = one_of({ core.F_GETFD, core.F_SETFD, core.F_GETFL, core.F_SETFL, core.F_SETOWN, core.F_ADD_SEALS,
  core.F_GET_SEALS })
K.domain = one_of({ core.AF_INET })
K.protocol = one_of({ 0 })
K.keyring = function(r) return not r:chance(0.2) and r:pick({ "x\0y", false, {}, 7 }) or nil end
K.ms = function(r) return r:pick({ 0, 1, -2, 2 ^ 31, 1.5, 0 / 0, "1", {} }) end -- never -1: for ever

-- name, child?, kinds of its arguments (a cstring or path kind is one the NUL rule holds for).
M.CALLS = {
  { "statx", false, "dirfd", "path", "int" }, { "open", false, "path", "int", "int" },
  { "openat2", false, "dirfd", "path", "int", "int", "int" }, { "readlinkat", false, "dirfd", "path" },
  { "faccessat", false, "dirfd", "path", "int", "int" }, { "readdir", false, "path" },
  { "chdir", false, "path" }, { "chroot", false, "path" }, { "mkdir", false, "path", "int" },
  { "mkdirat", false, "dirfd", "path", "int" }, { "mknodat", false, "dirfd", "path", "int", "int", "int" },
  { "symlinkat", false, "cstring", "dirfd", "path" }, { "unlink", false, "path" }, { "rename", false, "path", "path" },
  { "renameat", false, "dirfd", "path", "dirfd", "path" }, { "unlinkat", false, "dirfd", "path", "int" },
  { "mount", false, "path", "path", "cstring", "int", "cstring" }, { "umount2", false, "path", "int" },
  { "pivot_root", false, "path", "path" }, { "mount_setattr", false, "dirfd", "path", "int", "int", "int", "int" },
  { "open_tree", false, "dirfd", "path", "int" }, { "move_mount", false, "dirfd", "path", "dirfd", "path", "int" },
  { "clock_gettime", false, "int" }, { "getpgid", false, "pid" },
  { "close", true, "fd" }, { "close_range", true, "int", "int", "int" }, { "read", true, "fd", "int" },
  { "write", true, "fd", "cstring" }, { "pipe2", true, "int" }, { "poll", true, "fd", "int", "ms" },
  { "fcntl", true, "fd", "fcntl", "int" }, { "memfd_create", true, "cstring", "int" },
  { "sendfile", true, "fd", "fd", "int" }, { "fchdir", true, "fd" },
  { "execve", true, "path", "strings", "strings" }, { "execveat", true, "dirfd", "path", "strings", "strings", "int" },
  { "waitpid", true, "pid", "int" }, { "pidfd_open", true, "pid" }, { "pidfd_send_signal", true, "fd", "int" },
  { "setresuid", true, "int" }, { "setresgid", true, "int" }, { "setgroups", true, "ints" },
  { "capset", true, "int", "int", "int" }, { "sigprocmask", true, "int", "ints" },
  { "sigtimedwait", true, "ints", "seconds" }, { "unshare", true, "int" }, { "setns", true, "fd", "int" },
  { "seccomp_set_mode_filter", true, "program", "int" }, { "sethostname", "uts", "cstring" },
  { "socket", true, "domain", "int", "protocol" }, { "get_ifflags", true, "fd", "cstring" },
  { "set_ifflags", true, "fd", "cstring", "int" }, { "ns_get_owner_uid", true, "fd" },
  { "ns_get_parent", true, "fd" }, { "setpgid", true, "pid", "pid" }, { "tcgetpgrp", true, "fd" },
  { "tcsetpgrp", true, "fd", "pid" }, { "umask", true, "int" }, { "fsopen", true, "fstype", "int" },
  { "fsconfig", true, "fd", "int", "cstring", "cstring" }, { "fsmount", true, "fd", "int", "int" },
  { "prctl", true, "prctl", "int", "int", "int", "int" }, { "join_session_keyring", true, "keyring" },
}
-- Where sethostname's string is not a C string: the kernel takes its length.
local NOT_C_STRING = { sethostname = true, write = true }
-- Calls whose last argument left out means "wait for ever".
local WAITS_WITHOUT_ALL = { sigtimedwait = true, poll = true }

local function call_of(name)
  for _, c in ipairs(M.CALLS) do
    if c[1] == name then return c end
  end
end

-- judge(call, args, n, ok, ...) -> nil if the answer of call(table.unpack(args, 1, n))
-- keeps the contract, else what is wrong.
function M.judge(call, args, n, ok, first, message, errno)
  local nul
  for i = 3, math.min(#call, n + 2) do
    local a = args[i - 2]
    if (call[i] == "path" or call[i] == "cstring" or call[i] == "fstype") and not NOT_C_STRING[call[1]]
      and type(a) == "string" and a:find("\0", 1, true) then nul = i - 2 end
  end
  if not ok then
    if not tostring(first):find("bad argument", 1, true) then
      return "an error that is no argument error: " .. tostring(first)
    end
    return nil
  end
  if nul then return "argument #" .. nul .. " has a NUL byte, and the call went on" end
  if first == nil and (type(message) ~= "string" or math.type(errno) ~= "integer" or errno <= 0) then
    return "failed without a message and an errno"
  end
end

local function perform(input)
  local call = call_of(input.fn)
  return M.judge(call, input.args, input.n, pcall(core[input.fn], table.unpack(input.args, 1, input.n)))
end

-- In a child: the report goes through a pipe; the child's end is the parent's answer.
local function in_child(input, setup)
  local r, w = assert(core.pipe2(core.O_CLOEXEC))
  local pid = assert(core.clone(0))
  if pid == 0 then
    debug.sethook()
    core.close(r)
    if setup == "uts" and not core.unshare(core.CLONE_NEWUTS) then core._exit(0) end
    local ok, problem = pcall(perform, input)
    if not ok then problem = "the harness: " .. tostring(problem) end
    if problem then core.write(w, problem) end
    core._exit(0)
  end
  core.close(w)
  local ready = core.poll(r, core.POLLIN, 1000)
  local said = ready ~= 0 and core.read(r, 4096) or ""
  core.close(r)
  if ready == 0 then core.kill(pid, core.SIGKILL) end
  local _, how, code = core.waitpid(pid)
  if input.fn == "seccomp_set_mode_filter" and said == "" then return nil end
  if ready == 0 then return "hung over 1 s" end
  if how ~= "exited" or code ~= 0 then return "the child " .. how .. " " .. code .. ": a crash" end
  if said ~= "" then return said end
end

M.core = {
  name = "core",
  generate = function(r)
    local call = r:pick(M.CALLS)
    local args, n = {}, #call - 2
    for i = 3, #call do args[i - 2] = K[call[i]](r) end
    if r:chance(0.1) and not WAITS_WITHOUT_ALL[call[1]] then n = r:int(0, n) end -- arguments left out
    return { fn = call[1], args = args, n = n }
  end,
  mutate = function(r, input)
    local call = call_of(input.fn)
    if #call > 2 then
      local i = r:int(3, #call)
      input.args[i - 2] = K[call[i]](r)
    end
    return input
  end,
  run = function(input)
    local child = call_of(input.fn)[2]
    if child then return in_child(input, child) end
    return perform(input)
  end,
}

return M
