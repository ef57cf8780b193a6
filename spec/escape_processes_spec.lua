-- escape_processes_spec: the way out through hako's own processes, and what any process
-- inside can do to its neighbours: every link a visible process exposes in /proc (fds,
-- map_files, cwd, root, exe), a working directory through a magic link, and signals to
-- the caller's process group. Each attack also runs where the defence is absent (a recipe
-- that drops the defending steps, or a process of the command's own that holds the fd),
-- to show the test would see it. Needs root.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

local q = process.quote
local SECRET = "hako-marker-5f3a"
local CALLER = 47115 -- an unprivileged caller for the rootless case; nothing else runs as it

TestEscapeProcesses = {}

function TestEscapeProcesses:setUp()
  escape.set_up(self)
  self.marker = self.host .. "/marker"
  self:write_marker()
end

function TestEscapeProcesses:tearDown()
  escape.tear_down(self)
end

function TestEscapeProcesses:write_marker()
  local f = assert(io.open(self.marker, "w"))
  f:write(SECRET, "\n")
  f:close()
  process.sh("chmod 666 " .. self.marker)
end

function TestEscapeProcesses:marker_intact()
  local f = assert(io.open(self.marker))
  local text = f:read("a")
  f:close()
  return text == SECRET .. "\n"
end

-- The caller leaks a directory fd of the host's root (7) and a read-write fd of the
-- marker (8) into argv, which runs with a pid file on the host: what can the walk reach?
function TestEscapeProcesses:leaking(argv)
  local words = {}
  for i, w in ipairs(argv) do words[i] = q(w) end
  local r = process.run({ "sh", "-c", table.concat(words, " ") .. " 7</ 8<>" .. q(self.marker) })
  lu.assertEquals(r.status, 0, r.stderr)
  return (r.stdout:gsub("\n$", ""))
end

