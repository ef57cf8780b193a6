-- seccomp_profiles_spec: hako's built-in seccomp profiles (hako.seccomp_profiles): what
-- each decides for the calls issue 13 lists, for the calls real programs make, and that
-- every name in them is a kernel's. Pure.
local lu = require "luaunit"
local decide = require "support.seccomp_decide"
local groups = require "hako.seccomp_groups"
local profiles = require "hako.seccomp_profiles"
local rules = require "hako.seccomp_rules"

local ALLOW, EPERM, ENOSYS = { kind = "allow" }, { kind = "errno", errno = 1 }, { kind = "errno", errno = 38 }

-- clone flags as libc passes them
local SIGCHLD = 17
local FORK = 0x1000000 | 0x200000 | SIGCHLD                  -- CHILD_SETTID|CHILD_CLEARTID
local VFORK = 0x100 | 0x4000 | SIGCHLD                        -- VM|VFORK (also posix_spawn)
local THREAD = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000 | 0x100000 | 0x200000
local NEW = { NEWNS = 0x20000, NEWCGROUP = 0x2000000, NEWUTS = 0x4000000, NEWIPC = 0x8000000,
  NEWUSER = 0x10000000, NEWPID = 0x20000000, NEWNET = 0x40000000 }

-- Every call issue 13 (and the task) names as closed with EPERM, in both profiles.
local CLOSED = { "keyctl", "add_key", "request_key", "io_uring_setup", "io_uring_enter", "io_uring_register",
  "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module",
  "delete_module", "fsopen", "fsconfig", "fsmount", "fspick", "open_tree", "move_mount", "mount_setattr",
  "mount", "umount2", "pivot_root", "setns", "swapon", "swapoff", "syslog", "settimeofday", "clock_settime",
  "clock_adjtime", "adjtimex", "reboot", "kcmp", "acct", "quotactl", "lookup_dcookie", "name_to_handle_at",
  "open_by_handle_at", "vhangup" }

-- Calls real programs make (bash, python3, gcc, git, apt and dpkg as root, threads).
local USED = { "read", "write", "pread64", "sendfile", "splice", "openat", "newfstatat", "statx", "execve",
  "wait4", "futex", "epoll_wait", "epoll_pwait", "ppoll", "rt_sigaction", "rt_sigreturn", "setpgid", "ioctl",
  "getrandom", "memfd_create", "inotify_init1", "timerfd_create", "clock_nanosleep", "setresuid", "setgroups",
  "fchownat", "chown", "utimensat", "rename", "fsync", "prctl", "seccomp", "rseq", "set_robust_list", "mmap",
  "mprotect", "madvise", "getdents64", "pipe2", "dup3", "fcntl", "umask", "uname", "sched_getaffinity",
  "prlimit64", "kill", "tgkill", "landlock_create_ruleset", "connect", "sendmsg", "fork", "vfork" }

local default, strict = profiles.profile("default"), profiles.profile("strict")

TestSeccompProfiles = {}

function TestSeccompProfiles.test_both_close_the_listed_calls_with_eperm()
  for _, p in ipairs({ default, strict }) do
    for _, name in ipairs(CLOSED) do lu.assertEquals(decide(p, name, { 0 }), EPERM, name) end
  end
end

function TestSeccompProfiles.test_an_unknown_call_gets_enosys_and_clone3_too()
  for _, p in ipairs({ default, strict }) do
    lu.assertEquals(p.default, ENOSYS)
    lu.assertEquals(p.unknown, "error")
    lu.assertNil(p.abis)
    lu.assertEquals(decide(p, "a_call_of_linux_9"), ENOSYS)
    lu.assertEquals(decide(p, "clone3", { 0 }), ENOSYS)
    lu.assertEquals(decide(p, "socketcall", { 1 }), ENOSYS)
  end
end

