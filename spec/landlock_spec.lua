-- landlock_spec: the Landlock part of the policy (hako.landlock), what a kernel of each ABI
-- gets from it, and how hako-run says what it lacks (prepare_steps.check_landlock). Pure,
-- or against a fake core; escape_network_spec attacks the real thing.
local lu = require "luaunit"
local failure = require "hako.failure"
local landlock = require "hako.landlock"
local spec = require "hako.spec"

-- linux/landlock.h's values, written out here.
local K = {}
for i, name in ipairs({ "EXECUTE", "WRITE_FILE", "READ_FILE", "READ_DIR", "REMOVE_DIR", "REMOVE_FILE",
  "MAKE_CHAR", "MAKE_DIR", "MAKE_REG", "MAKE_SOCK", "MAKE_FIFO", "MAKE_BLOCK", "MAKE_SYM", "REFER",
  "TRUNCATE", "IOCTL_DEV" }) do
  K["LANDLOCK_ACCESS_FS_" .. name] = 1 << (i - 1)
end
K.LANDLOCK_ACCESS_NET_BIND_TCP, K.LANDLOCK_ACCESS_NET_CONNECT_TCP = 1, 2
K.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, K.LANDLOCK_SCOPE_SIGNAL = 1, 2

local function part(options)
  options.root = options.root or "/sb"
  return landlock.from_spec(spec.build(options, { cwd = "/", uid = 0, gid = 0, euid = 0 }))
end

local fails = require "support.fails"

TestLandlock = {}

function TestLandlock.test_ports()
  lu.assertEquals(landlock.ports("443", "p"), "443")
  lu.assertEquals(landlock.ports("80,443,8000-8002", "p"), "80,443,8000-8002")
  lu.assertEquals(landlock.ports("5-5", "p"), "5")
  lu.assertEquals({ landlock.ports("any", "p"), landlock.ports("none", "p") }, { "any", "none" })
  for _, bad in ipairs({ "", "0", "65536", "9-8", "a", "1,,2", "-5", "1-2-3", " 80" }) do
    fails(function() landlock.ports(bad, "--allow-connect") end,
      "--allow-connect " .. bad .. ": expected any, none, or ports and ranges like 80,443,8000-8100")
  end
  lu.assertEquals(landlock.port_list("80,8000-8002"), { 80, 8000, 8001, 8002 })
  lu.assertEquals(landlock.port_list("none"), {})
  lu.assertNil(landlock.port_list("any"))
end

function TestLandlock.test_writable_places_follow_the_mounts()
  lu.assertEquals(part({}).writable, { "/", "/dev/shm" })
  local l = part({ read_only = true, mounts = { "/a:/ro:ro", "/b:/rw:rw", { tmpfs = "/t" }, "/c:/dflt" } })
  lu.assertEquals(l.writable, { "/rw", "/t", "/dev/shm" })
  lu.assertEquals(part({ mounts = { { dev_bind = "/dev/fuse:/dev/fuse" } } }).devices, { "/dev", "/dev/fuse" })
  l = part({ dev = false, proc = false })
  lu.assertEquals({ l.writable, l.devices, l.files }, { { "/" }, {}, {} })
end

function TestLandlock.test_defaults_scope_both_and_leave_ports_alone()
  local l = part({})
  lu.assertEquals({ l.scope, l.connect, l.bind, l.fs, l.required },
    { { "abstract_unix_socket", "signal" }, "any", "any", true, false })
  lu.assertEquals(part({ share_abstract_sockets = true }).scope, { "signal" })
end

-- --noexec-writable is made by mount flags (plan_spec), and checked in the spec.
function TestLandlock.test_noexec_needs_a_read_only_root_and_no_sys_admin()
  fails(function() part({ noexec_writable = true }) end,
    "--noexec-writable: needs a read-only root (-R): in a writable root nothing could be run")
  fails(function() part({ noexec_writable = true, read_only = true, cap_add = { "sys_admin" } }) end,
    "--noexec-writable: cannot hold with --cap-add sys_admin (the command could mount)")
end

function TestLandlock.test_a_command_that_may_mount_gets_no_file_layer()
  -- A command that may mount gets no file layer (a landlocked process cannot mount).
  lu.assertFalse(part({ cap_add = { "sys_admin" } }).fs)
  lu.assertTrue(part({ cap_add = { "net_raw" } }).fs)
end

local function rule(rules, path)
  for _, r in ipairs(rules.paths) do
    if r[1] == path then return r[2] end
  end
end

