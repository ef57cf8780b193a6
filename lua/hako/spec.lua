-- hako.spec: options -> a validated sandbox spec with every default filled in. Pure.
--
-- The options are what hako-run's command line or a recipe's hako.run{...} gives; the
-- context is what the caller's process knows (cwd, environment), passed in so this
-- stays pure. Checks that need the file system happen later, as steps of the plan.

local caps = require "hako.caps"
local failure = require "hako.failure"
local mounts = require "hako.mounts"

local M = {}

M.DEFAULT_COMMAND = { "/sbin/init" }
M.DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
M.DEFAULT_HOSTNAME = "hako"
M.HOST_NAME_MAX = 64

-- Every option a recipe may give; anything else is a typo worth an error.
local KNOWN = {
  root = true, command = true, hostname = true, mounts = true, read_only = true,
  pid_file = true, user = true, group = true, env = true, keep_env = true, chdir = true,
  proc = true, dev = true, net = true, cap_add = true,
  keep_fds = true, sys = true,
}

local function bad(what, why)
  failure.raise(what, why)
end

local function check_string(what, value)
  if type(value) ~= "string" then bad(what, "must be a string, got " .. type(value)) end
  if value:find("\0", 1, true) then bad(what, "contains a NUL byte") end
  return value
end

local function optional_string(what, value)
  if value == nil then return nil end
  check_string(what, value)
  if value == "" then bad(what, "must not be empty") end
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

-- NAME=VALUE assignments in order, a later one replacing an earlier one of the same name.
local function assign(env, entry, what)
  check_string(what, entry)
  local name = entry:match("^([^=]+)=")
  if not name then bad(what .. " " .. entry, "expected NAME=VALUE") end
  for i, old in ipairs(env) do
    if old:sub(1, #name + 1) == name .. "=" then
      env[i] = entry
      return
    end
  end
  env[#env + 1] = entry
end

-- The command's environment: a clean one (PATH, TERM), or the caller's with --keep-env,
-- then every --env. HOME, if not set here, is the user's home, known only at run time.
local function environment(options, context)
  local env = {}
  if options.keep_env then
    for _, entry in ipairs(context.environ or {}) do assign(env, entry, "environment") end
  else
    env[1] = "PATH=" .. M.DEFAULT_PATH
    if context.term then env[2] = "TERM=" .. context.term end
  end
  local given = options.env or {}
  if type(given) ~= "table" then bad("env", "must be a list of NAME=VALUE") end
  for _, entry in ipairs(given) do assign(env, entry, "--env") end
  local names = {}
  for name in pairs(given) do
    if type(name) == "string" then names[#names + 1] = name end
  end
  table.sort(names)
  for _, name in ipairs(names) do assign(env, name .. "=" .. check_string(name, given[name]), "--env") end
  return env
end

local function lookup(env, name)
  for _, entry in ipairs(env) do
    if entry:sub(1, #name + 1) == name .. "=" then return entry:sub(#name + 2) end
  end
end

-- nil -> "auto" (when the sandbox has the directory), true -> "on", false -> "off"
local function switch(value, what)
  if value == nil then return "auto" end
  if type(value) ~= "boolean" then bad(what, "must be true or false") end
  return value and "on" or "off"
end

local function network(value)
  if value == nil or value == "none" then return { mode = "none" } end
  check_string("--net", value)
  if value == "host" then return { mode = "host" } end
  if value:find("/", 1, true) then return { mode = "join", path = value } end
  bad("--net " .. value, "expected none, host or the path of a network namespace file")
end

M.MAX_FD = 2147483647

-- --keep-fd: fds (numbers or decimal strings) passed on to the command besides 0, 1, 2.
local function keep_fds(list)
  if list == nil then return {} end
  if type(list) ~= "table" then bad("keep_fds", "must be a list of fd numbers") end
  local fds, seen = {}, {}
  for _, item in ipairs(list) do
    local fd = math.tointeger(tonumber(item))
    if type(item) == "string" and not item:match("^%d+$") then fd = nil end
    if not fd or fd < 0 or fd > M.MAX_FD then bad("--keep-fd " .. tostring(item), "not an fd number") end
    if fd > 2 and not seen[fd] then
      seen[fd] = true
      fds[#fds + 1] = fd
    end
  end
  table.sort(fds)
  return fds
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
  local env = environment(options, context)
  local net = network(options.net)
  local namespaces = { "mount", "pid", "ipc", "uts" }
  if net.mode == "none" then namespaces[#namespaces + 1] = "net" end
  local pid_file = optional_string("--pid-file", options.pid_file)
  return {
    root = root,
    command = command(options.command),
    hostname = hostname(options.hostname),
    env = env,
    path = lookup(env, "PATH") or M.DEFAULT_PATH,
    namespaces = namespaces,
    net = net,
    mounts = mounts.parse(options.mounts, context.cwd),
    read_only = options.read_only == true,
    pid_file = pid_file and absolute(pid_file, context.cwd),
    user = optional_string("--user", options.user),
    group = optional_string("--group", options.group),
    chdir = optional_string("--chdir", options.chdir) or "/",
    proc = switch(options.proc, "proc"),
    dev = switch(options.dev, "dev"),
    caps = caps.parse(options.cap_add),
    keep_fds = keep_fds(options.keep_fds),
    sys = options.sys == true,
  }
end

return M
