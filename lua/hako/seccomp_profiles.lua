-- hako.seccomp_profiles: the built-in seccomp profiles, as policy text (so that
-- `hako-seccomp --print` shows them and they are read like any policy file), resolved by
-- name. A policy file includes one with `@include <default>`. Pure.
--
-- default: an allow-list modeled on what Docker's default profile allows, so real programs
--   work (shells with job control, compilers, interpreters, git, apt and dpkg as root
--   inside, threads, ptrace for debuggers); a call it does not know (a new one) fails with
--   ENOSYS, as on a kernel without it; the calls that reach the host's kernel state or a
--   large attack surface fail with EPERM, each group with its reason.
-- strict: default without networking (sockets of AF_UNIX only), without process creation
--   beyond fork, vfork, threads and exec (no namespaces at all), without ptrace and
--   process_vm_*, personality only asked, not changed, and no hostname change.
-- nested-userns: rules put before a profile for programs that need user namespaces of
--   their own (browsers' sandboxes): clone and unshare with CLONE_NEWUSER among the flags.

local groups = require "hako.seccomp_groups"
local rules = require "hako.seccomp_rules"

local M = {}

-- A group's why as comment lines of at most 90 columns.
local function comment(text)
  local lines, line = {}, "#"
  for word in text:gmatch("%S+") do
    if #line + #word + 1 > 90 then
      lines[#lines + 1] = line
      line = "#"
    end
    line = line .. " " .. word
  end
  lines[#lines + 1] = line
  return table.concat(lines, "\n") .. "\n"
end

-- The groups both profiles close with EPERM, and the single calls closed with them.
local CLOSED_GROUPS = { "keyring", "io-uring", "kernel-tracing", "module", "reboot", "mount", "swap",
  "clock", "privileged", "file-handles", "cpu-emulation" }

local function closed()
  local parts = {}
  for _, name in ipairs(CLOSED_GROUPS) do
    parts[#parts + 1] = comment(groups.groups[name].why) .. "errno EPERM @" .. name .. "\n"
  end
  return table.concat(parts) .. [[
# setns joins another process's namespaces: the sandbox's are hako's and must stay so.
errno EPERM setns
# kcmp compares kernel objects of two processes, which orders kernel pointers (a KASLR
# leak); Docker gives it only with CAP_SYS_PTRACE.
errno EPERM kcmp
# clone3 passes its flags in memory, which a filter cannot read: ENOSYS makes libc fall
# back to clone, whose flags the rules below can see.
errno ENOSYS clone3
]]
end

-- Namespace flags: CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET for clone,
-- and CLONE_NEWTIME (0x80) for unshare as well (in clone's flags 0x80 is part of the exit
-- signal, CSIGNAL, so clone cannot ask for a time namespace).
local DEFAULT = [[
# hako's default seccomp profile (hako-seccomp(5)).
default errno ENOSYS

# What programs do, all of it on the sandbox's own files, processes and namespaces.
allow @basic-io @file-system @chown @io-event @ipc @memory @process @signal @timer
allow @network-io @credentials @resources @system-info @sandbox @debug
# The sandbox has a UTS namespace of its own.
allow sethostname setdomainname

# A socket of any family but AF_VSOCK, the host's channel to hypervisors, whose kernel
# code has had exploitable bugs. The kernel reads the family as an int: only the low 32
# bits are compared. i386's socketcall hides its arguments in memory, so it is not
# allowed (ENOSYS): 32-bit programs use the socket calls of Linux 4.3 and later.
errno EPERM socket: arg0 & 0xffffffff == AF_VSOCK
allow socket

# New namespaces would let a program inside rearrange what hako set up, and a user
# namespace opens kernel code meant for root to the sandbox (see nested-userns).
allow clone: arg0 & 0x7e020000 == 0
errno EPERM clone
allow unshare: arg0 & 0x7e020080 == 0
errno EPERM unshare

# personality flags beyond these turn off address space randomization
# (ADDR_NO_RANDOMIZE) or make data executable (READ_IMPLIES_EXEC). The kernel reads an
# unsigned int: only the low 32 bits are compared.
allow personality: arg0 & 0xffffffff in PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, PER_QUERY
errno EPERM personality

]]

-- clone as fork (SIGCHLD, CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID), vfork and
-- posix_spawn (CLONE_VM|CLONE_VFORK) and pthread_create (CLONE_VM|CLONE_FS|CLONE_FILES|
-- CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|
-- CLONE_CHILD_CLEARTID) use it: these flags and CSIGNAL are 0x13d4fff; the mask is the rest.
local STRICT = [[
# hako's strict seccomp profile (hako-seccomp(5)): the default one without networking,
# namespaces, debugging or persona changes.
default errno ENOSYS

allow @basic-io @file-system @chown @io-event @ipc @memory @process @signal @timer
allow @credentials @resources @system-info @sandbox

# Sockets of AF_UNIX only: no network, also none the sandbox's namespace could reach.
allow socket socketpair: arg0 & 0xffffffff == AF_UNIX
errno EPERM socket socketpair
allow @network-io

# clone as fork, vfork, posix_spawn and threads use it, with no other flag.
allow clone: arg0 & 0xfffffffffec2b000 == 0
errno EPERM clone
errno EPERM unshare

# Debugging other processes, reading their memory or taking their files.
errno EPERM @debug
# The sandbox's hostname stays what hako set.
errno EPERM sethostname setdomainname
# Only asking for the persona.
allow personality: arg0 & 0xffffffff == PER_QUERY
errno EPERM personality

]]

local NESTED_USERNS = [[
# Programs that sandbox themselves with user namespaces (browsers, bwrap, unshare -U):
# clone and unshare when CLONE_NEWUSER is among the flags. The new namespaces are then
# owned by the new user namespace, whose powers reach nothing of the host's; what is
# opened is kernel code meant for root, reachable by the program. setns stays closed:
# a program enters its own namespaces by creating them, not by joining others.
allow clone unshare: arg0 & CLONE_NEWUSER == CLONE_NEWUSER
]]

-- Built on first use: hako-run without --seccomp PROFILE need not pay for it.
local TEXTS = setmetatable({}, { __index = function(t, name)
  local text = ({ default = DEFAULT, strict = STRICT })[name]
  if text then text = text .. closed() end
  if name == "nested-userns" then text = NESTED_USERNS end
  rawset(t, name, text or false)
  return text or false
end })

-- The names `--seccomp PROFILE` takes; nested-userns is a part to put before one.
M.NAMES = { "default", "strict" }

-- text(name) -> the policy text of a built-in profile (or of the nested-userns part), or nil.
function M.text(name)
  return type(name) == "string" and TEXTS[name] or nil
end

-- profile(name) -> the resolved policy of a built-in profile, or nil.
function M.profile(name)
  if name == "nested-userns" or not M.text(name) then return nil end
  return rules.parse(TEXTS[name], "<" .. name .. ">")
end

-- nested_userns(policy) -> a copy of policy with the nested-userns rules first.
function M.nested_userns(policy)
  local first = rules.parse("default allow\n" .. NESTED_USERNS, "<nested-userns>").rules
  local copy = { default = policy.default, unknown = policy.unknown, abis = policy.abis, rules = first }
  table.move(policy.rules, 1, #policy.rules, #first + 1, copy.rules)
  return copy
end

return M
