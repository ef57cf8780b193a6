-- record_spec: the host-side sandbox record (hako.record).
local lu = require "luaunit"
local fake = require "support.fake_core"
local policy = require "hako.policy"
local record = require "hako.record"

local function sample()
  local p = policy.from_spec({ env = { "PATH=/bin", "ODD=a%b\nc\td" }, hostname = "hako", caps = { 12 } })
  p.groups = { 10, 20 }
  return {
    pid = 4242, start_time = 8812345, supervisor = 4241, owner = 0, root = "/srv/my sb", policy = p,
    supervisor_start_time = 8812340, name = "web-1.a_b", started_at = 1700000000,
    command = { "/bin/sh", "-c", "echo %d\nx", "" },
    ns = { mnt = { dev = "0:4", ino = 4026532281 }, pid = { dev = "0:4", ino = 4026532283 } },
  }
end

TestRecord = {}

function TestRecord.test_format_then_parse_gives_the_record_back()
  local text = record.format(sample())
  lu.assertStrMatches(text, "^hako%-record 3\npid 4242\n.*")
  lu.assertStrContains(text, "\nns.mnt 0:4 4026532281\n")
  lu.assertStrContains(text, "\npolicy.env ODD=a%25b%0Ac%09d\n")
  lu.assertStrContains(text, "\npolicy.groups 10 20\n")
  lu.assertStrContains(text, "\npolicy.caps 12\n")
  -- The command, one line a word, in order; an empty word too.
  lu.assertStrContains(text, "\nname web-1.a_b\nstarted_at 1700000000\ncommand /bin/sh\ncommand -c\n"
    .. "command echo %25d%0Ax\ncommand \n")
  lu.assertEquals(record.parse(text), sample())
end

-- The sandbox's own fields may grow (a reader ignores one it does not know); the policy
-- may not: a policy applied in part would be a weaker one.
function TestRecord.test_unknown_sandbox_fields_are_ignored_unknown_policy_fields_refused()
  local text = record.format(sample())
  lu.assertEquals(record.parse(text .. "future_field some value\n"), sample())
  lu.assertEquals({ record.parse(text .. "policy.rlimit.nofile 1 2\n") },
    { nil, "unknown policy field rlimit.nofile" })
end

function TestRecord.test_bad_records_are_rejected_with_a_reason()
  lu.assertEquals({ record.parse("pid 1\n") }, { nil, "not a hako record" })
  lu.assertEquals({ record.parse("hako-record 2\npid 1\n") }, { nil,
    "record version 2 is not this hako's (3): the sandbox was started by another version of hako-run" })
  local text = record.format(sample())
  lu.assertEquals({ record.parse((text:gsub("\npolicy.uid 0\n", "\n"))) }, { nil, "no uid" })
  lu.assertEquals({ record.parse((text:gsub("\npid 4242\n", "\npid x\n"))) }, { nil, "bad pid" })
  lu.assertEquals({ record.parse((text:gsub("\nns%.[^\n]*", ""))) }, { nil, "no namespaces" })
end

-- A name is never a path, nor a pid: hako-enter and hako stop tell them apart by digits.
function TestRecord.test_names()
  for _, good in ipairs({ "web", "a", "Web-1.test_x", "1a", string.rep("x", 64) }) do
    lu.assertNil(record.check_name(good), good)
  end
  local form = "expected 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"
  for _, bad in ipairs({ "", "../x", "a/b", ".hidden", "-x", "a b", "a\n", string.rep("x", 65), "é" }) do
    lu.assertEquals(record.check_name(bad), form, bad)
  end
  lu.assertEquals(record.check_name("123"), "must not be all digits (that would be a pid)")
  lu.assertEquals(record.check_name(7), "must be a string")
end

