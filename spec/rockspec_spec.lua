-- rockspec_spec: the rockspec carries version.lua's version, builds with the Makefile's
-- library targets, and `luarocks make` builds and installs a hako that a stock lua5.4
-- can require, seccomp compiler and system call tables included.
local lu = require "luaunit"
local docs = require "support.docs"
local process = require "support.process"

local VERSION = require "hako.version"

local function rockspecs()
  local list = {}
  for name in process.sh("ls"):gmatch("[^\n]+") do
    if name:match("%.rockspec$") then list[#list + 1] = name end
  end
  return list
end

local ROCKSPEC = rockspecs()[1]

-- load() -> the rockspec's globals, from running it in an empty environment as luarocks does.
local function load()
  local env = {}
  assert(loadfile(ROCKSPEC, "t", env))()
  return env
end

local function tempdir()
  return process.sh("mktemp -d /tmp/hako-rock.XXXXXX"):gsub("\n$", "")
end

TestRockspec = {}

function TestRockspec:test_one_rockspec_named_for_this_version()
  lu.assertEquals(#rockspecs(), 1, table.concat(rockspecs(), " "))
  lu.assertStrMatches(ROCKSPEC, "hako%-" .. VERSION:gsub("%p", "%%%0") .. "%-%d+%.rockspec")
  local spec = load()
  lu.assertEquals(spec.package, "hako")
  lu.assertEquals(spec.version, ROCKSPEC:match("^hako%-(.*)%.rockspec$"))
end

-- The Makefile builds the library (hako.syscalls is generated at build time, which the
-- builtin type cannot do): the targets the rockspec names are the Makefile's.
function TestRockspec:test_the_makefile_builds_and_installs_the_library()
  local build = load().build
  lu.assertEquals(build.type, "make")
  local makefile = docs.read("Makefile")
  for _, target in ipairs({ build.build_target, build.install_target }) do
    lu.assertStrContains(makefile, "\n" .. target .. ":", false, "Makefile: no target " .. target)
  end
  lu.assertStrContains(makefile, "\ninstall: all install-lua\n")
end

-- luarocks make, in a copy of the tree (it leaves its objects beside the sources) into a
-- tree of its own, with a HOME of its own (no cache in the caller's).
function TestRockspec:test_luarocks_make_installs_a_working_module()
  lu.skipIf(not os.execute("command -v luarocks >/dev/null"), "luarocks missing: apt-get install luarocks")
  local dir = tempdir()
  local q = process.quote
  local ok, err = pcall(function()
    process.sh("tar -cf - --exclude=./.git --exclude=./build . | tar -xf - -C " .. q(dir .. "/") .. " && mkdir "
      .. q(dir .. "/home"))
    local r = process.run({ "sh", "-c", "cd " .. q(dir) .. " && HOME=" .. q(dir .. "/home")
      .. " luarocks --lua-version 5.4 make --tree " .. q(dir .. "/tree") .. " " .. q(ROCKSPEC) })
    lu.assertEquals(r.status, 0, r.stdout .. r.stderr)
    local tree = dir .. "/tree"
    r = process.run({ "sh", "-c", "cd / && LUA_PATH=" .. q(tree .. "/share/lua/5.4/?.lua;" .. tree
      .. "/share/lua/5.4/?/init.lua") .. " LUA_CPATH=" .. q(tree .. "/lib/lua/5.4/?.so") .. " LUA_INIT= lua5.4 -e "
      .. q('local hako = require "hako"; print(hako.version, package.searchpath("hako.core", package.cpath),'
        .. ' hako.core.getpid() > 0, type(hako.run), require("hako.syscalls").x86_64 ~= nil'
        .. ' or require("hako.syscalls").aarch64 ~= nil)') })
    lu.assertEquals(r.stdout, VERSION .. "\t" .. tree .. "/lib/lua/5.4/hako/core.so\ttrue\tfunction\ttrue\n",
      r.stderr)
  end)
  process.sh("rm -rf " .. q(dir))
  if not ok then error(err, 0) end
end

os.exit(lu.LuaUnit.run("-o", "tap"))
