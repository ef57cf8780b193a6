-- untrusted-script.lua: shows running a shell script you do not trust: no network, a
-- read-only root, a small tmpfs /tmp, limits (memory, processes, CPU, file size, open
-- files, time), nothing run from a writable place, as nobody.
--
--   hako examples/untrusted-script.lua [SCRIPT [ARGS...]]
--
-- The sandbox is a busybox root in a temporary directory (Debian's busybox-static gives
-- a static /bin/busybox). SCRIPT is bound read-only at /script and run by /bin/sh; the
-- default is a demo that tries each wall and fails (exit 1) if one of them gives way.
-- Run as root: the memory, process and CPU limits are cgroups, which a user gets only
-- where systemd delegates a subtree to them; without, the script runs with --rlimit only.
-- The system calls are those of the strict profile (hako-seccomp(5)): no sockets but
-- AF_UNIX, no namespaces, no ptrace, no persona change.

local hako = require "hako"

local function sh(line)
  local p = assert(io.popen(line))
  local out = p:read("a")
  assert(p:close(), line)
  return (out:gsub("\n$", ""))
end

local DEMO = [[
# Each line: what the script tries, and whether the sandbox stopped it.
fail=0
wall() { if (eval "$2") >/dev/null 2>&1; then echo "NOT STOPPED: $1"; fail=1; else echo "stopped: $1"; fi; }
wall "write to the root"         'echo x > /etc/x'
wall "reach the network"         'nc -w 2 1.1.1.1 80 </dev/null'
wall "fill /tmp past 8 MiB"      'dd if=/dev/zero of=/tmp/big bs=1M count=16; s=$?; rm /tmp/big; exit $s'
wall "run a file it wrote"       'cp /bin/busybox /tmp/bb; /tmp/bb true; s=$?; rm /tmp/bb; exit $s'
wall "make a user namespace"     'unshare -U true'
wall "start 100 processes"       'for i in $(seq 100); do sleep 5 & done; wait'
wall "be root"                   'test "$(id -u)" = 0'
wall "see the host's processes"  'test "$(ls -d /proc/[0-9]* | wc -l)" -gt 20'
echo "and what is allowed: /tmp is writable" > /tmp/note && cat /tmp/note
exit $fail
]]

local script, script_args = arg[1], { table.unpack(arg, 2) }
local root = sh("mktemp -d /tmp/hako-untrusted.XXXXXX")
sh("chmod 755 " .. root .. " && mkdir -p " .. root .. "/.hako " .. root .. "/bin " .. root .. "/etc "
  .. root .. "/tmp " .. root .. "/proc " .. root .. "/dev")
sh("cp /bin/busybox " .. root .. "/bin/busybox && cd " .. root .. "/bin && for a in $(./busybox --list); do "
  .. "[ -e $a ] || ln -s busybox $a; done")
local f = assert(io.open(root .. "/script", "w"))
f:write(script and "" or DEMO)
f:close()

local options = {
  root = root,
  command = { "/bin/sh", "/script", table.unpack(script_args) },
  read_only = true,                         -- -R: nothing of the root can change
  mounts = { { tmpfs = "/tmp:8m" } },       -- -t /tmp:8m: the one writable place
  noexec_writable = true,                   -- nothing written there can be run
  net = "none",                             -- the default: loopback only
  allow_connect = "none", allow_bind = "none", -- and no TCP, UDP or raw sockets even so
  seccomp = "strict",                       -- AF_UNIX sockets only, no namespaces, no ptrace
  user = "65534", group = "65534",          -- nobody, without a passwd file inside
  rlimits = { "fsize=16777216", "nofile=64", "core=0" },
  timeout = 60,
  -- keep_env, cap_add, --sys, --dev-bind: none of them, for a script you do not trust
}
if script then options.mounts[#options.mounts + 1] = script .. ":/script:ro" end
if hako.core.geteuid() == 0 then
  options.memory, options.pids, options.cpus = "64M", "32", "0.5"
else
  io.stderr:write("untrusted-script: not root: no --memory, --pids, --cpus (cgroups); --rlimit only\n")
  options.rlimits[#options.rlimits + 1] = "nproc=32"
end
local ok, status = pcall(hako.run, options)
sh("rm -rf --one-file-system " .. root)
if not ok then error(status, 0) end
os.exit(status)