function TestLandlock.test_the_rules_on_a_kernel_with_everything()
  local rules = landlock.ruleset(part({ allow_connect = "80,443" }), 7, K)
  lu.assertEquals(rules.fs, 0xffff)
  local read, exec = K.LANDLOCK_ACCESS_FS_READ_FILE | K.LANDLOCK_ACCESS_FS_READ_DIR, K.LANDLOCK_ACCESS_FS_EXECUTE
  lu.assertEquals(rule(rules, "/"), read | exec)
  -- everything in a writable place but execution (granted at /) and device ioctls
  lu.assertEquals(rule(rules, "/dev/shm"), 0xffff & ~(read | exec | K.LANDLOCK_ACCESS_FS_IOCTL_DEV))
  lu.assertEquals(rule(rules, "/dev"), K.LANDLOCK_ACCESS_FS_WRITE_FILE | K.LANDLOCK_ACCESS_FS_TRUNCATE
    | K.LANDLOCK_ACCESS_FS_IOCTL_DEV)
  lu.assertEquals(rule(rules, "/proc"), K.LANDLOCK_ACCESS_FS_WRITE_FILE | K.LANDLOCK_ACCESS_FS_TRUNCATE)
  lu.assertEquals(rules.net, K.LANDLOCK_ACCESS_NET_CONNECT_TCP)
  lu.assertEquals(rules.ports, { { 80, 2 }, { 443, 2 } })
  lu.assertEquals(rules.scoped, 3)
end

function TestLandlock.test_an_older_abi_gets_what_it_has()
  local l = part({ allow_connect = "80" })
  local rules = landlock.ruleset(l, 3, K)
  lu.assertEquals(rules.fs, (1 << 15) - 1) -- no ioctl_dev before ABI 5
  lu.assertEquals({ rules.net, rules.ports, rules.scoped }, { 0, {}, 0 })
  rules = landlock.ruleset(l, 1, K)
  lu.assertEquals(rules.fs, (1 << 13) - 1) -- no refer (2), no truncate (3)
  lu.assertEquals({ landlock.missing(l, 3) }, { { "ioctl_dev", "connect_tcp", "scope_abstract_unix_socket",
    "scope_signal" }, true })
  lu.assertEquals({ landlock.missing(part({}), 5) }, { { "scope_abstract_unix_socket", "scope_signal" }, false })
  lu.assertEquals({ landlock.missing(part({}), 7) }, { {}, false })
  lu.assertEquals(landlock.describe(5, { "scope_signal" }), "ABI 5 lacks scope_signal")
  lu.assertEquals(landlock.describe(0, { "execute" }), "not available in this kernel")
end

function TestLandlock.test_a_file_rule_keeps_only_a_files_rights()
  lu.assertEquals(landlock.file_mask(0xffff, K), K.LANDLOCK_ACCESS_FS_EXECUTE | K.LANDLOCK_ACCESS_FS_WRITE_FILE
    | K.LANDLOCK_ACCESS_FS_READ_FILE | K.LANDLOCK_ACCESS_FS_TRUNCATE | K.LANDLOCK_ACCESS_FS_IOCTL_DEV)
end

-- prepare_steps.check_landlock on kernels of other ABIs: errors, warnings, silence.
local function check(l, abi, shared_net)
  local written = {}
  local state = { policy = { landlock = l }, core = { landlock_abi = function()
    if abi == 0 then return nil, "landlock_create_ruleset version: Function not implemented", 38 end
    return abi
  end } }
  local real = failure.warn
  failure.warn = function(...) written[#written + 1] = table.concat({ ... }, ": ") .. "\n" end
  local ok, err = pcall(require("hako.prepare_steps").check_landlock,
    { program = "hako-run", shared_net = shared_net }, state)
  failure.warn = real
  return ok, err and tostring(err), table.concat(written)
end

function TestLandlock.test_what_a_kernel_lacks_is_said_or_refused()
  lu.assertEquals({ check(part({}), 7) }, { true, nil, "" })
  -- defaults: quietly left out
  lu.assertEquals({ check(part({}), 5) }, { true, nil, "" })
  lu.assertEquals({ check(part({}), 0) }, { true, nil, "" })
  -- on a shared network, the missing scope of abstract sockets is told
  lu.assertEquals({ check(part({}), 5, true) }, { true, nil,
    "hako-run: landlock: ABI 5 lacks scope_abstract_unix_socket, scope_signal: not applied\n" })
  -- an option: one line, or an error without Landlock at all
  lu.assertEquals({ check(part({ allow_connect = "80" }), 3) }, { true, nil,
    "hako-run: landlock: ABI 3 lacks ioctl_dev, connect_tcp, scope_abstract_unix_socket, scope_signal:"
      .. " not applied\n" })
  lu.assertEquals({ check(part({ allow_connect = "80" }), 0) },
    { false, "landlock: not available in this kernel, which an option needs", "" })
  -- --landlock-required: anything lacking is an error
  lu.assertEquals({ check(part({ landlock_required = true }), 5) },
    { false, "landlock: ABI 5 lacks scope_abstract_unix_socket, scope_signal (--landlock-required)", "" })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
