-- notify_spec: systemd's Type=notify (hako.notify, --notify). Unit tests of the settings
-- and the plan; then real sandboxes (as root) telling a stand-in for systemd's notify
-- socket (spec/support/notify_listener.py) that they are ready.
local lu = require "luaunit"
local notify = require "hako.notify"
local plan = require "hako.plan"
local process = require "support.process"
local sandbox = require "support.sandbox"
local spec = require "hako.spec"

local ROOT = process.is_root()
local q = process.quote

local function context(socket, extra)
  local environ = { "HOME=/root", "LANG=C" }
  if socket then environ[#environ + 1] = "NOTIFY_SOCKET=" .. socket end
  local c = { cwd = "/", uid = 0, gid = 0, euid = 0, environ = environ }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

local function fails(f, text)
  local ok, err = pcall(f)
  lu.assertFalse(ok)
  lu.assertStrContains(tostring(err), text)
end

local function ops(steps)
  local list = {}
  for i, step in ipairs(steps) do list[step.op] = list[step.op] or i end
  return list
end

local function has(env, entry)
  for _, e in ipairs(env) do
    if e == entry then return true end
  end
  return false
end

TestNotifySettings = {}

function TestNotifySettings.test_addresses_a_path_or_an_abstract_name()
  lu.assertEquals(notify.address("/run/systemd/notify"), "/run/systemd/notify")
  lu.assertEquals(notify.address("@hako/x"), "\0hako/x")
  lu.assertEquals(notify.address("@" .. string.rep("a", 107)), "\0" .. string.rep("a", 107))
  for _, bad in ipairs({ "relative", "@", "/" .. string.rep("a", 107), "@" .. string.rep("a", 108),
    "/a\0b", "vsock:2:1234" }) do
    lu.assertNil(notify.address(bad), bad)
  end
end

function TestNotifySettings.test_modes_and_the_callers_socket()
  lu.assertEquals(notify.settings(nil, { "NOTIFY_SOCKET=/n" }), { mode = "hako", socket = "/n", abstract = false })
  lu.assertEquals(notify.settings("sandbox", { "NOTIFY_SOCKET=@n" }),
    { mode = "sandbox", socket = "@n", abstract = true })
  lu.assertEquals(notify.settings("none", { "NOTIFY_SOCKET=/n" }), { mode = "none" })
  lu.assertEquals(notify.settings("hako", { "NOTIFY_SOCKET=" }), { mode = "hako" })
  lu.assertEquals(notify.settings(nil, {}), { mode = "hako" })
  fails(function() notify.settings("systemd", {}) end, "--notify systemd: expected hako, sandbox or none")
  fails(function() notify.settings(nil, { "NOTIFY_SOCKET=vsock:2:9" }) end, "NOTIFY_SOCKET vsock:2:9: neither")
end

function TestNotifySettings.test_the_command_never_inherits_notify_socket()
  local s = spec.build({ root = "/sb", keep_env = true }, context("/run/n"))
  lu.assertTrue(has(s.env, "LANG=C"))
  lu.assertFalse(has(s.env, "NOTIFY_SOCKET=/run/n"))
  -- An explicit --env is the caller's word, and passed as given.
  s = spec.build({ root = "/sb", env = { "NOTIFY_SOCKET=/mine" } }, context("/run/n"))
  lu.assertTrue(has(s.env, "NOTIFY_SOCKET=/mine"))
end

function TestNotifySettings.test_sandbox_mode_needs_a_way_to_the_socket()
  local s = spec.build({ root = "/sb", notify = "sandbox" }, context("/run/n"))
  lu.assertEquals(s.proc, "on") -- /proc/self/fd/N is the way
  fails(function() spec.build({ root = "/sb", notify = "sandbox", proc = false }, context("/run/n")) end,
    "--notify sandbox: the command reaches /run/n through /proc")
  fails(function() spec.build({ root = "/sb", notify = "sandbox" }, context("@n")) end,
    "reaches only with --net host --share-abstract-sockets")
  s = spec.build({ root = "/sb", notify = "sandbox", net = "host", share_abstract_sockets = true }, context("@n"))
  lu.assertTrue(has(s.env, "NOTIFY_SOCKET=@n"))
  -- Without NOTIFY_SOCKET there is nothing to hand over, and nothing changes.
  lu.assertEquals(spec.build({ root = "/sb", notify = "sandbox" }, context()).proc, "auto")
end

-- The copy of the socket is the sandbox's own mount: a command that could remount it
-- could make it writable and shut the host's socket.
function TestNotifySettings.test_sandbox_mode_refuses_sys_admin()
  fails(function() spec.build({ root = "/sb", notify = "sandbox", cap_add = { "sys_admin" } }, context("/run/n")) end,
    "--notify sandbox: cannot go with --cap-add sys_admin")
end

function TestNotifySettings.test_the_steps_and_where_they_stand()
  local at = ops(plan.build(spec.build({ root = "/sb", pid_file = "/run/p" }, context("/run/n"))))
  lu.assertTrue(at.notify_ready > at.await_sandbox and at.notify_ready > at.write_pid_file)
  lu.assertTrue(at.notify_ready < at.supervise)
  lu.assertNil(at.hand_notify_socket)
  at = ops(plan.build(spec.build({ root = "/sb", notify = "sandbox", mounts = { "/a:/a" } }, context("/run/n"))))
  lu.assertNil(at.notify_ready)
  lu.assertTrue(at.hand_notify_socket > at.bind and at.hand_notify_socket < at.pivot_root)
  for _, options in ipairs({ { root = "/sb" }, { root = "/sb", notify = "none" } }) do
    at = ops(plan.build(spec.build(options, options.notify and context("/run/n") or context())))
    lu.assertNil(at.notify_ready)
    lu.assertNil(at.hand_notify_socket)
  end
end

-- A recipe that runs many sandboxes is ready when the first has started: one datagram.
function TestNotifySettings.test_once_per_process()
  local sent = {}
  local core = { AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0, getpid = function() return 42 end,
    socket = function() return 9 end, close = function() end,
    sendto_unix = function(_, text, address) sent[#sent + 1] = { text, address } return #text end }
  local was = notify.sent
  notify.sent = false
  notify.notify_ready({ socket = "@x" }, { core = core })
  notify.notify_ready({ socket = "@x" }, { core = core })
  notify.sent = was
  lu.assertEquals(sent, { { "READY=1\nMAINPID=42\n", "\0x" } })
end

TestNotify = {}

function TestNotify:setUp()
  lu.skipIf(not ROOT, "needs root")
  self.sb = sandbox.new()
  self.host = process.sh("mktemp -d /tmp/hako-notify.XXXXXX"):gsub("\n$", "")
  process.sh("chmod 755 " .. self.host .. " && cp " .. sandbox.bin("probe") .. " " .. self.sb:path("probe"))
  self.socket = self.host .. "/notify"
end

function TestNotify:tearDown()
  if not self.sb then return end
  if self.listener then os.execute("kill " .. self.listener .. " 2>/dev/null") end
  self.sb:remove()
  process.sh("rm -rf " .. self.host)
end

-- The stand-in for systemd, listening at where (a path or @name) until tearDown.
function TestNotify:listen(where)
  local script = process.sh("pwd"):gsub("\n$", "") .. "/spec/support/notify_listener.py"
  self.log = self.host .. "/log"
  self.listener = process.sh(string.format("python3 %s %s %s >/dev/null 2>&1 & echo $!", q(script), q(where),
    q(self.log))):gsub("\n$", "")
  for _ = 1, 250 do
    if io.open(self.log .. ".ready") then return end
    process.sh("sleep 0.02")
  end
  error("the listener did not start")
end

-- hako-run with NOTIFY_SOCKET=socket -> result, with .pid: hako-run's own pid.
function TestNotify:run(socket, options, command)
  local argv = { "env", "NOTIFY_SOCKET=" .. socket, "sh", "-c", 'echo $$ >"$0"; exec "$@"', self.host .. "/pid",
    sandbox.bin("hako-run"), table.unpack(options) }
  argv[#argv + 1] = self.sb.root
  table.move(command, 1, #command, #argv + 1, argv)
  local r = process.run(argv)
  r.pid = process.sh("cat " .. self.host .. "/pid"):gsub("\n$", "")
  return r
end

-- What the listener got: one line per datagram. A moment first: a datagram sent just
-- before hako-run ended may still be on its way to the log.
function TestNotify:heard()
  process.sh("sleep 0.2")
  local f = io.open(self.log)
  local text = f and f:read("a") or ""
  if f then f:close() end
  return text
end

function TestNotify:test_ready_and_mainpid_once_the_command_runs()
  self:listen(self.socket)
  local r = self:run(self.socket, {}, { "/bin/sleep", "1" })
  lu.assertEquals(r.status, 0, r.stderr)
  -- started=yes: the command (/bin/sleep) had been exec'd when the datagram came.
  lu.assertEquals(self:heard(), string.format("pid=%s started=yes READY=1|MAINPID=%s|\n", r.pid, r.pid))
end

-- Not started, not ready: a command that cannot be run (127) is never announced.
function TestNotify:test_nothing_when_the_command_does_not_start()
  self:listen(self.socket)
  local r = self:run(self.socket, {}, { "/nonexistent" })
  lu.assertEquals(r.status, 127, r.stderr)
  lu.assertEquals(self:heard(), "")
end

function TestNotify:test_an_abstract_socket()
  local name = "@hako-notify-test-" .. self.host:match("([^.]+)$")
  self:listen(name)
  local r = self:run(name, { "--as-pid-1" }, { "/bin/sleep", "0.5" })
  lu.assertEquals(r.status, 0, r.stderr)
  lu.assertEquals(self:heard(), string.format("pid=%s started=yes READY=1|MAINPID=%s|\n", r.pid, r.pid))
end

function TestNotify:test_none_sends_nothing_and_the_command_never_sees_the_socket()
  self:listen(self.socket)
  for _, options in ipairs({ {}, { "--keep-env" }, { "--notify", "none", "--keep-env" } }) do
    local r = self:run(self.socket, options, { "/bin/sh", "-c", "echo ${NOTIFY_SOCKET-unset}" })
    lu.assertEquals(r.stdout, "unset\n", r.stderr)
  end
  local heard = select(2, self:heard():gsub("\n", ""))
  lu.assertEquals(heard, 2) -- the first two, not --notify none
end

function TestNotify:test_a_socket_that_is_not_there_is_said_and_the_sandbox_goes_on()
  local r = self:run(self.host .. "/nothing", {}, { "/bin/sh", "-c", "echo ran" })
  lu.assertEquals(r.status, 0)
  lu.assertEquals(r.stdout, "ran\n")
  lu.assertEquals(r.stderr, "hako-run: NOTIFY_SOCKET " .. self.host .. "/nothing: No such file or directory\n")
end

-- --notify sandbox: hako-run says nothing, the command's own READY=1 arrives, from the
-- command's pid (which systemd must allow: NotifyAccess=all).
function TestNotify:test_the_command_speaks_for_itself()
  self:listen(self.socket)
  local r = self:run(self.socket, { "--notify", "sandbox" }, { "/probe", "net", "notify", "READY=1\nSTATUS=mine" })
  lu.assertEquals(r.stdout, "ESCAPED\n", r.stderr) -- the probe's word for "the call worked"
  local pid, rest = self:heard():match("^pid=(%d+) started=no (.*)$")
  lu.assertEquals(rest, "READY=1|STATUS=mine\n")
  lu.assertNotEquals(pid, r.pid)
end

-- The command is uid 0 and root's socket is root's: through a plain fd it could chmod
-- the host's socket shut for every other service. Its mount is a read-only copy.
function TestNotify:test_the_command_cannot_change_the_hosts_socket()
  self:listen(self.socket)
  local r = self:run(self.socket, { "--notify", "sandbox" }, { "/bin/sh", "-c",
    'echo $NOTIFY_SOCKET; chmod 0 "$NOTIFY_SOCKET"; touch "$NOTIFY_SOCKET"; /probe net notify READY=1' })
  lu.assertStrMatches(r.stdout, "/proc/self/fd/%d+\nESCAPED\n")
  lu.assertStrContains(r.stderr, "chmod: /proc/self/fd/")
  lu.assertStrContains(r.stderr, "Read-only file system")
  lu.assertEquals(process.sh("stat -c %a " .. self.socket), "777\n")
  lu.assertStrContains(self:heard(), "READY=1")
end

-- An abstract socket is in hako-run's network namespace, and Landlock scopes it away:
-- only a sandbox that shares both reaches it.
function TestNotify:test_an_abstract_socket_for_the_command()
  local name = "@hako-notify-test-" .. self.host:match("([^.]+)$")
  self:listen(name)
  local r = self:run(name, { "--notify", "sandbox" }, { "/probe", "net", "notify", "READY=1" })
  lu.assertEquals(r.status, 125)
  lu.assertStrContains(r.stderr, "only with --net host --share-abstract-sockets")
  r = self:run(name, { "--notify", "sandbox", "--net", "host", "--share-abstract-sockets" },
    { "/probe", "net", "notify", "READY=1" })
  lu.assertEquals(r.stdout, "ESCAPED\n", r.stderr)
  lu.assertStrMatches(self:heard(), "pid=%d+ started=no READY=1\n")
end

-- The socket's fd is the command's alone: a command hako-enter runs in the sandbox gets
-- neither it nor NOTIFY_SOCKET.
function TestNotify:test_hako_enter_gets_no_socket()
  self:listen(self.socket)
  local pid_file = self.host .. "/sandbox.pid"
  local line = string.format("NOTIFY_SOCKET=%s %s --notify sandbox --pid-file %s %s /bin/sleep 5 & s=$!; "
    .. "for i in $(seq 250); do [ -s %s ] && break; sleep 0.02; done; "
    .. "%s $(cat %s) /bin/sh -c 'echo ${NOTIFY_SOCKET-unset}; ls /proc/self/fd'; kill $s; wait $s",
    q(self.socket), q(sandbox.bin("hako-run")), q(pid_file), q(self.sb.root), q(pid_file),
    q(sandbox.bin("hako-enter")), q(pid_file))
  local r = process.run({ "sh", "-c", line })
  lu.assertEquals(r.stdout, "unset\n0\n1\n2\n3\n", r.stderr) -- 3: ls's own directory fd
end
os.exit(lu.LuaUnit.run("-o", "tap"))
