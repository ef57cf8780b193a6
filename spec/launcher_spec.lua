-- launcher_spec: the hako binary: multi-call, embedded code, recipes, the loadable module.
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local ROOT = process.is_root()
local VERSION = require "hako.version"

local function tempdir()
  return process.sh("mktemp -d /tmp/hako-launcher.XXXXXX"):gsub("\n$", "")
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

TestLauncher = {}

function TestLauncher:setUp()
  self.dir = tempdir()
end

function TestLauncher:tearDown()
  process.sh("rm -rf " .. self.dir)
end

-- The Lua heap's arena is made ready 16 KiB at a time by MADV_POPULATE_WRITE, not by a
-- page fault a page (c/launcher.c): every call is for the next 16 KiB of one mapping,
-- and a hako-run that plans a sandbox needs several.
function TestLauncher:test_the_arena_is_populated_a_chunk_at_a_time()
  -- make sanitize builds without the arena (-DARENA_SIZE=0), for ASan to see every block.
  lu.skipIf(os.execute("grep -q ARENA_SIZE=0 " .. sandbox.BUILD .. "/obj/.compiler 2>/dev/null"),
    "a sanitizer build has no arena by design")
  for _, argv in ipairs({ { sandbox.bin("hako"), "--version" },
    { sandbox.bin("hako-run"), "--dry-run", "--userns", "host", self.dir, "/bin/true" } }) do
    local log = self.dir .. "/strace"
    local r = process.run({ "strace", "-o", log, "-e", "trace=madvise", table.unpack(argv) })
    lu.assertEquals(r.status, 0, r.stderr)
    local starts = {}
    for line in io.lines(log) do
      local at, size = line:match("^madvise%((0x%x+), (%d+), MADV_POPULATE_WRITE%) = 0$")
      if at then
        lu.assertEquals(size, "16384", line)
        starts[#starts + 1] = tonumber(at)
      end
    end
    lu.assertTrue(#starts >= (argv[2] == "--version" and 1 or 4), argv[1] .. ": " .. #starts .. " calls")
    for i = 2, #starts do lu.assertEquals(starts[i] - starts[i - 1], 16384) end
  end
end

function TestLauncher:test_version()
  local r = process.run({ sandbox.bin("hako"), "--version" })
  lu.assertEquals(r.stdout, "hako " .. VERSION .. "\n")
  r = process.run({ sandbox.bin("hako-run"), "--version" })
  lu.assertEquals(r.stdout, "hako-run " .. VERSION .. "\n")
  r = process.run({ sandbox.bin("hako-enter"), "-V" })
  lu.assertEquals(r.stdout, "hako-enter " .. VERSION .. "\n")
  r = process.run({ sandbox.bin("hako-enter"), "--help" })
  lu.assertStrContains(r.stdout, "Usage: hako-enter [options] <pid>|<name> [--] [command] [args]")
  lu.assertStrContains(r.stdout, "--no-fork: hako-enter execs the command itself")
end

-- bin/hako spells out the name a rootless sandbox's first process is started again by, so
-- that hako --version need not load hako.resume: it must be that module's.
function TestLauncher:test_bin_hako_knows_the_resume_name()
  local f = assert(io.open("bin/hako"))
  local text = f:read("a")
  f:close()
  lu.assertStrContains(text, 'if arg[0] == "' .. require("hako.resume").NAME .. '" then')
end

function TestLauncher:test_multi_call_by_name_through_any_link()
  process.sh("ln -s " .. sandbox.bin("hako") .. " " .. self.dir .. "/hako-run")
  local r = process.run({ self.dir .. "/hako-run", "--help" })
  lu.assertEquals(r.status, 0)
  lu.assertStrContains(r.stdout, "Usage: hako-run [options] <target>")
end

function TestLauncher:test_unknown_option_of_hako()
  local r = process.run({ sandbox.bin("hako"), "--bogus" })
  lu.assertEquals(r.status, 125)
  lu.assertStrContains(r.stderr, "hako: --bogus: unknown option")
end

-- A shipped command reads no Lua from disk: LUA_PATH, LUA_CPATH, LUA_INIT and the
-- current directory cannot replace hako's own modules.
function TestLauncher:test_shipped_commands_ignore_lua_environment()
  process.sh("mkdir -p " .. self.dir .. "/hako")
  local evil = 'io.stdout:write("pwned\\n") os.exit(99)'
  write(self.dir .. "/hako/command.lua", evil)
  write(self.dir .. "/hako/version.lua", evil)
  write(self.dir .. "/init.lua", evil)
  local r = process.run({ "sh", "-c", "cd " .. self.dir .. " && env LUA_PATH='" .. self.dir
    .. "/?.lua;./?.lua' LUA_PATH_5_4='" .. self.dir .. "/?.lua' LUA_INIT=@" .. self.dir
    .. "/init.lua " .. sandbox.bin("hako-run") .. " --version" })
  lu.assertEquals(r.stdout, "hako-run " .. VERSION .. "\n")
  lu.assertEquals(r.status, 0)
end

function TestLauncher:test_a_recipe_gets_its_arguments()
  write(self.dir .. "/args.lua", 'print(arg[0], table.concat({ ... }, ","), #arg)')
  local r = process.run({ sandbox.bin("hako"), self.dir .. "/args.lua", "a", "b" })
  lu.assertEquals(r.stdout, self.dir .. "/args.lua\ta,b\t2\n")
end

-- More arguments than Lua's C stack holds unasked (LUA_MINSTACK): it used to crash.
function TestLauncher:test_a_recipe_gets_hundreds_of_arguments()
  write(self.dir .. "/count.lua", 'print(select("#", ...), #arg, arg[300])')
  local argv = { sandbox.bin("hako"), self.dir .. "/count.lua" }
  for i = 1, 300 do argv[#argv + 1] = tostring(i) end
  local r = process.run(argv)
  lu.assertEquals(r.stdout, "300\t300\t300\n", r.stderr)
  lu.assertEquals(r.status, 0)
end

-- The launcher opens only the libraries hako uses; a recipe still gets all of lua(1)'s.
function TestLauncher:test_a_recipe_gets_every_standard_library()
  write(self.dir .. "/libs.lua", 'print(math.max(1, 2), utf8.char(72), coroutine.wrap(function() '
    .. 'return "co" end)(), type(debug.traceback), package.loaded.math == math)')
  local r = process.run({ sandbox.bin("hako"), self.dir .. "/libs.lua" })
  lu.assertEquals(r.stdout, "2\tH\tco\tfunction\ttrue\n", r.stderr)
end

-- Debian's dkjson is built in (OCI seccomp profiles are JSON): with no Lua path at all a
-- recipe still parses one.
function TestLauncher:test_dkjson_is_built_in()
  write(self.dir .. "/json.lua", 'package.path = "" package.cpath = ""\n'
    .. 'local p = require("hako.seccomp_oci").parse(\'{"defaultAction": "SCMP_ACT_LOG"}\', "p", {})\n'
    .. 'print(p.default.kind, package.searchpath("dkjson", "/usr/share/lua/5.4/?.lua") ~= nil)')
  local r = process.run({ sandbox.bin("hako"), self.dir .. "/json.lua" })
  lu.assertEquals(r.stdout, "log\ttrue\n", r.stderr)
end

function TestLauncher:test_a_recipe_error_is_one_message_and_125()
  write(self.dir .. "/bad.lua", 'local hako = require "hako"\nhako.run{ root = "/nonexistent" }')
  local r = process.run({ sandbox.bin("hako"), self.dir .. "/bad.lua" })
  lu.assertEquals(r.status, 125)
  lu.assertEquals(r.stderr, "hako: target /nonexistent: No such file or directory\n")
end

function TestLauncher:test_a_missing_recipe()
  local r = process.run({ sandbox.bin("hako"), self.dir .. "/none.lua" })
  lu.assertEquals(r.status, 125)
  lu.assertStrContains(r.stderr, "hako: cannot open " .. self.dir .. "/none.lua")
end

-- execve(2) allows an empty argv (argc 0), which the launcher once ran the command
-- script as Lua's message handler with; an empty program name names no command either.
function TestLauncher:test_an_empty_argv_is_refused()
  local probe = sandbox.bin("probe")
  lu.skipIf(not io.open(probe), probe .. " is missing: make check builds it")
  -- The probe really does run a program without a name (Linux 5.18 on makes argv {""}).
  lu.assertStrMatches(process.run({ probe, "exec-empty", probe }).stdout, "no program name %(argc [01]%)\n")
  lu.assertStrMatches(process.run({ probe, "exec-empty", probe, "" }).stdout, "no program name %(argc 1%)\n")
  for _, name in ipairs({ "hako", "hako-run", "hako-enter", "hako-seccomp" }) do
    for _, arg0 in ipairs({ {}, { "" } }) do -- argv {NULL}, then {"", NULL}
      local r = process.run({ probe, "exec-empty", sandbox.bin(name), table.unpack(arg0) })
      lu.assertEquals(r.stderr, "hako: no program name (empty argv)\n", name)
      lu.assertEquals(r.stdout, "")
      lu.assertEquals(r.status, 125)
    end
  end
end

local RECIPE = [[
local hako = require "hako"
os.exit(hako.run{ root = arg[1], command = { "/bin/sh", "-c", "echo hi from $$; exit 7" } })
]]

function TestLauncher:test_the_seed_recipe_runs_in_the_launcher()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  local sb = sandbox.new()
  write(self.dir .. "/recipe.lua", RECIPE)
  local r = process.run({ sandbox.bin("hako"), self.dir .. "/recipe.lua", sb.root })
  sb:remove()
  lu.assertEquals(r.stdout, "hi from 2\n") -- PID 1 is hako's init
  lu.assertEquals(r.status, 7)
end

function TestLauncher:test_a_stock_lua_requires_hako_from_the_build_folder()
  lu.skipIf(not ROOT, "needs root to make the sandbox")
  local sb = sandbox.new()
  write(self.dir .. "/recipe.lua", RECIPE)
  local r = process.run({ "env", "LUA_PATH=lua/?.lua;lua/?/init.lua;" .. sandbox.BUILD .. "/gen/?.lua",
    "LUA_CPATH=" .. sandbox.BUILD .. "/lib/?.so", "lua5.4", self.dir .. "/recipe.lua", sb.root })
  sb:remove()
  lu.assertEquals(r.stdout, "hi from 2\n", r.stderr)
  lu.assertEquals(r.status, 7)
end

-- make install puts the modules where a stock lua5.4 looks under its PREFIX.
function TestLauncher:test_make_install_gives_a_requirable_module()
  local r = process.run({ "make", "-s", "install", "DESTDIR=" .. self.dir, "PREFIX=/usr/local" })
  lu.assertEquals(r.status, 0, r.stderr)
  local root = self.dir .. "/usr/local"
  local probe = 'local hako = require "hako"; print(hako.version, type(hako.core.clone), '
    .. 'package.searchpath("hako.core", package.cpath))'
  r = process.run({ "env", "LUA_PATH=" .. root .. "/share/lua/5.4/?.lua;" .. root .. "/share/lua/5.4/?/init.lua",
    "LUA_CPATH=" .. root .. "/lib/lua/5.4/?.so", "lua5.4", "-e", probe })
  lu.assertEquals(r.stdout, VERSION .. "\tfunction\t" .. root .. "/lib/lua/5.4/hako/core.so\n", r.stderr)
  lu.assertEquals(process.sh("readlink " .. root .. "/bin/hako-run"), "hako\n")
  lu.assertEquals(process.sh("readlink " .. root .. "/bin/hako-enter"), "hako\n")
  lu.assertEquals(process.sh("readlink " .. root .. "/bin/hako-seccomp"), "hako\n")
  lu.assertEquals(process.sh("ls " .. root .. "/share/man/man1"), "hako-enter.1\nhako-run.1\nhako-seccomp.1\nhako.1\n")
  local completions = root .. "/share/bash-completion/completions"
  lu.assertEquals(process.sh("cd " .. completions .. " && ls && readlink hako-run hako-enter hako-seccomp"),
    "hako\nhako-enter\nhako-run\nhako-seccomp\nhako\nhako\nhako\n")
  lu.assertEquals(process.sh("ls " .. root .. "/share/man/man7"), "hako-security.7\n")
  lu.assertEquals(process.sh("ls " .. root .. "/share/man/man5"), "hako-seccomp.5\n")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
