-- hako for LuaRocks: `luarocks make` in the source tree builds hako.core from c/ and
-- installs it with the Lua modules of lua/hako/ (the commands are the Makefile's: the
-- hako binary embeds them). spec/rockspec_spec.lua keeps the lists below in step with
-- the tree (lua/hako/*.lua, the Makefile's CORE_SRC) and the version with version.lua.
rockspec_format = "3.0"
package = "hako"
version = "0.1.0-1"
-- No public repository yet: luarocks make builds the tree it is run in.
source = { url = "file://." }
description = {
  summary = "chroot with real isolation, scriptable in Lua",
  detailed = [[
hako makes a directory a sandbox: its command runs with that directory as its root, in
new mount, PID, IPC, UTS and network namespaces, without capabilities, under seccomp and
Landlock rules. require "hako" gives the library hako-run is written with: run, spec,
plan, describe and execute (man 3 hako), and hako.core, one function per kernel call.]],
  license = "BSD-2-Clause",
}
supported_platforms = { "linux" }
dependencies = { "lua >= 5.4, < 5.5" }
build = {
  type = "builtin",
  modules = {
    ["hako"] = "lua/hako/init.lua",
    ["hako.caps"] = "lua/hako/caps.lua",
    ["hako.cgroup"] = "lua/hako/cgroup.lua",
    ["hako.cgroupfs"] = "lua/hako/cgroupfs.lua",
    ["hako.cli"] = "lua/hako/cli.lua",
    ["hako.command"] = "lua/hako/command.lua",
    ["hako.common_options"] = "lua/hako/common_options.lua",
    ["hako.confine_steps"] = "lua/hako/confine_steps.lua",
    ["hako.enter"] = "lua/hako/enter.lua",
    ["hako.enter_plan"] = "lua/hako/enter_plan.lua",
    ["hako.exec"] = "lua/hako/exec.lua",
    ["hako.failure"] = "lua/hako/failure.lua",
    ["hako.freeze"] = "lua/hako/freeze.lua",
    ["hako.host_path"] = "lua/hako/host_path.lua",
    ["hako.idmap"] = "lua/hako/idmap.lua",
    ["hako.join_steps"] = "lua/hako/join_steps.lua",
    ["hako.landlock"] = "lua/hako/landlock.lua",
    ["hako.mounts"] = "lua/hako/mounts.lua",
    ["hako.notify"] = "lua/hako/notify.lua",
    ["hako.paths"] = "lua/hako/paths.lua",
    ["hako.pid1"] = "lua/hako/pid1.lua",
    ["hako.plan"] = "lua/hako/plan.lua",
    ["hako.policy"] = "lua/hako/policy.lua",
    ["hako.prepare_steps"] = "lua/hako/prepare_steps.lua",
    ["hako.ps"] = "lua/hako/ps.lua",
    ["hako.record"] = "lua/hako/record.lua",
    ["hako.resume"] = "lua/hako/resume.lua",
    ["hako.rlimits"] = "lua/hako/rlimits.lua",
    ["hako.root_steps"] = "lua/hako/root_steps.lua",
    ["hako.sandboxes"] = "lua/hako/sandboxes.lua",
    ["hako.seal"] = "lua/hako/seal.lua",
    ["hako.seccomp"] = "lua/hako/seccomp.lua",
    ["hako.spec"] = "lua/hako/spec.lua",
    ["hako.start_steps"] = "lua/hako/start_steps.lua",
    ["hako.stop"] = "lua/hako/stop.lua",
    ["hako.supervise_steps"] = "lua/hako/supervise_steps.lua",
    ["hako.users"] = "lua/hako/users.lua",
    ["hako.userns_steps"] = "lua/hako/userns_steps.lua",
    ["hako.version"] = "lua/hako/version.lua",
    ["hako.core"] = {
      sources = {
        "c/core.c", "c/process.c", "c/signal.c", "c/namespace.c", "c/mount.c",
        "c/file.c", "c/dir.c", "c/fd.c", "c/cred.c", "c/net.c", "c/seccomp.c",
        "c/keys.c", "c/job.c", "c/landlock.c", "c/limits.c", "c/unix.c",
      },
    },
  },
}
