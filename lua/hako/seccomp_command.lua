-- hako.seccomp_command: what the hako-seccomp command does. It runs a command under a
-- syscall policy, with or without a sandbox around it (the chain tool: hako-seccomp
-- --profile strict -- make), or checks, prints or dumps a policy.

local cli = require "hako.cli"
local common = require "hako.common_options"
local failure = require "hako.failure"
local policy = require "hako.policy"
local syscall_filter = require "hako.syscall_filter"

local M = {}

M.options = {
  { long = "policy", key = "policy", value = "FILE",
    help = "the rules of FILE: hako's format (hako-seccomp(5)) or an OCI seccomp JSON profile" },
  { long = "profile", key = "profile", value = "PROFILE",
    help = "a built-in profile: default (the default) or strict" },
  { long = "nested-userns", key = "nested_userns",
    help = "let the command make user namespaces of its own (browsers' sandboxes need them)" },
  { long = "check", key = "check", value = "FILE",
    help = "check the policy in FILE and say how big its filter is; run nothing" },
  { long = "print", key = "print",
    help = "print the resolved rules (hako's own, which come first, as comments); run nothing" },
  { long = "dump", key = "dump", help = "print the compiled filter as readable BPF; run nothing" },
  common.help,
  common.version,
}

local USAGE = [[
Usage: hako-seccomp [--policy FILE | --profile PROFILE] [--nested-userns] [--] command [args]
       hako-seccomp --check FILE
       hako-seccomp [--policy FILE | --profile PROFILE] --print | --dump

Run command with no_new_privs set and a seccomp filter compiled from a syscall policy
(default: the profile "default"), with or without a sandbox around it. hako's own rules
come first whatever the policy says: no TIOCSTI or TIOCLINUX ioctls, no keyring calls.
A name without "/" is looked up in PATH; the environment is passed on as it is.

Options (they end at the command or "--"):
]]

local EXIT = [[

Exit status: the command's (it replaces hako-seccomp); 125 if hako-seccomp itself
failed (a bad policy), 126 if the command cannot be executed, 127 if it is not found.
]]

-- The source the options name: a file (--policy, --check) or a profile.
local function source(options)
  local given = options.check or options.policy
  if given and options.profile then failure.raise("--profile " .. options.profile, "cannot go with a policy file") end
  if options.profile and not syscall_filter.PROFILES[options.profile] then
    failure.raise("--profile " .. options.profile, "expected default, strict or none")
  end
  if given and given:sub(1, 1) ~= "/" and given:find("/", 1, true) == nil then given = "./" .. given end
  local s = syscall_filter.source(given or options.profile, options.nested_userns)
  s.option = options.check and "--check" or options.policy and "--policy" or "--profile"
  return s
end

-- hako's own rules, as hako-run's command gets them without a sandbox's options.
local function own_fields()
  return { deny_syscalls = policy.DENIED_SYSCALLS, deny_ioctls = policy.DENIED_IOCTLS, tcp_only = false }
end

function M.main(argv)
  return failure.run_command("hako-seccomp", function()
    local options, operands = cli.parse(M.options, argv)
    if options.help then
      io.stdout:write(USAGE, cli.help(M.options), EXIT)
      return 0
    end
    if options.version then
      io.stdout:write("hako-seccomp ", require "hako.version", "\n")
      return 0
    end
    local core = require "hako.core"
    local s = source(options)
    local read = function(path) return require("hako.prepare_steps").read_policy_file(core, path) end
    -- An OCI profile's rules for capabilities apply as to a sandbox's command without them.
    local context = syscall_filter.context(core, { caps = {} })
    if options.print then
      io.stdout:write(syscall_filter.print(syscall_filter.resolve(s, read, context), own_fields(), context.native_arch))
      return 0
    end
    local program = syscall_filter.filter(s, own_fields(), read, context)
    if options.dump then
      io.stdout:write(require("hako.seccomp").dump(program))
      return 0
    end
    if options.check then
      io.stdout:write(syscall_filter.describe(s, program))
      return 0
    end
    if #operands == 0 then failure.raise("command", "missing (try --help)") end
    if operands[1] == "" then failure.raise("command", "empty command name") end
    failure.check(core.prctl(core.PR_SET_NO_NEW_PRIVS, 1))
    failure.check(core.seccomp_set_mode_filter(program))
    require("hako.confine_steps").exec({ argv = operands }, { core = core, policy = { env = core.environ() } })
  end)
end

return M