function TestSeccompProfiles.test_default_allows_what_programs_use()
  for _, name in ipairs(USED) do
    lu.assertEquals(decide(default, name, { 0, 0 }), ALLOW, name)
    lu.assertEquals(decide(strict, name, { 1, 0 }), ALLOW, name) -- arg0 1: connect(AF_UNIX's fd)
  end
  for _, name in ipairs({ "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "sethostname" }) do
    lu.assertEquals(decide(default, name), ALLOW, name)
    lu.assertEquals(decide(strict, name), EPERM, name)
  end
end

-- A 32-bit arm program's libc sets its thread pointer with arm's private set_tls call
-- (__ARM_NR_set_tls, 0xf0005) before main, and aborts when it fails: under a profile
-- that left the private calls to its default (ENOSYS) no arm program started, on an arm
-- machine or as AArch32 on aarch64. The filter compiled for aarch64, through the BPF
-- interpreter. Control: a private call no profile names still gets ENOSYS.
function TestSeccompProfiles.test_arms_private_calls_that_libc_and_jits_make()
  local bpf, seccomp = require "support.bpf", require "hako.seccomp"
  local arm = seccomp.TABLES.arm
  if not arm then return lu.skip("no arm system call table (linux-libc-dev-armhf-cross)") end
  for _, p in ipairs({ default, strict }) do
    local program = assert(seccomp.compile(p, seccomp.AARCH64))
    for _, name in ipairs({ "set_tls", "get_tls", "cacheflush", "breakpoint" }) do
      lu.assertEquals(decide(p, name), ALLOW, name)
      lu.assertEquals(bpf.run(program, bpf.data(seccomp.ARM, arm[name])), 0x7fff0000, name)
    end
    lu.assertEquals(bpf.run(program, bpf.data(seccomp.ARM, arm.usr26)), 0x00050000 | 38, "usr26")
  end
end

function TestSeccompProfiles.test_clone_creates_processes_and_threads_but_no_namespace()
  for _, p in ipairs({ default, strict }) do
    for _, flags in ipairs({ FORK, VFORK, THREAD, SIGCHLD, 0 }) do
      lu.assertEquals(decide(p, "clone", { flags }), ALLOW, string.format("%x", flags))
    end
    for name, flag in pairs(NEW) do
      lu.assertEquals(decide(p, "clone", { FORK | flag }), EPERM, name)
      lu.assertEquals(decide(p, "unshare", { flag }), EPERM, name)
    end
    lu.assertEquals(decide(p, "unshare", { 0x80 }), EPERM, "CLONE_NEWTIME")
  end
  -- unshare without namespaces: default yes, strict no unshare at all
  lu.assertEquals(decide(default, "unshare", { 0x200 | 0x400 }), ALLOW)
  lu.assertEquals(decide(strict, "unshare", { 0x200 }), EPERM)
  -- strict: no flag beyond fork's, vfork's and threads'
  for _, flag in ipairs({ 0x8000, 0x2000, 0x800000, 0x80000000, 0x1000, 1 << 32 }) do
    lu.assertEquals(decide(strict, "clone", { FORK | flag }), EPERM, string.format("%x", flag))
    lu.assertEquals(decide(default, "clone", { FORK | flag }), ALLOW, string.format("%x", flag))
  end
end

function TestSeccompProfiles.test_personality_only_the_safe_values()
  for _, value in ipairs({ 0, 8, 0x20000, 0x20008, 0xffffffff, 0x100000008 }) do
    lu.assertEquals(decide(default, "personality", { value }), ALLOW, string.format("%x", value))
  end
  for _, value in ipairs({ 0x40000, 0x400000, 0x40008, 0x8000000, 0xfffffffe, 1 }) do
    lu.assertEquals(decide(default, "personality", { value }), EPERM, string.format("%x", value))
  end
  lu.assertEquals(decide(strict, "personality", { 0xffffffff }), ALLOW)
  lu.assertEquals(decide(strict, "personality", { 0 }), EPERM)
  lu.assertEquals(decide(strict, "personality", { 8 }), EPERM)
end

-- The kernel reads socket's family as an int: 40 with high bits set is still AF_VSOCK.
function TestSeccompProfiles.test_sockets()
  for _, family in ipairs({ 40, 0x100000028, 0xffffffff00000028 }) do
    lu.assertEquals(decide(default, "socket", { family, 1 }), EPERM, string.format("%x", family))
    lu.assertEquals(decide(strict, "socket", { family, 1 }), EPERM, string.format("%x", family))
  end
  for _, family in ipairs({ 1, 2, 10, 16, 17 }) do
    lu.assertEquals(decide(default, "socket", { family, 1 }), ALLOW, family)
    lu.assertEquals(decide(strict, "socket", { family, 1 }), family == 1 and ALLOW or EPERM, family)
    lu.assertEquals(decide(strict, "socketpair", { family, 1 }), family == 1 and ALLOW or EPERM, family)
  end
end

function TestSeccompProfiles.test_nested_userns_allows_namespaces_under_a_new_user_namespace()
  local USER = NEW.NEWUSER
  for _, p in ipairs({ profiles.nested_userns(default), profiles.nested_userns(strict),
    rules.parse("@include <nested-userns>\n@include <default>", "p") }) do
    lu.assertEquals(decide(p, "clone", { USER | NEW.NEWPID | NEW.NEWNET | SIGCHLD }), ALLOW)
    lu.assertEquals(decide(p, "unshare", { USER | NEW.NEWNS }), ALLOW)
    lu.assertEquals(decide(p, "clone", { NEW.NEWNET | SIGCHLD }), EPERM)
    lu.assertEquals(decide(p, "unshare", { NEW.NEWNS }), EPERM)
    lu.assertEquals(decide(p, "setns", { 3, 0 }), EPERM)
    lu.assertEquals(decide(p, "clone3", { 0 }), ENOSYS)
    lu.assertEquals(p.default, ENOSYS)
  end
  -- the profile given is not changed
  lu.assertEquals(decide(default, "clone", { USER }), EPERM)
end

function TestSeccompProfiles.test_profiles_by_name()
  lu.assertEquals(profiles.NAMES, { "default", "strict" })
  lu.assertNil(profiles.profile("nested-userns"))
  lu.assertNil(profiles.profile("bogus"))
  lu.assertStrContains(profiles.text("default"), "default errno ENOSYS\n")
  -- each closed group comes with its why, as a comment, in the text --print shows
  lu.assertStrContains(profiles.text("default"), "# the kernel keyrings are not namespaced")
  lu.assertStrContains(profiles.text("strict"), "errno EPERM @keyring\n")
end

-- Names from the kernel's headers of every ABI hako covers: linux-libc-dev's for x86, and
-- Debian's cross headers (linux-libc-dev-arm64-cross, -armhf-cross) for arm when present.
local X86 = { "/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/x86_64-linux-gnu/asm/unistd_32.h",
  "/usr/include/x86_64-linux-gnu/asm/unistd_x32.h" }
local ARM = { "/usr/aarch64-linux-gnu/include/asm-generic/unistd.h",
  "/usr/arm-linux-gnueabihf/include/asm/unistd-eabi.h", "/usr/arm-linux-gnueabihf/include/asm/unistd.h" }
-- The calls of arm's ABIs alone that the groups name (checked against the headers when
-- the cross headers are installed).
local ARM_ONLY = { arm_fadvise64_64 = true, arm_sync_file_range = true, sync_file_range2 = true, send = true,
  recv = true, set_tls = true, get_tls = true, cacheflush = true, breakpoint = true }

local function kernel_names(paths)
  local names, read = {}, 0
  for _, path in ipairs(paths) do
    local f = io.open(path)
    if f then
      read = read + 1
      for name in f:read("a"):gmatch("#define __A?R?M?_?NR_([%w_]+)") do names[name] = true end
      f:close()
    end
  end
  return names, read
end

function TestSeccompProfiles.test_every_name_is_a_kernel_call()
  local names, read = kernel_names(X86)
  lu.assertEquals(read, #X86, "the kernel headers (linux-libc-dev) are missing")
  local arm, arm_read = kernel_names(ARM)
  local function known(name)
    if names[name] or arm[name] then return true end
    return arm_read < #ARM and ARM_ONLY[name]
  end
  lu.assertTrue(names.openat and names.socketcall and names.clone3)
  for _, p in ipairs({ default, strict, profiles.nested_userns(default) }) do
    for _, rule in ipairs(p.rules) do lu.assertTrue(known(rule.name), rule.name) end
  end
  for group, g in pairs(groups.groups) do
    for _, name in ipairs(g.names) do lu.assertTrue(known(name), group .. ": " .. name) end
  end
  if arm_read == #ARM then
    for name in pairs(ARM_ONLY) do lu.assertTrue(arm[name] and not names[name], name) end
  end
end

function TestSeccompProfiles.test_sizes()
  local function count(p)
    local allowed, n = {}, 0
    for _, r in ipairs(p.rules) do
      if r.action.kind == "allow" and not allowed[r.name] then allowed[r.name], n = true, n + 1 end
    end
    return n
  end
  -- a few hundred rules: a real allow-list, well under the filter's 4096 instructions
  lu.assertTrue(count(default) > 300 and #default.rules < 600, count(default) .. " " .. #default.rules)
  lu.assertTrue(count(strict) < count(default))
end

-- hako-seccomp(5) lists every group with its why and its calls, as the module has them,
-- and every constant and errno name a policy may use.
function TestSeccompProfiles.test_the_manual_lists_the_groups_and_constants_as_they_are()
  local f = assert(io.open("bin/hako-seccomp.5"))
  local page = f:read("a")
  f:close()
  for name, g in pairs(groups.groups) do
    local entry = '.IP "\\fB@' .. name:gsub("%-", "\\-") .. '\\fR" 4\n' .. g.why:gsub("^%l", string.upper)
      .. '.\nCalls: ' .. table.concat(g.names, " ") .. '.\n'
    lu.assertNotNil(page:find(entry, 1, true), "@" .. name .. " as hako.seccomp_groups has it")
  end
  -- and what a capability kept opens, for each one that opens something
  for cap in pairs(require("hako.syscall_filter").CAPABILITY_CALLS) do
    lu.assertNotNil(page:find("CAP_" .. cap:upper() .. "%s"), "CAP_" .. cap:upper())
  end
  local constants = require "hako.seccomp_constants"
  for _, list in ipairs({ constants.values, constants.errno }) do
    for name in pairs(list) do lu.assertNotNil(page:find("%f[%w_]" .. name .. "[,.]"), name) end
  end
end

function TestSeccompProfiles.test_the_manual_is_of_this_release_and_groff_has_no_warning()
  local f = assert(io.open("bin/hako-seccomp.5"))
  lu.assertStrContains(f:read("a"), '"hako ' .. require("hako.version") .. '"')
  f:close()
  lu.skipIf(not os.execute("command -v man >/dev/null"), "man missing: apt-get install man-db")
  local r = require("support.process").run({ "sh", "-c",
    "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l bin/hako-seccomp.5 >/dev/null" })
  lu.assertEquals({ r.status, r.stderr }, { 0, "" })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
