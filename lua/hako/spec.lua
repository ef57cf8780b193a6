-- hako.spec: options -> a validated sandbox spec with every default filled in. Pure.
--
-- The options are what hako-run's command line or a recipe's hako.run{...} gives; the
-- context is what the caller's process knows (cwd, TERM, euid, XDG_RUNTIME_DIR), passed in so this stays pure.

local failure = require "hako.failure"
local record = require "hako.record"

local M = {}

M.DEFAULT_COMMAND = { "/sbin/init" }
M.DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
M.DEFAULT_HOSTNAME = "hako"
M.HOST_NAME_MAX = 64

-- Every option a recipe may give; anything else is a typo worth an error.
local KNOWN = { root = true, command = true, hostname = true }

local function bad(what, why)
  failure.raise(what, why)
end

local function check_string(what, value)
  if type(value) ~= "string" then bad(what, "must be a string, got " .. type(value)) end
  if value:find("\0", 1, true) then bad(what, "contains a NUL byte") end
  return value
end

local function absolute(path, cwd)
  if path:sub(1, 1) == "/" then return path end
  return (cwd:gsub("/$", "")) .. "/" .. path
end

local function command(value)
  if value == nil then return { table.unpack(M.DEFAULT_COMMAND) } end
  if type(value) == "string" then value = { value } end
  if type(value) ~= "table" then bad("command", "must be a list of strings") end
  if #value == 0 then return { table.unpack(M.DEFAULT_COMMAND) } end
  local argv = {}
  for i, arg in ipairs(value) do argv[i] = check_string("command", arg) end
  if argv[1] == "" then bad("command", "empty command name") end
  return argv
end

local function hostname(value)
  if value == nil then return M.DEFAULT_HOSTNAME end
  check_string("hostname", value)
  if value == "" then bad("hostname", "must not be empty") end
  if #value > M.HOST_NAME_MAX then
    bad("hostname " .. value, "longer than " .. M.HOST_NAME_MAX .. " bytes")
  end
  return value
end

local function environment(context)
  local env = { "PATH=" .. M.DEFAULT_PATH, "HOME=/" }
  if context.term then env[#env + 1] = "TERM=" .. context.term end
  return env
end

-- build(options, context) -> spec
function M.build(options, context)
  if type(options) ~= "table" then bad("options", "must be a table") end
  for key in pairs(options) do
    if not KNOWN[key] then bad(tostring(key), "unknown option") end
  end
  local root = options.root
  if root == nil or root == "" then bad("target", "missing (usage: hako-run [options] <target> [command])") end
  root = absolute(check_string("target", root), context.cwd)
  return {
    root = root,
    command = command(options.command),
    hostname = hostname(options.hostname),
    env = environment(context),
    path = M.DEFAULT_PATH,
    namespaces = { "mount", "pid", "ipc", "uts" },
    record_dir = record.directories(context.euid, context.xdg_runtime_dir)[1],
  }
end

return M
