-- spec_spec: options -> validated spec (hako.spec), no root needed.
local lu = require "luaunit"
local spec = require "hako.spec"
local failure = require "hako.failure"

local CONTEXT = { cwd = "/home/me", term = "xterm" }

local function fails(options, pattern)
  local ok, err = pcall(spec.build, options, CONTEXT)
  lu.assertFalse(ok)
  lu.assertTrue(failure.is(err), tostring(err))
  lu.assertStrContains(tostring(err), pattern)
  lu.assertEquals(err.status, 125)
end

TestSpec = {}

function TestSpec.test_defaults()
  local s = spec.build({ root = "sb" }, CONTEXT)
  lu.assertEquals(s.root, "/home/me/sb")
  lu.assertEquals(s.command, { "/sbin/init" })
  lu.assertEquals(s.hostname, "hako")
  lu.assertEquals(s.namespaces, { "user", "mount", "pid", "ipc", "uts", "net" })
  lu.assertEquals(s.net, { mode = "none" })
  lu.assertEquals(s.mounts, {})
  lu.assertFalse(s.read_only)
  lu.assertEquals(s.chdir, "/")
  lu.assertEquals(s.proc, "auto")
  lu.assertEquals(s.dev, "auto")
  lu.assertEquals(s.caps, {})
  lu.assertNil(s.user)
  lu.assertNil(s.pid_file)
end

function TestSpec.test_clean_environment_keeps_only_term()
  local s = spec.build({ root = "/sb" }, CONTEXT)
  lu.assertEquals(s.env, { "PATH=" .. spec.DEFAULT_PATH, "TERM=xterm" })
  s = spec.build({ root = "/sb" }, { cwd = "/" })
  lu.assertEquals(s.env, { "PATH=" .. spec.DEFAULT_PATH })
end

function TestSpec.test_env_adds_and_replaces_in_order()
  local s = spec.build({ root = "/sb", env = { "A=1", "PATH=/bin", "A=2", "B=x=y", "HOME=/h" } }, CONTEXT)
  lu.assertEquals(s.env, { "PATH=/bin", "TERM=xterm", "A=2", "B=x=y", "HOME=/h" })
  lu.assertEquals(s.path, "/bin")
end

function TestSpec.test_env_as_a_map_for_recipes()
  local s = spec.build({ root = "/sb", env = { B = "2", A = "1" } }, { cwd = "/" })
  lu.assertEquals(s.env, { "PATH=" .. spec.DEFAULT_PATH, "A=1", "B=2" })
end

function TestSpec.test_keep_env_passes_the_callers_environment()
  local context = { cwd = "/", environ = { "USER=me", "PATH=/usr/bin", "TERM=vt100" } }
  local s = spec.build({ root = "/sb", keep_env = true, env = { "X=1" } }, context)
  lu.assertEquals(s.env, { "USER=me", "PATH=/usr/bin", "TERM=vt100", "X=1" })
  lu.assertEquals(s.path, "/usr/bin")
end

function TestSpec.test_network_modes()
  local s = spec.build({ root = "/sb", net = "host" }, CONTEXT)
  lu.assertEquals(s.net, { mode = "host" })
  lu.assertEquals(s.namespaces, { "user", "mount", "pid", "ipc", "uts" })
  s = spec.build({ root = "/sb", net = "/run/netns/x", userns = "host" }, CONTEXT)
  lu.assertEquals(s.net, { mode = "join", path = "/run/netns/x" })
  lu.assertEquals(s.namespaces, { "mount", "pid", "ipc", "uts" })
  lu.assertEquals(spec.build({ root = "/sb", net = "none" }, CONTEXT).net, { mode = "none" })
end

function TestSpec.test_switches_and_paths()
  local s = spec.build({ root = "/sb", proc = false, dev = true, read_only = true,
    pid_file = "sb.pid", chdir = "/tmp", user = "alice", group = "10" }, CONTEXT)
  lu.assertEquals(s.proc, "off")
  lu.assertEquals(s.dev, "on")
  lu.assertTrue(s.read_only)
  lu.assertEquals(s.pid_file, "/home/me/sb.pid")
  lu.assertEquals(s.chdir, "/tmp")
  lu.assertEquals(s.user, "alice")
  lu.assertEquals(s.group, "10")
