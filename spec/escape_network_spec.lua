-- escape_network_spec: what Landlock and the socket filter close (doc/THREATS.md 31, 32),
-- attacked from inside with the probe (spec/probe/net.c) against listeners on the host:
-- TCP ports, UDP, the host's abstract unix sockets, signals to host processes, and files
-- made or run where the sandbox has no writable place. Each attack also runs where the
-- defence is absent (an option, or a recipe without the Landlock step). Needs root.
local lu = require "luaunit"
local escape = require "support.escape"
local process = require "support.process"
local sandbox = require "support.sandbox"

local q = process.quote

-- Host listeners: two TCP ports that accept, two that nobody uses (for bind), and an
-- abstract unix socket; the ports are printed once all listen.
local LISTENERS = [[
import socket, sys, time
def tcp(listen):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    if listen:
        s.listen(16)
    return s
held = [tcp(True), tcp(True)]
free = [tcp(False), tcp(False)]
abstract = socket.socket(socket.AF_UNIX)
abstract.bind("\0" + sys.argv[1])
abstract.listen(16)
ports = [s.getsockname()[1] for s in held + free]
for s in free:
    s.close()
print(*ports, flush=True)
time.sleep(600)
]]

TestEscapeNetwork = {}

function TestEscapeNetwork:setUp()
  escape.set_up(self)
  self.name = "hako-test-" .. self.host:match("[^.]+$")
  local script = self.host .. "/listeners.py"
  local f = assert(io.open(script, "w"))
  f:write(LISTENERS)
  f:close()
  local out = self.host .. "/ports"
  local pid = process.sh("python3 " .. q(script) .. " " .. q(self.name) .. " >" .. q(out) .. " 2>&1 & echo $!")
  table.insert(self.cleanups, function() os.execute("kill " .. pid:match("%d+") .. " 2>/dev/null") end)
  lu.assertTrue(escape.eventually(function()
    local text = io.open(out) and io.open(out):read("a") or ""
    self.ports = { text:match("^(%d+) (%d+) (%d+) (%d+)\n") }
    return #self.ports == 4
  end), "the listeners did not start")
end

function TestEscapeNetwork:tearDown()
  escape.tear_down(self)
end

function TestEscapeNetwork:probe(options, ...)
  local argv = { "--net", "host", table.unpack(options) }
  return escape.inside(self, argv, "net", ...)
end

-- "TCP to 8081 and not to 8082": Landlock's port rules, on the host's network.
function TestEscapeNetwork:test_allow_connect_reaches_its_ports_and_no_other()
  local open, other = self.ports[1], self.ports[2]
  for _, who in ipairs({ "root", "user" }) do
    local options = { "--allow-connect", open, table.unpack(escape.AS[who]) }
    lu.assertEquals(self:probe(options, "connect", open), "ESCAPED", who)
    lu.assertEquals(self:probe(options, "connect", other), "BLOCKED: EACCES", who)
  end
  lu.assertEquals(self:probe({ "--allow-connect", "none" }, "connect", open), "BLOCKED: EACCES")
  -- Without the option, any port.
  lu.assertEquals(self:probe({}, "connect", other), "ESCAPED")
end

function TestEscapeNetwork:test_allow_bind_binds_its_ports_and_no_other()
  local free, other = self.ports[3], self.ports[4]
  lu.assertEquals(self:probe({ "--allow-bind", free }, "bind", free), "ESCAPED")
  lu.assertEquals(self:probe({ "--allow-bind", free }, "bind", other), "BLOCKED: EACCES")
  lu.assertEquals(self:probe({}, "bind", other), "ESCAPED")
end

-- Landlock filters TCP only: limited ports close UDP (and raw sockets) by seccomp.
function TestEscapeNetwork:test_udp_is_closed_once_ports_are_limited()
  lu.assertEquals(self:probe({ "--allow-connect", self.ports[1] }, "udp", self.ports[1]), "BLOCKED: EPERM")
  lu.assertEquals(self:probe({ "--allow-bind", self.ports[3] }, "udp", self.ports[1]), "BLOCKED: EPERM")
  lu.assertEquals(self:probe({}, "udp", self.ports[1]), "ESCAPED")