function TestRecord.test_start_time_survives_odd_process_names()
  local fields = {}
  for i = 3, 52 do fields[#fields + 1] = tostring(i) end
  local rest = table.concat(fields, " ")
  lu.assertEquals(record.start_time("77 (sleep) " .. rest), 22)
  lu.assertEquals(record.start_time("77 (a) b) (c 9) " .. rest), 22)
  lu.assertEquals(record.stat_field("77 (a) b) (c 9) " .. rest, 4), 4) -- the parent's pid
  lu.assertNil(record.start_time("garbage"))
end

function TestRecord.test_mismatch()
  local r = sample()
  local live = { pid = 4242, start_time = 8812345, ns = { mnt = r.ns.mnt, pid = r.ns.pid } }
  lu.assertNil(record.mismatch(r, live))
  live.start_time = 1
  lu.assertEquals({ record.mismatch(r, live) }, { "start time", "stale" })
  live.start_time = r.start_time
  live.ns.mnt = { dev = "0:4", ino = 1 }
  lu.assertEquals(record.mismatch(r, live), "mnt namespace")
end

-- A user's records may be in its runtime directory (from a login session), or, from cron
-- or su without XDG_RUNTIME_DIR, in /run/user/UID or else /tmp/hako-UID: hako-enter
-- looks in all of them, hako-run writes in the first it has.
function TestRecord.test_directories()
  lu.assertEquals(record.directories(0, "/run/user/0"), { "/run/hako" })
  lu.assertEquals(record.directories(1000, "/run/user/1000"),
    { "/run/user/1000/hako", "/tmp/hako-1000", "/run/hako" })
  lu.assertEquals(record.directories(1000, "/home/u/rt"),
    { "/home/u/rt/hako", "/run/user/1000/hako", "/tmp/hako-1000", "/run/hako" })
  lu.assertEquals(record.directories(1000, nil), { "/run/user/1000/hako", "/tmp/hako-1000", "/run/hako" })
  lu.assertEquals(record.directories(1000, "relative"), { "/run/user/1000/hako", "/tmp/hako-1000", "/run/hako" })
  lu.assertEquals(record.write_directory(0, nil), "/run/hako")
  lu.assertEquals(record.write_directory(1000, "/run/user/1000"), "/run/user/1000/hako")
  lu.assertEquals(record.write_directory(1000, nil), "/tmp/hako-1000")
  lu.assertEquals(record.write_directory(1000, ""), "/tmp/hako-1000")
  lu.assertEquals(record.owner_directories(1000), { "/run/user/1000/hako", "/tmp/hako-1000" })
end

-- open_directory against a fake core: what is wrong with the fallback directory in /tmp
-- (someone else's, a symlink) is said, with what to do.
function TestRecord.test_a_fallback_directory_of_someone_else_is_refused_and_explained()
  local core = fake.new({ open = 10, statx = { type = "directory", uid = 1001, mode = 448 }, close = true })
  lu.assertEquals({ record.open_directory(core, "/tmp/hako-1000", 1000, true) }, { nil,
    "runtime directory /tmp/hako-1000: owned by uid 1001: someone else made it (remove it, or set"
      .. " XDG_RUNTIME_DIR)", core.EPERM })
  local link
  link = fake.new({ open = function() return nil, "open /tmp/hako-1000: Not a directory", link.ENOTDIR end,
    statx = { type = "link", uid = 1001 } })
  lu.assertEquals({ record.open_directory(link, "/tmp/hako-1000", 1000, true) }, { nil,
    "runtime directory /tmp/hako-1000: a symbolic link of uid 1001, refused: someone else made it (remove it,"
      .. " or set XDG_RUNTIME_DIR)", link.EPERM })
end

-- read() against a fake core: the directory is fd 10, the record's O_PATH handle 11.
local function reader(st, text)
  local core, calls
  core, calls = fake.new({
    openat2 = 11,
    statx = st,
    open = 12,
    read = fake.sequence({ text }, { "" }),
    close = true,
  })
  return core, calls
end

function TestRecord.test_read_looks_before_it_opens_and_reads_the_inode_it_saw()
  local core, calls = reader({ type = "file", uid = 1000 }, record.format(sample()))
  lu.assertEquals(record.read(core, 10, 4242, 1000), sample())
  local o = fake.calls_named(calls, "openat2")[1]
  lu.assertEquals({ o[2], o[3] }, { 10, "4242" })
  lu.assertEquals(o[4] & core.O_PATH, core.O_PATH)
  lu.assertEquals(fake.calls_named(calls, "open"),
    { { "open", "/proc/self/fd/11", core.O_RDONLY | core.O_NONBLOCK | core.O_CLOEXEC } })
end

-- A user may put a FIFO where root looks for its record: opening it to read would wait
-- for a writer for ever. It is never opened but with O_PATH.
function TestRecord.test_read_refuses_what_is_not_a_regular_file_without_opening_it()
  -- (and a huge file, say a user's sparse 4 GiB one, is not read either)
  for _, st in ipairs({ { type = "fifo", uid = 1000 }, { type = "char", uid = 0 }, { type = "file", uid = 7 },
    { type = "file", uid = 1000, size = 4 << 30 } }) do
    local core, calls = reader(st, "")
    lu.assertEquals({ record.read(core, 10, 4242, 1000) },
      { nil, "record 4242: not a regular file of root or the owner, of at most 262144 bytes", core.EPERM })
    lu.assertEquals(fake.calls_named(calls, "openat2")[1][4] & core.O_PATH, core.O_PATH)
    lu.assertEquals(fake.calls_named(calls, "open"), {})
    lu.assertEquals(fake.calls_named(calls, "read"), {})
    lu.assertEquals(fake.calls_named(calls, "close"), { { "close", 11 } })
  end
end

-- A name in a record is shown to root by hako ps: only one hako-run would have taken.
function TestRecord.test_a_record_with_a_name_hako_would_not_take_is_refused()
  local r = sample()
  r.name = "web"
  lu.assertEquals(record.parse(record.format(r)).name, "web")
  r.name = "\27]0;owned\7"
  lu.assertEquals({ record.parse(record.format(r)) }, { nil, "bad name" })
end

-- The file name is what hako-enter was asked for; a record inside naming another process
-- (pid 1, say) would be about something else.
function TestRecord.test_read_refuses_a_record_of_another_pid_than_its_name()
  local other = sample()
  other.pid = 1
  local core = reader({ type = "file", uid = 1000 }, record.format(other))
  lu.assertEquals({ record.read(core, 10, 4242, 1000) }, { nil, "record 4242: names pid 1", core.EINVAL })
end

os.exit(lu.LuaUnit.run("-o", "tap"))