end

function TestSpec.test_user_namespace_when_not_root()
  local root = { cwd = "/", uid = 0, gid = 0 }
  -- --userns host (or false) is the old mode: none; only root may ask for it.
  lu.assertNil(spec.build({ root = "/sb", userns = "host" }, root).userns)
  lu.assertNil(spec.build({ root = "/sb", userns = false }, root).userns)
  local s = spec.build({ root = "/sb" }, { cwd = "/", uid = 1000, gid = 100 })
  lu.assertEquals(s.userns, { uid = 1000, gid = 100, map_users = false, map_groups = false, setgroups = false,
    range = false })
  lu.assertEquals(s.namespaces[1], "user")
  s = spec.build({ root = "/sb", map_users = "auto" }, { cwd = "/", uid = 1000, gid = 100 })
  lu.assertTrue(s.userns.range) -- ids of its own: uid 0 inside gets a container's set
  -- Root's default (and "auto", true): ids of its own and idmapped mounts.
  for _, options in ipairs({ { root = "/sb" }, { root = "/sb", userns = "auto" }, { root = "/sb", userns = true } }) do
    s = spec.build(options, root)
    lu.assertEquals(s.userns, { uid = 0, gid = 0, map_users = false, map_groups = false, setgroups = true,
      range = true, idmapped = true })
  end
  for _, bad in ipairs({ { "host", "--userns host: only root can run a sandbox without a user namespace" },
    { "none", "--userns none: expected auto or host" } }) do
    local ok, err = pcall(spec.build, { root = "/sb", userns = bad[1] }, { cwd = "/", uid = 1, gid = 1 })
    lu.assertFalse(ok)
    lu.assertEquals(tostring(err), bad[2])
  end
  local ok, err = pcall(spec.build, { root = "/sb", map_groups = "all" }, { cwd = "/", uid = 1, gid = 1 })
  lu.assertFalse(ok)
  lu.assertEquals(tostring(err), "--map-groups all: expected auto")
end

function TestSpec.test_capabilities_by_any_name()
  local s = spec.build({ root = "/sb", cap_add = { "CAP_NET_RAW", "sys_chroot", "net_raw" } }, CONTEXT)
  lu.assertEquals(s.caps, { 13, 18 })
end

function TestSpec.test_absolute_root_is_kept()
  lu.assertEquals(spec.build({ root = "/srv/sb" }, CONTEXT).root, "/srv/sb")
  lu.assertEquals(spec.build({ root = "sb" }, { cwd = "/" }).root, "/sb")
end

function TestSpec.test_command_forms()
  lu.assertEquals(spec.build({ root = "/sb", command = "/bin/sh" }, CONTEXT).command, { "/bin/sh" })
  lu.assertEquals(spec.build({ root = "/sb", command = {} }, CONTEXT).command, { "/sbin/init" })
  lu.assertEquals(spec.build({ root = "/sb", command = { "ls", "-l" } }, CONTEXT).command, { "ls", "-l" })
end

function TestSpec.test_bad_input()
  fails({}, "target: missing")
  fails({ root = "" }, "target: missing")
  fails({ root = 42 }, "target: must be a string")
  fails({ root = "/sb", command = { "" } }, "command: empty command name")
  fails({ root = "/sb", command = { "ls", 1 } }, "command: must be a string")
  fails({ root = "/sb", hostname = "" }, "hostname: must not be empty")
  fails({ root = "/sb", hostname = string.rep("h", 65) }, "longer than 64 bytes")
  fails({ root = "/sb", rooot = "/x" }, "rooot: unknown option")
  fails({ root = "/s\0b" }, "NUL")
  fails({ root = "/sb", env = { "NOVALUE" } }, "--env NOVALUE: expected NAME=VALUE")
  fails({ root = "/sb", env = { "=x" } }, "--env =x: expected NAME=VALUE")
  fails({ root = "/sb", net = "bridge" }, "--net bridge: expected none, host or the path")
  fails({ root = "/sb", user = "" }, "--user: must not be empty")
  fails({ root = "/sb", group = "" }, "--group: must not be empty")
  fails({ root = "/sb", pid_file = "" }, "--pid-file: must not be empty")
  fails({ root = "/sb", cap_add = { "cap_fly" } }, "--cap-add cap_fly: unknown capability")
  fails({ root = "/sb", proc = "yes" }, "proc: must be true or false")
  fails({ root = "/sb", name = "../etc" }, "--name ../etc: expected 1 to 64 letters")
  fails({ root = "/sb", name = "42" }, "--name 42: must not be all digits")
  lu.assertEquals(spec.build({ root = "/sb", name = "web.1" }, CONTEXT).name, "web.1")
