-- hako.spec: options -> a validated sandbox spec with every default filled in. Pure.
--
-- The options are what hako-run's command line or a recipe's hako.run{...} gives; the
-- context is what the caller's process knows (cwd, environment, ids, XDG_RUNTIME_DIR),
-- passed in so this stays pure. Checks that need the file system happen later, as steps
-- of the plan.

local caps = require "hako.caps"
local cgroup = require "hako.cgroup"
local failure = require "hako.failure"
local landlock = require "hako.landlock"
local rlimits = require "hako.rlimits"
local paths = require "hako.paths"
local mounts = require "hako.mounts"
local notify = require "hako.notify"
local record = require "hako.record"
local syscall_filter = require "hako.syscall_filter"

local M = {}

M.DEFAULT_COMMAND = { "/sbin/init" }
M.DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
M.DEFAULT_HOSTNAME = "hako"
M.HOST_NAME_MAX = 64
-- After --timeout's TERM, how long the command has to end before KILL (seconds).
M.DEFAULT_TIMEOUT_GRACE = 10

-- Every option a recipe may give; anything else is a typo worth an error.
local KNOWN = {
  root = true, command = true, hostname = true, mounts = true, read_only = true,
  pid_file = true, user = true, group = true, env = true, keep_env = true, chdir = true,
  proc = true, dev = true, net = true, cap_add = true, cap_drop = true, userns = true,
  map_users = true, map_groups = true,
  as_pid_1 = true, json_status_fd = true, timeout = true, timeout_grace = true,
  keep_fds = true, sys = true,
  allow_connect = true, allow_bind = true, share_abstract_sockets = true, noexec_writable = true,
  landlock_required = true, rlimits = true, memory = true, pids = true, cpus = true, cgroup_parent = true,
  notify = true,
  name = true, seccomp = true, nested_userns = true,
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

-- --name: kept in the record, for hako-enter NAME, hako ps and hako stop NAME.
local function sandbox_name(value)
  if value == nil then return nil end
  local why = record.check_name(value)
  if why then bad("--name " .. tostring(value), why) end
  return value
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
-- NOTIFY_SOCKET is systemd's word to hako-run, not to the command (hako.notify).
local function environment(options, context)
  local env = {}
  if options.keep_env then
    for _, entry in ipairs(notify.without(context.environ or {})) do assign(env, entry, "environment") end
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

-- A path inside the sandbox, where "tmp" means "/tmp": the root is where it starts.
local function inside_path(path)
  return path:sub(1, 1) == "/" and path or "/" .. path
end

-- An on/off option: nil is off.
local function flag(value, what)
  if value ~= nil and type(value) ~= "boolean" then bad(what, "must be true or false") end
  return value == true
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

local function map_mode(value, what)
  if value == nil then return false end
  if value == "auto" then return true end
  bad(what .. " " .. tostring(value), "expected auto")
end

-- --userns: "auto" (true; the default) or "host" (false). auto: a user namespace, the only
-- way for others than root; root's gets ids of its own (a slot of hako.idmap's pool) and
-- idmapped mounts, so uid 0 inside, with a container's capabilities, is nobody outside.
-- host: root only, none: the sandbox's uid 0 is the host's, without capabilities.
local function userns_mode(value, root)
  local mode
  if value == nil or value == true or value == "auto" then mode = "auto"
  elseif value == false or value == "host" then mode = "host"
  else bad("--userns " .. tostring(value), "expected auto or host") end
  if mode == "host" and not root then
    bad("--userns host", "only root can run a sandbox without a user namespace")
  end
  return mode
end

-- The user namespace: whose ids it maps, and whether setgroups works inside (root maps a
-- range and allows it; others only with their subordinate groups mapped). range: the
-- sandbox has ids of its own (root's slot, or the caller's --map-users range), so its
-- uid 0 gets a container's capabilities (hako.caps.CONTAINER).
local function user_namespace(options, context)
  local root = context.uid == 0
  local ns = { uid = context.uid, gid = context.gid,
    map_users = map_mode(options.map_users, "--map-users"),
    map_groups = map_mode(options.map_groups, "--map-groups") }
  ns.setgroups = root or ns.map_groups
  ns.range = root or ns.map_users
  -- Root's tree and binds are mounted idmapped through it (hako.userns_steps).
  ns.idmapped = root or nil
  return ns
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

