-- hako.spec: options -> a validated sandbox spec with every default filled in. Pure.
--
-- The options are what hako-run's command line or a recipe's hako.run{...} gives; the
-- context is what the caller's process knows (cwd, TERM), passed in so this stays pure.

local failure = require "hako.failure"

local M = {}

M.DEFAULT_COMMAND = { "/sbin/init" }
M.DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
M.DEFAULT_HOSTNAME = "hako"
M.HOST_NAME_MAX = 64
-- After --timeout's TERM, how long the command has to end before KILL (seconds).
M.DEFAULT_TIMEOUT_GRACE = 10

-- Every option a recipe may give; anything else is a typo worth an error.
local KNOWN = {
  root = true, command = true, hostname = true,
  as_pid_1 = true, json_status_fd = true, timeout = true, timeout_grace = true,
}

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

-- A number of seconds, from a recipe (number) or the command line (string).
local function seconds(what, value)
  if value == nil then return nil end
  local n = tonumber(value)
  if type(value) ~= "number" and type(value) ~= "string" or not n then
    bad(what .. " " .. tostring(value), "not a number of seconds")
  end
  if not (n > 0 and n < 2 ^ 31) then bad(what .. " " .. tostring(value), "must be more than 0") end
  return n
end

local function fd_number(what, value)
  if value == nil then return nil end
  local n = math.tointeger(tonumber(value))
  if not n or n < 0 or n > 2 ^ 31 - 1 or type(value) == "string" and not value:match("^%d+$") then
    bad(what .. " " .. tostring(value), "not a file descriptor number")
  end
  return n
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
  local argv = command(options.command)
  if options.as_pid_1 ~= nil and type(options.as_pid_1) ~= "boolean" then
    bad("as_pid_1", "must be true or false")
  end
  return {
    root = root,
    command = argv,
    -- An init expects to be PID 1; anything else gets hako's own PID 1 in front of it.
    as_pid_1 = options.as_pid_1 or argv[1] == M.DEFAULT_COMMAND[1],
    json_status_fd = fd_number("--json-status-fd", options.json_status_fd),
    timeout = seconds("--timeout", options.timeout),
    timeout_grace = seconds("timeout_grace", options.timeout_grace) or M.DEFAULT_TIMEOUT_GRACE,
    hostname = hostname(options.hostname),
    env = environment(context),
    path = M.DEFAULT_PATH,
    namespaces = { "mount", "pid", "ipc", "uts" },
  }
end

return M