end

function TestSpec.test_as_pid_1_is_off_except_for_an_init()
  lu.assertFalse(spec.build({ root = "/sb", command = { "sh" } }, CONTEXT).as_pid_1)
  lu.assertTrue(spec.build({ root = "/sb", command = { "sh" }, as_pid_1 = true }, CONTEXT).as_pid_1)
  lu.assertTrue(spec.build({ root = "/sb" }, CONTEXT).as_pid_1)
  lu.assertTrue(spec.build({ root = "/sb", command = { "/sbin/init", "3" } }, CONTEXT).as_pid_1)
  fails({ root = "/sb", as_pid_1 = "yes" }, "as_pid_1: must be true or false")
end

function TestSpec.test_json_status_fd()
  lu.assertNil(spec.build({ root = "/sb" }, CONTEXT).json_status_fd)
  lu.assertEquals(spec.build({ root = "/sb", json_status_fd = "3" }, CONTEXT).json_status_fd, 3)
  lu.assertEquals(spec.build({ root = "/sb", json_status_fd = 0 }, CONTEXT).json_status_fd, 0)
  for _, bad in ipairs({ "x", "-1", "3.0", "", " 3", 2.5, "99999999999" }) do
    fails({ root = "/sb", json_status_fd = bad }, "not a file descriptor number")
  end
end

function TestSpec.test_timeout()
  local s = spec.build({ root = "/sb" }, CONTEXT)
  lu.assertNil(s.timeout)
  lu.assertEquals(s.timeout_grace, spec.DEFAULT_TIMEOUT_GRACE)
  s = spec.build({ root = "/sb", timeout = "1.5", timeout_grace = 0.25 }, CONTEXT)
  lu.assertEquals(s.timeout, 1.5)
  lu.assertEquals(s.timeout_grace, 0.25)
  for _, bad in ipairs({ "0", "-1", 0, "nan", "inf", "1e400" }) do
    fails({ root = "/sb", timeout = bad }, "--timeout " .. tostring(bad))
  end
  fails({ root = "/sb", timeout = "soon" }, "--timeout soon: not a number of seconds")
  fails({ root = "/sb", timeout = {} }, "not a number of seconds")
  fails({ root = "/sb", timeout_grace = 0 }, "timeout_grace 0: must be more than 0")
end

function TestSpec.test_kept_fds_and_sys()
  local built = spec.build({ root = "/sb", keep_fds = { "7", 3, "7", "1" }, sys = true }, CONTEXT)
  lu.assertEquals(built.keep_fds, { 3, 7 }) -- sorted, once each; 0-2 are always kept
  lu.assertTrue(built.sys)
  built = spec.build({ root = "/sb" }, CONTEXT)
  lu.assertEquals(built.keep_fds, {})
  lu.assertFalse(built.sys)
  fails({ root = "/sb", keep_fds = { "x" } }, "--keep-fd x: not an fd number")
  fails({ root = "/sb", keep_fds = { "-3" } }, "--keep-fd -3: not an fd number")
  fails({ root = "/sb", keep_fds = { "2147483648" } }, "--keep-fd 2147483648: not an fd number")
  fails({ root = "/sb", keep_fds = 7 }, "keep_fds: must be a list")
end

function TestSpec.test_longest_hostname_is_accepted()
  lu.assertEquals(spec.build({ root = "/sb", hostname = string.rep("h", 64) }, CONTEXT).hostname,
    string.rep("h", 64))
end

os.exit(lu.LuaUnit.run("-o", "tap"))
