-- spec/fuzz/targets.lua: every parser the fuzzer feeds, in the order it runs them.
--
-- One line adds one: a target is a table { name, seeds, tokens, generate, mutate, run }
-- (see fuzz.harness and the modules below). A parser of input others write gets its
-- line here in the commit that adds it.

local text = require "fuzz.text_targets"
local commands = require "fuzz.command_targets"
local core = require "fuzz.core_targets"
local seccomp = require "fuzz.seccomp_targets"

return {
  commands.hako_run,       -- hako-run's command line, through --dry-run
  commands.hako_enter,     -- hako-enter's command line, through --dry-run
  commands.hako,           -- bin/hako's own arguments (recipes are not run)
  commands.recipe_options, -- the options table of hako.run{...}
  commands.launcher,       -- the binary: argv through the C main (a tenth: two execs each)
  text.mounts,             -- --mount, --tmpfs and --dev-bind specs, with "\:" escapes
  text.passwd,             -- the sandbox's /etc/passwd, and --user resolved in it
  text.group,              -- the sandbox's /etc/group, and --group resolved in it
  text.record,             -- records in the runtime directory, with their policy
  text.stat,               -- /proc/PID/stat, the name in it chosen inside the sandbox
  text.subid,              -- /etc/subuid and /etc/subgid
  seccomp.seccomp_policy,  -- seccomp policy text (--seccomp FILE), with @include
  seccomp.seccomp_oci,     -- OCI seccomp JSON: Docker's and podman's profiles
  core.core,               -- hako.core's C functions, with hostile arguments
  -- Not yet in hako; their parsers get a line here when they come:
  -- OCI runtime bundles (config.json):             text.oci_config
}
