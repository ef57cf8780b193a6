-- hako: the public API for sandbox recipes (require "hako").
--
--   local hako = require "hako"
--   os.exit(hako.run{ root = "sandbox", command = { "/bin/sh", "-c", "echo hi" } })
--
-- run() returns the command's exit status (128+N if signal N killed it) and raises a
-- hako.failure value (fields what, why, status) when the sandbox cannot be made.
-- plan() and execute() split run() in two, so a recipe can look at or change the steps.

local core = require "hako.core"
local exec = require "hako.exec"
local failure = require "hako.failure"
local plan = require "hako.plan"
local spec = require "hako.spec"

local hako = {
  version = require "hako.version",
  core = core,
  failure = failure,
}

-- What the pure modules need to know about the calling process.
local function context()
  return {
    cwd = failure.check(core.getcwd()), term = os.getenv("TERM"), environ = core.environ(),
    uid = core.getuid(), gid = core.getgid(),
    euid = core.geteuid(), xdg_runtime_dir = os.getenv("XDG_RUNTIME_DIR"),
  }
end

-- spec(options) -> the validated spec, defaults filled in.
function hako.spec(options)
  return spec.build(options, context())
end

-- plan(options) -> the list of steps run() would take.
function hako.plan(options)
  return plan.build(hako.spec(options))
end

-- describe(steps) -> the steps as text, one per line (what --dry-run prints).
hako.describe = plan.describe

-- execute(steps[, extra_steps]) -> exit status: runs a plan made by plan(), possibly
-- changed. extra_steps = { op = function(step, state) } gives steps of the recipe's own
-- that it put in the plan ({ op = OP, side = "host" | "sandbox", ... }).
function hako.execute(steps, extra_steps)
  return exec.run(steps, core, extra_steps)
end

function hako.run(options)
  return hako.execute(hako.plan(options))
end

return hako