-- --noexec-writable: the writable mounts are made noexec, which needs a read-only root
-- (else nothing could run) and a command that cannot remount (no CAP_SYS_ADMIN).
local function noexec_writable(options, cap_list)
  local on = flag(options.noexec_writable, "noexec_writable")
  if on and options.read_only ~= true then
    bad("--noexec-writable", "needs a read-only root (-R): in a writable root nothing could be run")
  end
  for _, cap in ipairs(cap_list) do
    if on and cap == caps.number("sys_admin") then
      bad("--noexec-writable", "cannot hold with --cap-add sys_admin (the command could mount)")
    end
  end
  return on
end

-- Limits a command that may mount could lift: its cgroups' files are writable by its
-- uid 0 once it mounts cgroupfs (and delegated to the user, rootless).
local function limits(options)
  local l = cgroup.limits(options)
  for _, name in ipairs(options.cap_add or {}) do
    if l and type(name) == "string" and caps.number(name) == caps.number("sys_admin") then
      bad("--cap-add " .. name, "cannot go with --memory, --pids or --cpus: the command could lift them")
    end
  end
  return l
end

-- build(options, context) -> spec
function M.build(options, context)
  if type(options) ~= "table" then bad("options", "must be a table") end
  for key in pairs(options) do
    if not KNOWN[key] then bad(tostring(key), "unknown option") end
  end
  local root = options.root
  if root == nil or root == "" then bad("target", "missing (usage: hako-run [options] <target> [command])") end
  root = paths.absolute(check_string("target", root), context.cwd)
  local argv = command(options.command)
  if options.as_pid_1 ~= nil and type(options.as_pid_1) ~= "boolean" then
    bad("as_pid_1", "must be true or false")
  end
  local env = environment(options, context)
  local net = network(options.net)
  -- Not root: a user namespace gives the sandbox the privileges to make itself; root's is
  -- one of ids of its own, unless --userns host. An unknown uid (a recipe's test) is root.
  context = setmetatable({ uid = context.uid or 0, gid = context.gid or 0 }, { __index = context })
  local userns = userns_mode(options.userns, context.uid == 0) == "auto"
  local namespaces = { "mount", "pid", "ipc", "uts" }
  if userns then table.insert(namespaces, 1, "user") end
  if net.mode == "none" then namespaces[#namespaces + 1] = "net" end
  local pid_file = optional_string("--pid-file", options.pid_file)
  local built = {
    root = root,
    command = argv,
    -- An init expects to be PID 1; anything else gets hako's own PID 1 in front of it.
    as_pid_1 = options.as_pid_1 or argv[1] == M.DEFAULT_COMMAND[1],
    json_status_fd = fd_number("--json-status-fd", options.json_status_fd),
    timeout = seconds("--timeout", options.timeout),
    timeout_grace = seconds("timeout_grace", options.timeout_grace) or M.DEFAULT_TIMEOUT_GRACE,
    hostname = hostname(options.hostname),
    env = env,
    path = lookup(env, "PATH") or M.DEFAULT_PATH,
    namespaces = namespaces,
    net = net,
    mounts = mounts.parse(options.mounts, context.cwd),
    read_only = options.read_only == true,
    pid_file = pid_file and paths.absolute(pid_file, context.cwd),
    user = optional_string("--user", options.user),
    group = optional_string("--group", options.group),
    chdir = inside_path(optional_string("--chdir", options.chdir) or "/"),
    proc = switch(options.proc, "proc"),
    dev = switch(options.dev, "dev"),
    caps = caps.parse(options.cap_add),
    cap_drop = caps.parse(options.cap_drop, "cap_drop", "--cap-drop"),
    userns = userns and user_namespace(options, context) or nil,
    record_dir = record.write_directory(context.euid, context.xdg_runtime_dir),
    name = sandbox_name(options.name),
    keep_fds = keep_fds(options.keep_fds),
    sys = options.sys == true,
    allow_connect = options.allow_connect and landlock.ports(check_string("--allow-connect", options.allow_connect),
      "--allow-connect"),
    allow_bind = options.allow_bind and landlock.ports(check_string("--allow-bind", options.allow_bind),
      "--allow-bind"),
    share_abstract_sockets = flag(options.share_abstract_sockets, "share_abstract_sockets"),
    noexec_writable = noexec_writable(options, caps.parse(options.cap_add)),
    landlock_required = flag(options.landlock_required, "landlock_required"),
    rlimits = rlimits.list(options.rlimits),
    limits = limits(options),
    notify = notify.settings(options.notify, context.environ),
    seccomp = syscall_filter.source(options.seccomp, options.nested_userns, context.cwd),
  }
  notify.apply(built)
  return built
end

return M
