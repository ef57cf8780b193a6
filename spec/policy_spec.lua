-- policy_spec: the one policy both commands apply (hako.policy): built from hako-run's
-- spec, completed by the user's identity, changed by hako-enter's options, and written
-- to and read from records. Pure.
local lu = require "luaunit"
local policy = require "hako.policy"
local spec = require "hako.spec"

local fails = require "support.fails"

local function from(options)
  return policy.from_spec(spec.build(options, { cwd = "/", uid = 0, gid = 0, euid = 0, term = "vt100" }))
end

TestPolicy = {}

function TestPolicy.test_hako_runs_default_policy()
  lu.assertEquals(from({ root = "/sb" }), {
    uid = 0, gid = 0, groups = { 0 }, setgroups = true, caps = {}, no_new_privs = true, keep_fds = {},
    -- ids of its own: uid 0 inside has a container's capabilities (hako.caps.CONTAINER)
    root_caps = { 0, 1, 3, 4, 5, 6, 7, 8, 10, 18, 29, 31 },
    env = { "PATH=" .. policy.DEFAULT_PATH, "TERM=vt100" }, chdir = "/", hostname = "hako",
    seccomp = { deny_syscalls = { "keyctl", "add_key", "request_key" }, deny_ioctls = { "TIOCSTI", "TIOCLINUX" },
      tcp_only = false },
    landlock = { scope = { "abstract_unix_socket", "signal" }, connect = "any", bind = "any", fs = true,
      writable = { "/", "/dev/shm" }, devices = { "/dev" }, files = { "/proc" }, required = false },
    rlimits = {}, cgroups = {},
  })
end

function TestPolicy.test_options_reach_the_policy()
  local p = from({ root = "/sb", cap_add = { "net_raw", "chown" }, keep_fds = { 5, 3 }, json_status_fd = 5,
    chdir = "/tmp", hostname = "box", env = { "A=1" } })
  lu.assertEquals(p.caps, { 0, 13 })
  lu.assertEquals(p.root_caps, { 0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 29, 31 })
  lu.assertEquals(p.keep_fds, { 3 }) -- the status fd is the supervisor's
  lu.assertEquals({ p.chdir, p.hostname, p.env[3] }, { "/tmp", "box", "A=1" })
  -- --cap-drop takes from both; --userns host gives uid 0 only --cap-add's, as any user.
  p = from({ root = "/sb", cap_add = { "net_raw", "chown" }, cap_drop = { "chown", "kill" } })
  lu.assertEquals({ p.caps, p.root_caps }, { { 13 }, { 1, 3, 4, 6, 7, 8, 10, 13, 18, 29, 31 } })
  p = from({ root = "/sb", cap_add = { "net_raw" }, userns = "host" })
  lu.assertEquals({ p.caps, p.root_caps }, { { 13 }, { 13 } })
  lu.assertEquals(policy.kept_caps(policy.with_identity(p, { uid = 5, gid = 5, groups = {} })), { 13 })
  local rootless = policy.from_spec(spec.build({ root = "/sb" }, { cwd = "/", uid = 1000, gid = 1000, euid = 1000 }))
  lu.assertFalse(rootless.setgroups)
end

-- A relative --chdir is relative to the sandbox's root: the record must be able to say it.
function TestPolicy.test_a_relative_chdir_starts_at_the_root()
  local p = from({ root = "/sb", chdir = "tmp" })
  lu.assertEquals(p.chdir, "/tmp")
  lu.assertEquals(policy.decode(policy.encode(p)).chdir, "/tmp")
end

