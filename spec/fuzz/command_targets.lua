-- spec/fuzz/command_targets.lua: the command lines of hako-run, hako-enter and hako, and
-- the options a recipe gives hako.run. Scripts build command lines from variables; a
-- value with a newline or a leading "-" must not make hako do something else.
--
-- Each command runs in this process as its script would, but always with --dry-run
-- first (nothing can turn it off): options are parsed, validated and planned, and the
-- plan printed, never run. Its answer must be exit 0 with nothing on stderr, or exit
-- 125 with one line "<command>: <what>: <why>" (never "internal error").

local command = require "hako.command"
local enter = require "hako.enter"
local hako = require "hako"

local M = {}

-- capture(f, ...) -> f's results, then what it wrote to stdout and stderr, and how it
-- exited (os.exit is caught: bin/hako calls it).
local EXIT = setmetatable({}, { __tostring = function() return "os.exit" end })
function M.capture(f, ...)
  local out, err = {}, {}
  local function sink(list)
    local s = {}
    function s.write(self, ...)
      for _, piece in ipairs({ ... }) do list[#list + 1] = tostring(piece) end
      return self
    end
    function s.flush(self) return self end
    return s
  end
  local stdout, stderr, exit = io.stdout, io.stderr, os.exit
  io.stdout, io.stderr = sink(out), sink(err) -- luacheck: ignore 122
  local status
  os.exit = function(code) status = code == true and 0 or code or 0; error(EXIT, 0) end -- luacheck: ignore 122
  local results = table.pack(pcall(f, ...))
  io.stdout, io.stderr, os.exit = stdout, stderr, exit -- luacheck: ignore 122
  if not results[1] and results[2] ~= EXIT then error(results[2], 0) end
  return results[2], table.concat(out), table.concat(err), status
end

-- The answer of a command, as a script sees it: nil if it is one of the two good ones.
function M.judge(program, status, stdout, stderr)
  if status == 0 then
    if stderr ~= "" then return "exit 0 with stderr " .. string.format("%q", stderr) end
    if stdout == "" then return "exit 0 and nothing printed" end
    return nil
  end
  if status ~= 125 then return "exit " .. tostring(status) .. ", not 0 or 125" end
  if stderr:find("internal error", 1, true) then return "internal error: " .. stderr end
  local line = stderr:match("^(" .. program .. ": [^\n]*)\n$")
  if not line then return "not one line " .. program .. ": ...: " .. string.format("%q", stderr) end
  if line:find("%c") then return "a control character in " .. string.format("%q", line) end
end

-- Values each option is given in generated command lines: real ones and near misses.
local VALUES = {
  mount = { "/srv/data:/data", "/srv/data:/data:ro", "a\\:b:/c:rw", "/x:/.hako", "src", "/x:/y:rx" },
  ["dev-bind"] = { "/dev/fuse:/dev/fuse", "/dev:/dev" },
  tmpfs = { "/tmp", "/tmp:64m", "/run:10%", "/tmp:big" },
  net = { "none", "host", "/run/netns/blue", "/proc/1/ns/net", "bridge" },
  ["map-users"] = { "auto", "manual" },
  ["map-groups"] = { "auto", "" },
  hostname = { "box", "", ("h"):rep(64), ("h"):rep(65) },
  user = { "root", "0", "alice", "1000", "4294967294", "4294967295", "" },
  group = { "root", "0", "users", "99999999999", "" },
  ["cap-add"] = { "CAP_NET_RAW", "net_raw", "cap_sys_admin", "ALL", "" },
  ["keep-fd"] = { "3", "0", "-1", "2147483648", "1e3", "x" },
  env = { "A=1", "PATH=/bin", "=x", "A", "A=\n" },
  chdir = { "/", "/home/alice", "relative", "" },
  ["pid-file"] = { "/run/sb.pid", "sb.pid", "" },
  timeout = { "1", "0.5", "0", "-1", "1e999", "0x10", "nan", "2147483648" },
  ["json-status-fd"] = { "3", "1", "-1", "fd" },
}

-- generator(defs, operands) -> a function making a command line of defs' options, in
-- every accepted form (--long=V, --long V, -xV, -x V, bundled switches), then operands.
local function generator(defs, operands)
  return function(r)
    local argv = {}
    for _ = 1, r:int(0, 6) do
      local def = r:pick(defs)
      if def.long == "help" or def.long == "version" then def = r:pick(defs) end
      local value = def.value and r:pick(VALUES[def.long] or { "x", "" })
      local short = def.short and r:chance(0.5)
      if not value then
        argv[#argv + 1] = short and "-" .. def.short or "--" .. def.long
      elseif short and r:chance(0.5) then
        argv[#argv + 1] = "-" .. def.short .. value
      elseif short then
        argv[#argv + 1] = "-" .. def.short
        argv[#argv + 1] = value
      elseif r:chance(0.5) then
        argv[#argv + 1] = "--" .. def.long .. "=" .. value
      else
        argv[#argv + 1] = "--" .. def.long
        argv[#argv + 1] = value
      end
    end
    if r:chance(0.2) then argv[#argv + 1] = "--" end
    for _ = 1, r:int(0, 3) do argv[#argv + 1] = r:pick(operands) end
    return argv
  end
end

local function option_tokens(defs)
  local tokens = { "--", "-", "-n", "-nR", "--=", "--help", "-V" }
  for _, def in ipairs(defs) do
    tokens[#tokens + 1] = "--" .. def.long
    if def.short then tokens[#tokens + 1] = "-" .. def.short end
    if def.value then tokens[#tokens + 1] = "--" .. def.long .. "=" end
  end
  return tokens
end

local RUN_OPERANDS = { "sb", "/srv/sb", "", "-", "--", "/bin/sh", "-c", "echo hi", "/sbin/init", "ls" }

M.hako_run = {
  name = "hako-run",
  seeds = {
    { "sb", "/bin/sh" }, { "-m", "/srv/data:/data:ro", "-t", "/tmp:64m", "-R", "sb", "/bin/ls", "-l" },
    { "--userns", "--map-users", "auto", "--map-groups=auto", "-u", "alice", "-g", "users", "sb" },
    { "-N", "host", "-H", "box", "--cap-add", "CAP_NET_RAW", "--keep-fd", "3", "-e", "A=1", "--keep-env", "sb" },
    { "-c", "/home", "-p", "/run/sb.pid", "--as-pid-1", "--timeout", "1.5", "--json-status-fd", "3", "sb", "--", "-x" },
    { "--proc", "--no-dev", "--sys", "--dev-bind", "/dev/fuse:/dev/fuse", "sb", "sh", "-c", "echo $$" },
    { "--help" }, { "-V" }, {}, { "--bogus" }, { "-m" },
  },
  tokens = option_tokens(command.run_options),
  generate = generator(command.run_options, RUN_OPERANDS),
  run = function(argv)
    local status, out, err = M.capture(command.hako_run, { "-n", table.unpack(argv) })
    return M.judge("hako%-run", status, out, err)
  end,
}

M.hako_enter = {
  name = "hako-enter",
  seeds = {
    { "4242" }, { "4242", "/bin/ls", "-l" }, { "-u", "alice", "-g", "users", "-c", "/tmp", "4242", "--", "sh" },
    { "--no-fork", "-e", "A=1", "--keep-env", "4242" }, { "0" }, { "-1" }, { "4294967296" }, { "--help" }, {},
  },
  tokens = option_tokens(enter.options),
  generate = generator(enter.options, { "4242", "1", "0", "x", "1073741824", "--", "/bin/sh", "" }),
  run = function(argv)
    local status, out, err = M.capture(enter.main, { "-n", table.unpack(argv) })
    return M.judge("hako%-enter", status, out, err)
  end,
}

-- bin/hako itself, with loadfile refused (no recipe is read, and none from stdin) and
-- "run" given --dry-run, in an environment of its own: the script sets globals.
local hako_script = assert(loadfile(os.getenv("HAKO_SOURCE_BIN") or "bin/hako", "t"))
M.hako = {
  name = "hako",
  seeds = { { "--version" }, { "-h" }, {}, { "-" }, { "recipe.lua", "a", "b" }, { "run", "sb", "/bin/sh" },
    { "run", "--help" }, { "--bogus" }, { "-x\ny" } },
  tokens = { "run", "--version", "-V", "--help", "-h", "-", "--", "recipe.lua", "-n", "sb" },
  run = function(argv)
    if argv[1] == "run" then argv = { "run", "-n", table.unpack(argv, 2) } end
    local env = setmetatable({}, { __index = _G })
    env._G = env
    env.arg = { [0] = "hako", table.unpack(argv) }
    env.loadfile = function(path) return nil, "cannot open " .. tostring(path) .. " (not in the fuzzer)" end
    debug.setupvalue(hako_script, 1, env) -- its _ENV
    local _, out, err, status = M.capture(hako_script)
    return M.judge(argv[1] == "run" and "hako%-run" or "hako", status, out, err)
  end,
}

-- hako.run's options, from a recipe: any Lua value where a string, a list or a boolean
-- belongs must be refused cleanly.
local KEYS = { "root", "command", "hostname", "mounts", "read_only", "pid_file", "user", "group", "env",
  "keep_env", "chdir", "proc", "dev", "net", "cap_add", "userns", "map_users", "map_groups", "as_pid_1",
  "json_status_fd", "timeout", "timeout_grace", "keep_fds", "sys", "bogus", 1 }
local function value(r, depth)
  local kind = r:int(1, depth > 1 and 7 or 9)
  if kind == 1 then return r:pick({ "sb", "/srv/sb", "", "auto", "none", "A=1", "3", "/x:/y:ro", "net_raw", "a\0b" })
  elseif kind == 2 then return r:pick({ 0, 1, -1, 3, 1.5, 2 ^ 63, math.mininteger, 0 / 0, math.huge })
  elseif kind == 3 then return r:chance(0.5)
  elseif kind == 4 then return print
  elseif kind == 5 then return io.stdout
  elseif kind == 6 then return nil
  elseif kind == 7 then return { tmpfs = value(r, depth + 1) }
  end
  local list = {}
  for i = 1, r:int(0, 3) do list[i] = value(r, depth + 1) end
  if r:chance(0.2) then list[r:pick({ "src", "dst", "mode", "tmpfs", "dev_bind", "X" })] = value(r, depth + 1) end
  return list
end

M.recipe_options = {
  name = "recipe-options",
  seeds = { { root = "sb" }, { root = "sb", command = { "/bin/sh", "-c", "echo hi" }, mounts = { "/srv:/srv:ro",
    { src = "a", dst = "/b", mode = "ro" }, { tmpfs = "/tmp:1m" }, { dev_bind = "/dev/fuse:/dev/fuse" } },
    env = { "A=1", B = "2" }, cap_add = { "net_raw" }, keep_fds = { 3, "4" }, timeout = 2, read_only = true } },
  generate = function(r)
    local options = { root = r:chance(0.8) and "sb" or value(r, 0) }
    for _ = 1, r:int(0, 4) do options[r:pick(KEYS)] = value(r, 0) end
    return options
  end,
  mutate = function(r, options)
    options[r:pick(KEYS)] = value(r, 0)
    return options
  end,
  run = function(options)
    hako.describe(hako.plan(options))
  end,
}

-- The binary itself (HAKO_BUILD, else build/), run by name through its links: argv
-- from the C main to Lua and back to an exit status, and under make sanitize its C
-- under ASan and UBSan. Each input costs a shell and hako: a tenth of the count.
local process = require "support.process"
local BUILD = os.getenv("HAKO_BUILD") or "build"
local PROGRAMS = { ["hako-run"] = true, ["hako-enter"] = true, hako = true }

M.launcher = {
  name = "launcher",
  share = 0.1,
  seeds = { { "hako-run", "sb", "/bin/sh" }, { "hako-enter", "4242" }, { "hako", "run", "sb" }, { "hako", "--version" },
    { "hako-run", "--help" }, { "hako-enter", "-V" }, { "hako", "--bogus" },
    { "hako-run", "-m", "a\\:b:/c\n:ro", "sb" } },
  tokens = M.hako_run.tokens,
  generate = function(r)
    local name = r:pick({ "hako-run", "hako-enter" })
    local argv = (name == "hako-run" and M.hako_run or M.hako_enter).generate(r)
    table.insert(argv, 1, name)
    return argv
  end,
  run = function(argv)
    local name = PROGRAMS[argv[1]] and argv[1] or "hako-run"
    local words = { BUILD .. "/" .. name }
    local rest = { table.unpack(argv, 2) }
    -- Never a sandbox, never a recipe: --dry-run first; hako only as "hako run" or with options.
    if name == "hako" and not (rest[1] and rest[1]:match("^%-.")) then
      rest[1] = "run"
      table.insert(rest, 2, "-n")
    elseif name ~= "hako" then
      table.insert(rest, 1, "-n")
    end
    for _, word in ipairs(rest) do words[#words + 1] = (word:gsub("%z", "")) end -- argv has no NUL
    local r = process.run(words)
    return M.judge(name == "hako" and rest[1] ~= "run" and "hako" or name == "hako-enter" and "hako%-enter"
      or "hako%-run", r.status, r.stdout, r.stderr)
  end,
}

return M
