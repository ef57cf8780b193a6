-- hako.command: what the hako-run command does with its arguments.

local cli = require "hako.cli"
local common = require "hako.common_options"
local failure = require "hako.failure"
local hako = require "hako"
local spec = require "hako.spec"

local M = {}

M.run_options = {
  { short = "m", long = "mount", key = "mounts", value = "SRC:DST[:ro|:rw]", list = true,
    help = "bind host SRC onto DST inside (repeatable; read-write unless ro or -R)" },
  { long = "dev-bind", key = "mounts", value = "SRC:DST", list = true,
    wrap = function(v) return { dev_bind = v } end,
    help = "bind that keeps device files usable (repeatable)" },
  { short = "t", long = "tmpfs", key = "mounts", value = "DST[:SIZE]", list = true,
    wrap = function(v) return { tmpfs = v } end,
    help = "a new writable tmpfs at DST, mode 1777 (repeatable)" },
  { short = "R", long = "read-only", key = "read_only",
    help = "root and all under it read-only, but for :rw binds and tmpfs" },
  { long = "proc", key = "proc", help = "mount a new /proc (default: if /proc is a directory)" },
  { long = "no-proc", key = "proc", set = false, help = "do not mount /proc" },
  { long = "dev", key = "dev", help = "mount a minimal /dev (default: if /dev is a directory)" },
  { long = "no-dev", key = "dev", set = false, help = "do not mount /dev" },
  { long = "sys", key = "sys", help = "mount a read-only sysfs on /sys (default: none)" },
  { short = "N", long = "net", key = "net", value = "MODE",
    help = "none (default: loopback only), host, or a netns file to join" },
  { long = "allow-connect", key = "allow_connect", value = "PORTS",
    help = "TCP ports the command may connect to: 80,443,8000-8100, none or any (default);"
      .. " closes UDP and raw sockets (Landlock)" },
  { long = "allow-bind", key = "allow_bind", value = "PORTS",
    help = "TCP ports the command may bind, as --allow-connect" },
  { long = "share-abstract-sockets", key = "share_abstract_sockets",
    help = "let the command reach abstract unix sockets outside the sandbox (default: scoped)" },
  { long = "noexec-writable", key = "noexec_writable",
    help = "nothing runs from a writable place (tmpfs, :rw binds); needs -R" },
  { long = "landlock-required", key = "landlock_required",
    help = "fail, not warn, when the kernel's Landlock lacks a right the sandbox wants" },
  { long = "seccomp", key = "seccomp", value = "POLICY",
    help = "the syscall policy: default (the default), strict, none, or a rule file"
      .. " (hako-seccomp(5), or OCI JSON)" },
  { long = "nested-userns", key = "nested_userns",
    help = "let the command make user namespaces of its own (browsers' sandboxes need them)" },
  { long = "rlimit", key = "rlimits", value = "NAME=SOFT[:HARD]", list = true,
    help = "a resource limit, names as in prlimit(1) (nofile, nproc, as, cpu, fsize, core...);"
      .. " unlimited allowed (repeatable)" },
  { long = "memory", key = "memory", value = "SIZE",
    help = "memory limit of the whole sandbox, swap counted where it can be (512M, 2G; cgroup)" },
  { long = "pids", key = "pids", value = "N", help = "at most N processes in the sandbox, hako's init too (cgroup)" },
  { long = "cpus", key = "cpus", value = "N", help = "at most N CPUs' time (0.5, 2; cgroup)" },
  { long = "cgroup-parent", key = "cgroup_parent", value = "PATH",
    help = "make the sandbox's cgroup under PATH of each hierarchy, not under hako-run's own" },
  { long = "userns", key = "userns", value = "[auto|host]", words = { auto = true, host = true }, default = "auto",
    help = "auto (default): a user namespace; root's maps ids 0-65535 to host ids of its own and"
      .. " mounts idmapped; host (root only): none, uid 0 is the host's, without capabilities" },
  { long = "map-users", key = "map_users", value = "auto",
    help = "map the caller's /etc/subuid range too (through newuidmap)" },
  { long = "map-groups", key = "map_groups", value = "auto",
    help = "map the caller's /etc/subgid range too (through newgidmap)" },
  { short = "H", long = "hostname", key = "hostname", value = "NAME",
    help = "hostname inside the sandbox (default: " .. spec.DEFAULT_HOSTNAME .. ")" },
  common.user,
  common.group,
  { long = "cap-add", key = "cap_add", value = "CAP", list = true,
    help = "give capability CAP (CAP_NET_RAW or net_raw) too (repeatable)" },
  { long = "cap-drop", key = "cap_drop", value = "CAP", list = true,
    help = "take CAP from uid 0's container set, or from --cap-add's (repeatable)" },
  { long = "keep-fd", key = "keep_fds", value = "N", list = true,
    help = "pass fd N on to the command (repeatable; others but 0-2 are closed)" },
  common.env,
  common.keep_env,
  { short = "c", long = "chdir", key = "chdir", value = "DIR",
    help = "working directory inside the sandbox (default: /)" },
  { long = "name", key = "name", value = "NAME",
    help = "name the sandbox, unique among your running ones, for hako-enter, hako ps and hako stop" },
  { short = "p", long = "pid-file", key = "pid_file", value = "FILE",
    help = "write the sandbox's pid to FILE once it is up; removed at the end" },
  { long = "as-pid-1", key = "as_pid_1",
    help = "exec the command as PID 1, not under hako's init (implied by /sbin/init)" },
  { long = "timeout", key = "timeout", value = "SECONDS",
    help = "TERM the command after SECONDS, KILL " .. spec.DEFAULT_TIMEOUT_GRACE
      .. " s later; exit 124" },
  { long = "notify", key = "notify", value = "MODE",
    help = "who tells NOTIFY_SOCKET (systemd Type=notify) READY=1: hako (default, once the"
      .. " command runs), sandbox (the command gets the socket) or none" },
  { long = "json-status-fd", key = "json_status_fd", value = "FD",
    help = "write the sandbox's pid and namespaces, then its end, as JSON lines to FD" },
  common.dry_run,
  common.help,
  common.version,
}

