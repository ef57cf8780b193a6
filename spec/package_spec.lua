-- package_spec: make deb builds the Debian package, which lintian passes without an
-- error; installed with dpkg -i it runs a sandbox from /usr/bin, a stock lua5.4 finds
-- require "hako", man finds its pages; purged, it leaves nothing behind.
--
-- The install test never touches a hako already on the machine: it skips when a hako
-- package is installed or a file of the package is already in place, and one run of it
-- at a time holds a lock (other sessions may run the tests on this machine meanwhile).
local lu = require "luaunit"
local process = require "support.process"
local sandbox = require "support.sandbox"

local VERSION = require "hako.version"
local q = process.quote
local LOCK = "/tmp/hako-package-spec.lock"

local function have(command)
  return os.execute("command -v " .. command .. " >/dev/null 2>&1") == true
end

local function sh_ok(line)
  return os.execute(line) == true
end

local function lines(text)
  local list = {}
  for line in text:gmatch("[^\n]+") do list[#list + 1] = line end
  return list
end

local function deb_path()
  local arch = process.sh("dpkg --print-architecture"):gsub("\n$", "")
  return sandbox.BUILD .. "/deb/hako_" .. VERSION .. "_" .. arch .. ".deb"
end

-- build() -> the result of make deb, run once for the whole file.
local built
local function build()
  lu.skipIf(not (have("dpkg-buildpackage") and have("dh")),
    "dpkg-dev or debhelper missing: apt-get install dpkg-dev debhelper")
  built = built or process.run({ "make", "-s", "deb", "B=" .. sandbox.BUILD })
  lu.assertEquals(built.status, 0, built.stdout .. built.stderr)
  return deb_path()
end

-- The files (not directories) in the package, as absolute paths.
local function contents(deb)
  local list = {}
  for _, line in ipairs(lines(process.sh("dpkg-deb -c " .. q(deb)))) do
    local path = line:match("^[^d]%S* +%S+ +%d+ %S+ %S+ %.(/.-)$")
    if path then list[#list + 1] = path:gsub(" %-> .*$", "") end
  end
  return list
end

-- The status dpkg knows hako by ("installed", "config-files", ...), nil if it never heard of it.
local function dpkg_status()
  local r = process.run({ "dpkg-query", "-W", "-f=${db:Status-Status}", "hako" })
  return r.status == 0 and r.stdout ~= "" and r.stdout or nil
end

-- dpkg(args...) -> result, waiting out another dpkg or apt-get holding dpkg's lock.
local function dpkg(...)
  local r
  for _ = 1, 60 do
    r = process.run({ "dpkg", ... })
    if not (r.status ~= 0 and r.stderr:find("lock", 1, true)) then return r end
    process.sh("sleep 1")
  end
  return r
end

-- A directory's entries as one line, or "absent".
local function listing(dir)
  local r = process.run({ "ls", "-A", dir })
  return r.status == 0 and r.stdout:gsub("\n", " ") or "absent"
end

-- Every directory above the package's files, and dpkg's own records, as they are now.
local function snapshot(files)
  local dirs, seen = { "/var/lib/dpkg/info", "/etc" }, {}
  for _, path in ipairs(files) do
    local dir = path:match("^(.*)/[^/]+$")
    while dir and dir ~= "" and not seen[dir] do
      seen[dir] = true
      dirs[#dirs + 1] = dir
      dir = dir:match("^(.*)/[^/]+$")
    end
  end
  local shot = {}
  for _, dir in ipairs(dirs) do shot[dir] = listing(dir) end
  return shot
end

local function take_lock()
  if sh_ok("mkdir " .. LOCK .. " 2>/dev/null") then
    process.sh("echo " .. require("hako.core").getpid() .. " > " .. LOCK .. "/pid")
    return true
  end
  local pid = process.run({ "cat", LOCK .. "/pid" }).stdout:match("%d+")
  if pid and not require("hako.core").kill(tonumber(pid), 0) then -- its run died: take it over
    process.sh("rm -rf " .. LOCK)
    return take_lock()
  end
  return false
end

TestPackage = {}

function TestPackage:test_changelog_is_at_this_version()
  local f = assert(io.open("debian/changelog"))
  local first = f:read("l")
  f:close()
  lu.assertEquals(first:match("^hako %((.-)%)"), VERSION,
    "debian/changelog's last entry must be lua/hako/version.lua's version: dch -v " .. VERSION)
end

function TestPackage:test_builds_with_what_debian_wants_where_it_wants_it()
  local files = {}
  for _, path in ipairs(contents(build())) do files[path] = true end
  local multiarch = process.sh("dpkg-architecture -qDEB_HOST_MULTIARCH"):gsub("\n$", "")
  for _, path in ipairs({ "/usr/bin/hako", "/usr/bin/hako-run", "/usr/bin/hako-enter", "/usr/bin/hako-seccomp",
    "/usr/share/lua/5.4/hako/init.lua", "/usr/share/lua/5.4/hako/version.lua",
    "/usr/lib/" .. multiarch .. "/lua/5.4/hako/core.so", "/usr/share/man/man1/hako-run.1.gz",
    "/usr/share/man/man1/hako-enter.1.gz", "/usr/share/man/man1/hako-seccomp.1.gz", "/usr/share/man/man3/hako.3.gz",
    "/usr/share/man/man7/hako-security.7.gz", "/usr/share/man/man5/hako-seccomp.5.gz",
    "/usr/share/doc/hako/copyright" }) do
    lu.assertTrue(files[path], "the package lacks " .. path)
  end
  for path in process.sh("ls lua/hako"):gmatch("[^\n]+") do
    lu.assertTrue(files["/usr/share/lua/5.4/hako/" .. path], "the package lacks module " .. path)
  end
  -- The bash completion, once the tree has one (debian/rules installs it).
  if process.sh("ls bin"):find("bash", 1, true) then
    for _, name in ipairs({ "hako", "hako-run", "hako-enter", "hako-seccomp" }) do
      lu.assertTrue(files["/usr/share/bash-completion/completions/" .. name], "no bash completion for " .. name)
    end
  end
end

function TestPackage:test_lintian_finds_no_error()
  local deb = build()
  lu.skipIf(not have("lintian"), "lintian missing: apt-get install lintian")
  local r = process.run({ "lintian", "--no-tag-display-limit", deb })
  lu.assertNotStrContains(r.stdout, "E: ", false, r.stdout)
  lu.assertNotStrContains(r.stdout, "internal error", false, r.stdout .. r.stderr)
end

-- With the package installed: its commands, its library from a stock lua5.4, its pages.
local function check_installed(sb)
  local r = process.run({ "/usr/bin/hako", "--version" })
  lu.assertEquals(r.stdout, "hako " .. VERSION .. "\n", r.stderr)
  r = process.run({ "/usr/bin/hako-run", sb.root, "/bin/sh", "-c", "echo $(hostname) $(ls -A /.hako | wc -l)" })
  lu.assertEquals(r.stdout, "hako 0\n", r.stderr)
  lu.assertEquals(r.status, 0)
  -- No LUA_PATH or LUA_CPATH (make check sets them to the tree), and away from the tree.
  local stock = "cd / && env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 -u LUA_INIT lua5.4 -e "
  r = process.run({ "sh", "-c", stock .. q('local hako = require "hako"; print(hako.version,'
    .. ' package.searchpath("hako", package.path), package.searchpath("hako.core", package.cpath))') })
  local multiarch = process.sh("dpkg-architecture -qDEB_HOST_MULTIARCH"):gsub("\n$", "")
  lu.assertEquals(r.stdout, VERSION .. "\t/usr/share/lua/5.4/hako/init.lua\t/usr/lib/" .. multiarch
    .. "/lua/5.4/hako/core.so\n", r.stderr)
  r = process.run({ "sh", "-c", stock .. q('os.exit(require "hako".run{ root = ' .. string.format("%q", sb.root)
    .. ', command = { "/bin/sh", "-c", "exit 7" } })') })
  lu.assertEquals(r.status, 7, "a recipe run by lua5.4: " .. r.stderr)
  lu.assertTrue(have("man"), "man missing: apt-get install man-db")
  r = process.run({ "sh", "-c", "env -u MANPATH man -w hako-run && env -u MANPATH man -w 3 hako"
    .. " && env -u MANPATH man -w 5 hako-seccomp" })
  lu.assertEquals(r.stdout, "/usr/share/man/man1/hako-run.1.gz\n/usr/share/man/man3/hako.3.gz\n"
    .. "/usr/share/man/man5/hako-seccomp.5.gz\n", r.stderr)
end

function TestPackage:test_install_run_purge_leaves_nothing()
  lu.skipIf(not process.is_root(), "needs root: dpkg -i")
  local deb = build()
  local status = dpkg_status()
  lu.skipIf(status and status ~= "not-installed",
    "dpkg knows a hako package here (" .. tostring(status) .. "): this test would replace and purge it")
  local files = contents(deb)
  for _, path in ipairs(files) do
    lu.skipIf(sh_ok("test -e " .. q(path) .. " -o -L " .. q(path)),
      path .. " exists (a make install with PREFIX=/usr?): dpkg -i would overwrite it")
  end
  lu.skipIf(not take_lock(), LOCK .. " is held: another run of this test is installing hako")
  local before = snapshot(files)
  local sb = sandbox.new()
  local installed, list
  local ok, err = pcall(function()
    local r = dpkg("-i", deb)
    installed = true
    lu.assertEquals(r.status, 0, r.stdout .. r.stderr)
    list = lines(process.sh("dpkg -L hako"))
    check_installed(sb)
  end)
  local purged = installed and dpkg("--purge", "hako")
  sb:remove()
  process.sh("rm -rf " .. LOCK)
  if not ok then error(err, 0) end
  lu.assertEquals(purged.status, 0, purged.stdout .. purged.stderr)
  local after = dpkg_status()
  lu.assertTrue(after == nil or after == "not-installed", "dpkg still has hako: " .. tostring(after))
  local left = {}
  for _, path in ipairs(list) do
    -- dpkg -L lists "/." and the directories above the files: those that were there stay.
    local was = before[path]
    local exists = sh_ok("test -e " .. q(path) .. " -o -L " .. q(path))
    if path ~= "/." and (was == nil or was == "absent") and exists then left[#left + 1] = path end
  end
  lu.assertEquals(left, {}, "left after dpkg --purge")
  lu.assertEquals(snapshot(files), before, "the directories the package touched")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