function TestPolicy.test_the_identity_gives_ids_and_home()
  local p = policy.with_identity(from({ root = "/sb" }), { uid = 7, gid = 8, groups = { 8, 9 }, home = "/h" })
  lu.assertEquals({ p.uid, p.gid, p.groups, p.env[3] }, { 7, 8, { 8, 9 }, "HOME=/h" })
  -- root, without --user: HOME is /
  lu.assertEquals(policy.with_identity(from({ root = "/sb" })).env[3], "HOME=/")
  -- the environment's own HOME wins; no groups where setgroups is denied
  local q = from({ root = "/sb", env = { "HOME=/x" } })
  q.setgroups = false
  q = policy.with_identity(q, { uid = 7, gid = 8, groups = { 8, 9 }, home = "/h" })
  lu.assertEquals({ q.groups, q.env[3], #q.env }, { {}, "HOME=/x", 3 })
end

function TestPolicy.test_search_path_is_the_environments_path()
  lu.assertEquals(policy.search_path({ env = { "PATH=/a:/b" } }), "/a:/b")
  lu.assertEquals(policy.search_path({ env = {} }), policy.DEFAULT_PATH)
end

-- What hako-run recorded; hako-enter's overrides come from hako.enter_plan.build_spec.
local RECORDED = policy.with_identity(from({ root = "/sb", chdir = "/srv" }))

local function overrides(o)
  o.env = o.env or {}
  return o
end

function TestPolicy.test_hako_enter_gets_the_recorded_policy_by_default()
  local p = policy.for_enter(RECORDED, overrides({}), { euid = 0, environ = { "X=1" } })
  lu.assertEquals(p, RECORDED)
end

function TestPolicy.test_hako_enter_overrides()
  local joe = { uid = 1000, gid = 100, groups = { 100, 5 }, home = "/home/joe" }
  local p = policy.for_enter(RECORDED, overrides({ user = "joe", env = { "TERM=xterm", "PATH=/x" }, chdir = "/" }),
    { euid = 0 }, joe)
  lu.assertEquals({ p.uid, p.gid, p.groups, p.chdir }, { 1000, 100, { 100, 5 }, "/" })
  lu.assertEquals(p.env, { "PATH=/x", "TERM=xterm", "HOME=/home/joe" })
  p = policy.for_enter(RECORDED, overrides({ keep_env = true, env = { "A=2" } }),
    { euid = 0, environ = { "A=1", "B=1" } })
  lu.assertEquals(p.env, { "A=2", "B=1" })
end

function TestPolicy.test_without_root_overrides_can_only_lower_privilege()
  local rec = policy.with_identity(from({ root = "/sb" }), { uid = 1000, gid = 1000, groups = { 20 } })
  local caller = { euid = 1000 }
  local ok = policy.for_enter(rec, overrides({ group = "20" }), caller, { uid = 1000, gid = 20, groups = { 20 } })
  lu.assertEquals({ ok.gid, ok.groups }, { 20, { 20 } })
  local root, other_group = { uid = 0, gid = 0, groups = { 0 } }, { uid = 1000, gid = 0, groups = { 0 } }
  fails(function() policy.for_enter(rec, overrides({ user = "root" }), caller, root) end,
    "--user root: not allowed: only root can enter as another user")
  fails(function() policy.for_enter(rec, overrides({ group = "0" }), caller, other_group) end,
    "group 0: not allowed: the sandbox's processes do not have it")
  -- Root on the host may choose anything.
  lu.assertEquals(policy.for_enter(rec, overrides({ user = "root" }), { euid = 0 }, root).uid, 0)
end

-- --keep-env passes the caller's environment on; an entry that is not NAME=VALUE is not a
-- variable and is left out.
function TestPolicy.test_keep_env_skips_what_is_not_a_variable()
  local p = policy.for_enter(RECORDED, overrides({ keep_env = true }), { euid = 0, environ = { "A=1", "junk", "=x" } })
  lu.assertEquals(p.env, { "A=1" })
end

-- hako-enter's command is a Landlock domain of its own: with --fork (in the sandbox's PID
-- namespace) signals are not scoped, so it can signal the sandbox's processes; abstract
-- sockets stay scoped. Without --fork both are.
function TestPolicy.test_hako_enter_scopes_signals_only_without_its_pid_namespace()
  lu.assertEquals(policy.for_enter(RECORDED, overrides({ fork = true }), { euid = 0 }).landlock.scope,
    { "abstract_unix_socket" })
  lu.assertEquals(policy.for_enter(RECORDED, overrides({ fork = false }), { euid = 0 }).landlock.scope,
    { "abstract_unix_socket", "signal" })
  lu.assertEquals(RECORDED.landlock.scope, { "abstract_unix_socket", "signal" })
end

-- A record is a file its owner writes: whatever it says, hako's own walls stay.
function TestPolicy.test_a_record_cannot_take_hakos_own_walls_away()
  local weak = policy.with_identity(from({ root = "/sb", keep_fds = { 9 } }))
  weak.no_new_privs = false
  weak.seccomp = { deny_syscalls = {}, deny_ioctls = { "TIOCSTI" } }
  local p = policy.for_enter(weak, overrides({}), { euid = 0 })
  lu.assertTrue(p.no_new_privs)
  lu.assertEquals(p.seccomp, { deny_syscalls = policy.DENIED_SYSCALLS, deny_ioctls = policy.DENIED_IOCTLS })
  lu.assertEquals(p.keep_fds, {}) -- the caller's fds are not the sandbox's
end

function TestPolicy.test_encode_then_decode_gives_the_policy_back()
  local p = policy.with_identity(from({ root = "/sb", cap_add = { "net_raw" }, keep_fds = { 4 } }),
    { uid = 7, gid = 8, groups = { 8, 9 }, home = "/h" })
  lu.assertEquals(policy.decode(policy.encode(p)), p)
  p = from({ root = "/sb", read_only = true, allow_connect = "443,8000-8002", allow_bind = "none",
    rlimits = { "nofile=64:128", "core=0:", "stack=:unlimited" },
    share_abstract_sockets = true, noexec_writable = true, landlock_required = true, mounts = { { tmpfs = "/t" } } })
  lu.assertEquals(p.landlock.writable, { "/t", "/dev/shm" })
  p.cgroups = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified" }
  lu.assertEquals(policy.decode(policy.encode(p)), p)
  local empty = policy.with_identity(from({ root = "/sb" }))
  empty.env = {}
  lu.assertEquals(policy.decode(policy.encode(empty)), empty)
end

-- The compiled seccomp program travels as hex: every byte value, in a program longer
-- than many slices of the encoder (64 bytes) and in a one-instruction one, comes back
-- byte for byte; the text is lower-case hex, two digits a byte.
function TestPolicy.test_a_seccomp_program_round_trips_as_hex()
  local bytes = {}
  for i = 1, 8 * 700 do bytes[i] = string.char((i * 7 + i // 256) % 256) end
  for _, program in ipairs({ table.concat(bytes), table.concat(bytes):sub(1, 8) }) do
    local p = policy.with_identity(from({ root = "/sb" }))
    p.seccomp.program = program
    local text
    for _, e in ipairs(policy.encode(p)) do
      if e[1] == "seccomp.program" then text = e[2] end
    end
    lu.assertEquals(#text, 2 * #program)
    lu.assertNotNil(text:match("^[0-9a-f]+$"))
    lu.assertEquals(text:sub(1, 4), string.format("%02x%02x", program:byte(1, 2)))
    lu.assertEquals(policy.decode(policy.encode(p)).seccomp.program, program)
  end
end

function TestPolicy.test_a_bad_or_partial_policy_is_refused()
  local good = policy.encode(policy.with_identity(from({ root = "/sb" })))
  local function with(name, value)
    local entries = {}
    for i, e in ipairs(good) do entries[i] = { e[1], e[1] == name and value or e[2] } end
    return entries
  end
  for _, case in ipairs({
    { "uid", "-1" }, { "uid", "4294967295" }, { "uid", "x" }, { "groups", "1 two" }, { "caps", "64" },
    { "setgroups", "2" }, { "chdir", "relative" }, { "seccomp.deny_syscalls", "ok bad;name" },
  }) do
    local p, why = policy.decode(with(case[1], case[2]))
    lu.assertNil(p, case[1] .. " " .. case[2])
    lu.assertEquals(why, "bad " .. case[1])
  end
  -- ioctl names are looked up among hako.core's constants: only those hako knows.
  lu.assertEquals({ policy.decode(with("seccomp.deny_ioctls", "TIOCSTI SIGKILL")) }, { nil, "bad seccomp.deny_ioctls" })
  lu.assertEquals({ policy.decode(with("landlock.connect", "80,99999")) }, { nil, "bad landlock.connect" })
  lu.assertEquals({ policy.decode(with("landlock.writable", "relative")) }, { nil, "bad landlock.writable" })
  local limited = policy.encode(policy.with_identity(from({ root = "/sb", rlimits = { "nofile=8" } })))
  for i, e in ipairs(limited) do
    if e[1] == "rlimits" then limited[i] = { "rlimits", "nofile=8" } end -- not as hako writes it
  end
  lu.assertEquals({ policy.decode(limited) }, { nil, "bad rlimits" })
  local elsewhere = policy.encode(policy.with_identity(from({ root = "/sb" })))
  for _, bad in ipairs({ "relative", "/sys/fs/cgroup x", "/m/../b", "/m/.." }) do
    elsewhere[#elsewhere + 1] = { "cgroups", bad }
    lu.assertEquals({ policy.decode(elsewhere) }, { nil, "bad cgroups" }, bad)
    elsewhere[#elsewhere] = nil
  end
  local partial = { table.unpack(good, 2) }
  lu.assertEquals({ policy.decode(partial) }, { nil, "no uid" })
  -- A record of a hako-run before root_caps: uid 0 keeps caps, as it did then.
  local earlier = {}
  for _, entry in ipairs(good) do
    if entry[1] ~= "root_caps" then earlier[#earlier + 1] = entry end
  end
  local p = assert(policy.decode(earlier))
  lu.assertNil(p.root_caps)
  lu.assertEquals(policy.kept_caps(p), p.caps)
  local extra = { { "rlimit.nofile", "1 2" }, table.unpack(good) }
  lu.assertEquals({ policy.decode(extra) }, { nil, "unknown policy field rlimit.nofile" })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