local RUN_USAGE = [[
Usage: hako-run [options] <target> [--] [command] [args]

Run command in the directory <target>, turned into a sandbox: new mount, PID, IPC, UTS
and network namespaces, with <target> as the root, no setuid or device files from it,
and a user namespace: root's maps ids 0-65535 to 65536 host ids of its own and mounts
<target> and binds idmapped (files keep their owners; uid 0 inside is nobody outside and
has a container's capabilities, other users none; --userns host: none, as chroot),
no_new_privs, /proc/sys read-only and kernel files masked, no /sys,
the syscall policy default (--seccomp; never TIOCSTI or keyring calls), its own
keyring, only fds 0-2 and a clean environment,
and Landlock (abstract sockets and signals kept inside, files made only where the sandbox
may write, nothing outside the root); the options below relax these only when given, or
add limits. <target>/.hako must be an empty directory (the host's old root is put there,
then detached). The command defaults to /sbin/init; a
name without "/" is looked up in PATH inside the sandbox. It runs under hako's own
PID 1, which reaps orphans and passes signals on, unless --as-pid-1 (or /sbin/init).

Options (they end at <target> or "--"):
]]

local RUN_EXIT = [[

Exit status: the command's, or 128+N if signal N killed it; 124 if --timeout expired;
125 if hako-run itself failed, 126 if the command cannot be executed, 127 if it is not
found. SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH sent to hako-run
are passed on to the command; if hako-run dies, even of SIGKILL, the sandbox dies too.
]]

-- The plan's Landlock part on this kernel, one line: what --dry-run adds to the steps.
function M.describe_landlock(steps)
  local landlock, core = require "hako.landlock", require "hako.core"
  for _, step in ipairs(steps) do
    if step.op == "resolve_policy" and step.policy.landlock then
      local abi = core.landlock_abi() or 0
      return "landlock: " .. landlock.describe(abi, (landlock.missing(step.policy.landlock, abi))) .. "\n"
    end
  end
  return ""
end

-- The cgroups the plan would make on this host, every file it writes: what --dry-run adds.
function M.describe_cgroups(steps)
  local cgroup, cgroupfs, core = require "hako.cgroup", require "hako.cgroupfs", require "hako.core"
  for _, step in ipairs(steps) do
    if step.op == "make_cgroups" then
      local mounts, self = cgroupfs.discover(core)
      local controllers = cgroupfs.v2_controllers(core, mounts, self, step.limits.parent)
      return cgroup.describe(cgroup.plan(step.limits, mounts, self, controllers, "hako-" .. core.getpid()))
    end
  end
  return ""
end

-- The syscall filter the plan would load, compiled as hako-run would: what --dry-run adds.
function M.describe_seccomp(steps)
  local syscall_filter, prepare, core = require "hako.syscall_filter", require "hako.prepare_steps", require "hako.core"
  local p
  for _, step in ipairs(steps) do
    if step.op == "resolve_policy" then p = step.policy end
    if step.op == "compile_syscall_filter" then
      local read = function(path) return prepare.read_policy_file(core, path) end
      return syscall_filter.describe(step.source,
        syscall_filter.filter(step.source, p.seccomp, read, syscall_filter.context(core, p)))
    end
  end
  return ""
end

-- Root's user namespace on this host: the range the sandbox would get now (the first free
-- slot; another hako-run may take it first) and what is mounted idmapped: what --dry-run adds.
function M.describe_userns(steps)
  local userns_steps, core = require "hako.userns_steps", require "hako.core"
  for _, step in ipairs(steps) do
    if step.op == "hand_idmapped_trees" then
      local uids, gids, slots = userns_steps.pools(core)
      local slot = userns_steps.free_slot(core)
      local lines = {}
      if slot then
        local uid, gid = uids.start + slot * 65536, gids.start + slot * 65536
        lines[1] = string.format("user namespace: ids 0-65535 -> host uids %d-%d, gids %d-%d (slot %d of %d, free now)",
          uid, uid + 65535, gid, gid + 65535, slot, slots)
      else
        lines[1] = string.format("user namespace: all %d slots of 65536 host ids are taken now", slots)
      end
      local mounts = { step.root.path .. (step.root.read_only and " (ro)" or "") }
      for _, b in ipairs(step.binds) do mounts[#mounts + 1] = b.src .. (b.read_only and " (ro)" or "") end
      lines[2] = "idmapped mounts: " .. table.concat(mounts, ", ")
      return table.concat(lines, "\n") .. "\n"
    end
  end
  return ""
end

-- hako_run(argv) -> exit status
function M.hako_run(argv)
  return failure.run_command("hako-run", function()
    local options, operands = cli.parse(M.run_options, argv)
    if options.help then
      io.stdout:write(RUN_USAGE, cli.help(M.run_options), RUN_EXIT)
      return 0
    end
    if options.version then
      io.stdout:write("hako-run ", hako.version, "\n")
      return 0
    end
    local dry_run = options.dry_run
    options.dry_run = nil
    options.root = operands[1]
    options.command = { table.unpack(operands, 2) }
    local steps = hako.plan(options)
    if dry_run then
      io.stdout:write(hako.describe(steps), M.describe_userns(steps), M.describe_seccomp(steps),
        M.describe_landlock(steps), M.describe_cgroups(steps))
      return 0
    end
    return hako.execute(steps)
  end)
end

return M