function TestEscapeProcesses:walk(options)
  local argv = { sandbox.bin("hako-run"), "--pid-file", self.host .. "/pid", table.unpack(options) }
  table.move({ self.sb.root, "/bin/probe", "walk", SECRET, self.marker }, 1, 5, #argv + 1, argv)
  return self:leaking(argv)
end

-- escape.without_steps' argv for ops, the pid file (or nil) and the command; ops.userns:
-- "host" for a control that needs uid 0 inside to be the caller (37's wall out of the way).
function TestEscapeProcesses:without(ops, pid_file, ...)
  local argv = escape.without_steps(self, ops, { pid_file = pid_file, userns = ops.userns })
  table.move({ ... }, 1, select("#", ...), #argv + 1, argv)
  return argv
end

-- The walk, with the named steps dropped from hako-run's plan.
function TestEscapeProcesses:walk_without(ops)
  return self:leaking(self:without(ops, self.host .. "/pid", "/bin/probe", "walk", SECRET, self.marker))
end

-- From inside, as uid 0, as a user and on a read-only root, no link of any visible process
-- (hako's init included) leads to the host's marker.
function TestEscapeProcesses:test_no_link_of_any_process_inside_reaches_the_host()
  for _, options in ipairs({ {}, escape.AS.user, { "-R" }, { "--as-pid-1" } }) do
    local said = self:walk(options)
    lu.assertStrContains(said, "BLOCKED: none of ", table.concat(options, " "))
    lu.assertTrue(self:marker_intact(), table.concat(options, " "))
  end
end

-- Positive control: the walk finds a host directory fd held by a process it can look
-- into (here one of the command's own, given the fd with --keep-fd), once Landlock is out
-- of the way: its rules allow nothing outside the sandbox's root, whatever the fd.
function TestEscapeProcesses:test_the_walk_finds_a_host_fd_held_by_a_visible_process()
  local walk = "/bin/sleep 100 & /bin/probe walk " .. SECRET .. " " .. self.marker .. "; kill $!"
  local argv = { sandbox.bin("hako-run"), "--keep-fd", "7", self.sb.root, "/bin/sh", "-c", walk }
  lu.assertStrContains(self:leaking(argv), "BLOCKED: none of ")
  lu.assertTrue(self:marker_intact())
  argv = escape.without_steps(self, { "restrict_landlock" }, { keep_fd = "7" })
  table.move({ "/bin/sh", "-c", walk }, 1, 3, #argv + 1, argv)
  lu.assertStrMatches(self:leaking(argv), "ESCAPED /proc/%d+/fd/7")
  lu.assertFalse(self:marker_intact())
end

-- What hako's init holds open, seen from the host (root may look): the links of its fds,
-- one a line. argv runs a sandbox whose command sleeps, its pid file in self.host.
function TestEscapeProcesses:init_fds(argv)
  local pidfile = self.host .. "/pid"
  local words = {}
  for i, w in ipairs(argv) do words[i] = q(w) end
  local script = table.concat(words, " ") .. " 7</ 8<>" .. q(self.marker) .. " </dev/null >/dev/null 2>&1 & s=$!\n"
    .. "i=0; until [ -s " .. q(pidfile) .. " ]; do i=$((i+1)); [ $i -gt 500 ] && break; sleep 0.02; done\n"
    .. "p=$(cat " .. q(pidfile) .. ")\n"
    .. "for f in /proc/$p/fd/*; do readlink \"$f\"; done\n"
    .. "grep -E '^Cap(Prm|Eff|Bnd)' /proc/$p/status\n"
    .. "kill $s; wait $s || :"
  return process.sh(script)
end

-- The first wall on its own: the init closed every fd the caller leaked and every fd of
-- hako-run's own that the sandbox does not need (the records' directory, the pid file),
-- and holds no capability.
function TestEscapeProcesses:test_the_init_holds_no_fd_of_the_host()
  local held = self:init_fds({ sandbox.bin("hako-run"), "--pid-file", self.host .. "/pid", self.sb.root,
    "/bin/sleep", "1000" })
  for link in held:gmatch("[^\n]+") do
    lu.assertNotNil(link:match("^pipe:") or link == "/dev/null" or link:match("^Cap"), held)
  end
  -- Nor any capability but the command's (it never execs to lose them): none, or in its
  -- own user namespace uid 0's container set, which holds only there (37).
  local caps = require "hako.caps"
  local kept = {}
  for i, name in ipairs(caps.CONTAINER) do kept[i] = caps.number(name) end
  local mask = string.format("%016x", escape.OWN_USERNS and caps.mask(kept) or 0)
  for _, set in ipairs({ "Prm", "Eff", "Bnd" }) do
    lu.assertStrContains(held, "Cap" .. set .. ":\t" .. mask .. "\n")
  end
  -- Positive control: without close_host_fds, the caller's fds are there to see.
  held = self:init_fds(self:without({ "close_host_fds" }, self.host .. "/pid", "/bin/sleep", "1000"))
  lu.assertStrContains(held, self.marker)
end

-- Each of three walls holds on its own: without the closing of the host's fds the init is
-- still closed to the command (non-dumpable), and Landlock allows nothing outside the root;
-- without the first two, Landlock alone keeps the init's fds from leading out. With none,
-- the escape the review found works: the init's fds lead out, where the init is host uid 0
-- (--userns host; in its own user namespace, the host's files it would reach are not its).
function TestEscapeProcesses:test_each_wall_alone_holds_and_without_all_the_init_leads_out()
  local walls = { "close_host_fds", "set_dumpable", "restrict_landlock" }
  for _, kept in ipairs(walls) do
    local dropped = {}
    for _, wall in ipairs(walls) do if wall ~= kept then dropped[#dropped + 1] = wall end end
    lu.assertStrContains(self:walk_without(dropped), "BLOCKED: none of ", kept .. " alone")
  end
  lu.assertTrue(self:marker_intact())
  lu.assertStrMatches(self:walk_without({ userns = "host", table.unpack(walls) }), "ESCAPED /proc/1/.*")
  lu.assertFalse(self:marker_intact())
end

-- hako's init is a copy of hako-run: its memory holds the caller's environment, which the
-- command was not given (a clean one). Non-dumpable, the init's environ is closed.
function TestEscapeProcesses:test_the_inits_environment_is_closed()
  local script = "cat /proc/1/environ | tr '\\0' '\\n' | grep HAKO_SECRET_ENV || echo closed"
  for _, options in ipairs({ {}, escape.AS.user }) do
    local argv = { "env", "HAKO_SECRET_ENV=" .. SECRET, sandbox.bin("hako-run"), table.unpack(options) }
    table.move({ self.sb.root, "/bin/sh", "-c", script }, 1, 4, #argv + 1, argv)
    lu.assertEquals(self:leaking(argv), "closed")
  end
  -- Positive control: with the init left dumpable, the environment is there to read (in the
  -- old mode: in its own user namespace the init's memory was made on the host, a wall).
  lu.assertEquals(self:leaking({ "env", "HAKO_SECRET_ENV=" .. SECRET,
    table.unpack(self:without({ "set_dumpable", userns = "host" }, nil, "/bin/sh", "-c", script)) }),
    "HAKO_SECRET_ENV=" .. SECRET)
end

-- An unprivileged caller's own copy of hako, in self.host.
function TestEscapeProcesses:rootless_copy()
  process.sh("cp " .. sandbox.bin("hako") .. " " .. self.host .. "/hako && ln -s hako "
    .. self.host .. "/hako-run && chown " .. CALLER .. " " .. self.host .. " " .. self.host .. "/hako")
end

-- Rootless: the init holds no fd of the host's, and is not dumpable either (it started
-- itself again inside the user namespace, hako.resume), so the walk finds nothing there.
function TestEscapeProcesses:test_rootless_no_link_reaches_the_host()
  self:rootless_copy()
  local argv = { "setpriv", "--reuid=" .. CALLER, "--regid=" .. CALLER, "--clear-groups",
    self.host .. "/hako-run", "--pid-file", self.host .. "/pid", self.sb.root, "/bin/probe", "walk",
    SECRET, self.marker }
  lu.assertStrContains(self:leaking(argv), "BLOCKED: none of ")
  lu.assertTrue(self:marker_intact())
end

-- Rootless, hako's init runs with the command's ids: were it dumpable, the command could
-- read the caller's environment from it, open its memory for writing, and make the
-- caller's own hako binary writable by anyone through /proc/1/exe.
function TestEscapeProcesses:test_rootless_init_is_closed_to_the_command()
  self:rootless_copy()
  local attack = "tr '\\0' '\\n' </proc/1/environ | grep HAKO_SECRET_ENV; "
    .. "(exec 3<>/proc/1/mem) 2>/dev/null && echo mem-open; "
    .. "chmod 777 /proc/1/exe 2>/dev/null && echo exe-chmod; echo done"
  local function as_caller(argv)
    local out = self:leaking({ "env", "HAKO_SECRET_ENV=" .. SECRET, "setpriv", "--reuid=" .. CALLER,
      "--regid=" .. CALLER, "--clear-groups", table.unpack(argv) })
    local mode = process.sh("stat -c %a " .. self.host .. "/hako"):gsub("\n", "")
    process.sh("chmod 755 " .. self.host .. "/hako")
    return out, mode
  end
  local out, mode = as_caller({ self.host .. "/hako-run", self.sb.root, "/bin/sh", "-c", attack })
  lu.assertEquals(out, "done")
  lu.assertEquals(mode, "755")
  -- Positive control: the same init left dumpable, as it was before.
  local argv = self:without({ "reexec_in_userns", "dumpable" }, nil, "/bin/sh", "-c", attack)
  argv[1] = self.host .. "/hako" -- the caller's own copy
  out, mode = as_caller(argv)
  lu.assertEquals(out, "HAKO_SECRET_ENV=" .. SECRET .. "\nmem-open\nexe-chmod\ndone")
  lu.assertEquals(mode, "777")
end

-- A recipe run by a stock lua5.4 with module paths relative to where it was started: the
-- rootless init starts again in the sandbox's directory, before any mount, and must not
-- take its modules from the sandbox's tree there (here a hako/resume.lua that writes a
-- host file). Control: that relative path, followed from there, does load it.
function TestEscapeProcesses:test_a_rootless_recipe_loads_no_module_from_the_tree()
  local home = self.host
  process.sh("cp -r lua " .. q(home) .. "/lua && cp " .. q(sandbox.bin("gen/hako/syscalls.lua")) .. " "
    .. q(home) .. "/lua/hako/ && mkdir -p " .. q(home) .. "/lib/hako && cp "
    .. q(sandbox.bin("lib/hako/core.so")) .. " " .. q(home) .. "/lib/hako/ && chown -R " .. CALLER
    .. " " .. q(home))
  local recipe = assert(io.open(home .. "/recipe.lua", "w"))
  recipe:write('local hako = require "hako"\n'
    .. 'os.exit(hako.execute(hako.plan{ root = arg[1], command = { "/bin/sh", "-c", "echo inside" } }))\n')
  recipe:close()
  local pwned = home .. "/pwned"
  process.sh("mkdir -p " .. q(self.sb:path("lua/hako")))
  self.sb:write("lua/hako/resume.lua", "io.open(" .. string.format("%q", pwned) .. ", 'w'):write('pwned')\n")
  process.sh("chmod -R a+rX " .. q(self.sb:path("lua")) .. " && chmod 777 " .. q(home))
  local as_caller = "setpriv --reuid=" .. CALLER .. " --regid=" .. CALLER .. " --clear-groups "
  local lua = "env -i LUA_PATH='lua/?.lua;lua/?/init.lua' LUA_CPATH='lib/?.so' lua5.4 "
  lu.assertEquals(process.sh("cd " .. q(home) .. " && " .. as_caller .. lua .. "recipe.lua " .. q(self.sb.root)),
    "inside\n")
  lu.assertNil(io.open(pwned))
  process.sh("cd " .. q(self.sb.root) .. " && " .. as_caller .. lua .. "-e 'require \"hako.resume\"' || :")
  lu.assertNotNil(io.open(pwned))
end

-- ELOOP's text in the words of the C library hako was built with: glibc's, or musl's (the
-- static launcher). Any other message is returned as glibc's, to fail the comparison.
local function eloop_text(message)
  return message:find("Symbolic link loop", 1, true) and "Symbolic link loop" or "Too many levels of symbolic links"
end

-- --chdir through a magic link (runc CVE-2024-21626): `app -> /proc/self/fd/7`, with fd 7
-- a host directory that hako-run has open, would give a working directory on the host.
function TestEscapeProcesses:test_chdir_does_not_follow_magic_links()
  process.sh("ln -s /proc/self/fd/7 " .. self.sb:path("app"))
  local words = { sandbox.bin("hako-run"), "--keep-fd", "7", "-c", "/app", self.sb.root, "/bin/probe",
    "read", "." .. self.marker }
  for i, w in ipairs(words) do words[i] = q(w) end
  local r = process.run({ "sh", "-c", table.concat(words, " ") .. " 7</" })
  lu.assertEquals(r.stderr, "hako-run: working directory /app: " .. eloop_text(r.stderr) .. "\n")
  lu.assertEquals(r.status, 125)
  -- Positive control: the link does lead out, for a process inside that follows it, once
  -- Landlock (which allows nothing outside the root) is out of the way.
  local argv = escape.without_steps(self, { "restrict_landlock" }, { keep_fd = "7" })
  table.move({ "/bin/sh", "-c", "cd /app && cat ." .. self.marker }, 1, 3, #argv + 1, argv)
  lu.assertEquals(self:leaking(argv), SECRET)
  -- A plain symlink inside stays inside: it is resolved in the root.
  process.sh("ln -s /tmp " .. self.sb:path("tmplink"))
  lu.assertEquals(self:leaking({ sandbox.bin("hako-run"), "-c", "/tmplink", self.sb.root, "/bin/pwd" }),
    "/tmp")
end

-- hako-enter changes directory too, after joining and as the command's user. Its
-- caller's fd 7 is closed by then, so the link here is one that exists at that moment.
function TestEscapeProcesses:test_hako_enter_chdir_does_not_follow_magic_links()
  process.sh("ln -s /proc/self/cwd " .. self.sb:path("app"))
  local pidfile = self.host .. "/pid"
  local supervisor = process.sh(q(sandbox.bin("hako-run")) .. " --pid-file " .. q(pidfile) .. " "
    .. q(self.sb.root) .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  table.insert(self.cleanups, function() os.execute("kill " .. supervisor .. " 2>/dev/null; sleep 0.1") end)
  lu.assertTrue(escape.eventually(function() return io.open(pidfile) ~= nil end))
  local pid = assert(io.open(pidfile)):read("l")
  local r = process.run({ "sh", "-c", q(sandbox.bin("hako-enter")) .. " -c /app " .. pid .. " /bin/pwd 7</" })
  lu.assertEquals(r.stderr, "hako-enter: working directory /app: " .. eloop_text(r.stderr) .. "\n")
  lu.assertEquals(r.status, 125)
end

-- The sandbox is a process group of its own: kill(0, SIG) inside does not reach the
-- caller's group (a shell script, a pipeline, hako-run's caller).
function TestEscapeProcesses:test_signals_to_the_process_group_stay_inside()
  local inside = "trap '' USR1; kill -USR1 0; echo sent"
  local caller = escape.in_caller_group
  local hako_run = q(sandbox.bin("hako-run")) .. " " .. q(self.sb.root) .. " /bin/sh -c " .. q(inside)
  lu.assertEquals(caller(hako_run), "sent\ndone\n")
  -- Landlock's scope alone keeps it in too.
  local words = self:without({ "new_process_group", "start_job" }, nil, "/bin/sh", "-c", inside)
  for i, w in ipairs(words) do words[i] = q(w) end
  lu.assertEquals(caller(table.concat(words, " ")), "sent\ndone\n")
  -- Positive control: without the steps that make the group and the scope, the caller gets
  -- it, from host uid 0 (--userns host; from its own user namespace, a kill needs its uid).
  words = self:without({ "new_process_group", "start_job", "restrict_landlock", userns = "host" }, nil,
    "/bin/sh", "-c", inside)
  for i, w in ipairs(words) do words[i] = q(w) end
  local without = table.concat(words, " ")
  lu.assertStrContains(caller(without), "caller got USR1")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