end

-- Landlock does not check a TCP Fast Open connect, and no filter sees io_uring's
-- operations: with limited ports the filter closes both (the review's finds).
function TestEscapeNetwork:test_fast_open_and_io_uring_cannot_go_around_the_ports()
  local limited = { "--allow-connect", self.ports[1] }
  lu.assertEquals(self:probe(limited, "fastopen", self.ports[2]), "BLOCKED: EPERM")
  lu.assertEquals(self:probe(limited, "uring", "-"), "BLOCKED: EPERM")
  -- Controls: without the limit both work (io_uring also without the syscall policy,
  -- which closes it anyway).
  lu.assertEquals(self:probe({}, "fastopen", self.ports[2]), "ESCAPED")
  lu.assertEquals(self:probe({ "--seccomp", "none" }, "uring", "-"), "ESCAPED")
end

-- The X11 hole: the host's abstract unix sockets, reachable through a shared network
-- namespace, are not, unless asked; and not without the Landlock step (the control).
function TestEscapeNetwork:test_the_hosts_abstract_sockets_are_out_of_reach()
  for _, who in ipairs({ "root", "user" }) do
    lu.assertEquals(self:probe(escape.AS[who], "abstract", self.name), "BLOCKED: EPERM", who)
  end
  lu.assertEquals(self:probe({ "--share-abstract-sockets" }, "abstract", self.name), "ESCAPED")
  local argv = escape.without_steps(self, { "restrict_landlock" }, { net = "host" })
  table.move({ "/bin/probe", "net", "abstract", self.name }, 1, 4, #argv + 1, argv)
  lu.assertEquals(process.sh(table.concat((function()
    local words = {}
    for i, w in ipairs(argv) do words[i] = q(w) end
    return words
  end)(), " ")), "ESCAPED\n")
end

-- A sandbox started as a job of its own: its pid and a way to end it.
function TestEscapeNetwork:start(options)
  local pidfile = self.host .. "/pid"
  local words = { q(sandbox.bin("hako-run")), "--pid-file", q(pidfile) }
  for _, o in ipairs(options) do words[#words + 1] = q(o) end
  words[#words + 1] = q(self.sb.root) .. " /bin/sleep 1000 >/dev/null 2>&1 & echo $!"
  local supervisor = process.sh(table.concat(words, " ")):match("%d+")
  table.insert(self.cleanups, function() os.execute("kill " .. supervisor .. " 2>/dev/null; sleep 0.1") end)
  lu.assertTrue(escape.eventually(function() return io.open(pidfile) ~= nil end))
  return assert(io.open(pidfile)):read("l")
end

-- hako-enter's command gets the sandbox's rules, as a domain of its own. Without --fork
-- it keeps a host pid, so it could name host processes: the scope stops its signals.
function TestEscapeNetwork:test_hako_enter_gets_the_rules_and_scoped_signals()
  local pid = self:start({ "--net", "host", "--allow-connect", self.ports[1] })
  local enter = q(sandbox.bin("hako-enter"))
  local function entered(flags, ...)
    local words = { enter, flags, pid, "/bin/probe", "net" }
    for _, w in ipairs({ ... }) do words[#words + 1] = q(w) end
    return process.sh(table.concat(words, " "))
  end
  lu.assertEquals(entered("--fork", "connect", self.ports[1]), "ESCAPED\n")
  lu.assertEquals(entered("--fork", "connect", self.ports[2]), "BLOCKED: EACCES\n")
  lu.assertEquals(entered("--fork", "udp", self.ports[1]), "BLOCKED: EPERM\n")
  lu.assertEquals(entered("--fork", "abstract", self.name), "BLOCKED: EPERM\n")
  local host = process.sh("sleep 1000 >/dev/null 2>&1 & echo $!"):match("%d+")
  table.insert(self.cleanups, function() os.execute("kill " .. host .. " 2>/dev/null") end)
  lu.assertEquals(entered("--no-fork", "kill", host), "BLOCKED: EPERM\n")
  -- Control: the probe itself may signal it, on the host.
  lu.assertEquals(process.sh(q(escape.PROBE) .. " net kill " .. host), "ESCAPED\n")
end

-- The write layer holds where the mounts would not: hako's own /dev is a tmpfs uid 0
-- may write, yet nothing can be made in it; with a read-only root, only the tmpfs takes files.
function TestEscapeNetwork:test_files_are_made_only_in_writable_places()
  local make = "touch /dev/made 2>&1; touch /tmp/made && echo tmp ok"
  local r = self.sb:run({ "-R", "-t", "/tmp" }, { "/bin/sh", "-c", make })
  lu.assertEquals(r.stdout, "touch: /dev/made: Permission denied\ntmp ok\n", r.stderr)
  local argv = escape.without_steps(self, { "restrict_landlock" }, { read_only = "1", tmpfs = "/tmp" })
  table.move({ "/bin/sh", "-c", make }, 1, 3, #argv + 1, argv)
  r = process.run(argv)
  lu.assertEquals(r.stdout, "tmp ok\n", r.stderr)
end

function TestEscapeNetwork:test_noexec_writable_runs_nothing_from_a_writable_place()
  local run = "cp /bin/busybox /tmp/true && /tmp/true && echo ran; /bin/true && echo bin ok"
  local r = self.sb:run({ "-R", "-t", "/tmp", "--noexec-writable" }, { "/bin/sh", "-c", run })
  lu.assertEquals({ r.stdout, r.stderr }, { "bin ok\n", "/bin/sh: /tmp/true: Permission denied\n" })
  r = self.sb:run({ "-R", "-t", "/tmp" }, { "/bin/sh", "-c", run })
  lu.assertEquals(r.stdout, "ran\nbin ok\n", r.stderr)
  -- A destination that is a symlink in the tree (distributions ship /var/run -> ../run):
  -- the mount, and so its noexec, is where the link leads.
  process.sh("mkdir -p " .. q(self.sb:path("run")) .. " " .. q(self.sb:path("var")) .. " && ln -s ../run "
    .. q(self.sb:path("var/run")))
  r = self.sb:run({ "-R", "-t", "/var/run", "--noexec-writable" }, { "/bin/sh", "-c",
    "cp /bin/busybox /var/run/true && /var/run/true && echo ran" })
  lu.assertEquals({ r.stdout, r.stderr }, { "", "/bin/sh: /var/run/true: Permission denied\n" })
  r = self.sb:run({ "--noexec-writable" }, { "/bin/true" })
  lu.assertEquals(r.status, 125)
  lu.assertEquals(r.stderr, "hako-run: --noexec-writable: needs a read-only root (-R): in a writable root"
    .. " nothing could be run\n")
end

-- The rules' paths are opened while the process is still root: a writable place under a
-- directory closed to the command's user does not stop the sandbox.
function TestEscapeNetwork:test_rule_paths_closed_to_the_user_still_make_rules()
  process.sh("mkdir -p " .. q(self.sb:path("priv/x")) .. " && chmod 700 " .. q(self.sb:path("priv")))
  local r = self.sb:run({ "-u", "probe", "-t", "/priv/x" }, { "/bin/true" })
  lu.assertEquals({ r.status, r.stderr }, { 0, "" })
end

-- This kernel has every right hako wants: --landlock-required runs, and --dry-run says so.
function TestEscapeNetwork:test_this_kernel_has_every_right()
  local r = self.sb:run({ "--landlock-required", "--net", "host", "--allow-connect", "1" }, { "/bin/true" })
  lu.assertEquals({ r.status, r.stderr }, { 0, "" })
  r = self.sb:run({ "--dry-run" }, { "/bin/true" })
  lu.assertStrContains(r.stdout, "\nlandlock: ABI ")
  lu.assertStrContains(r.stdout, ", every right wanted is there\n")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
