-- test-runner.lua: shows a test runner that gives each test a sandbox of its own: a test
-- cannot see what another left behind, reach the network, outlive its time, or harm the
-- host; the runner reports each one as TAP (ok / not ok) with why, and fails if one did.
--
--   hako examples/test-runner.lua [DIR]
--
-- Every DIR/*.sh (default: a few demo tests made in a temporary directory) runs under
-- busybox's sh in a fresh sandbox: one shared read-only busybox root, the test bound
-- read-only at /test.sh, an empty tmpfs /tmp of its own, no network, a timeout of
-- TEST_TIMEOUT seconds (default 10), and its status told by --json-status-fd, the way a
-- runner learns how a test ended (an exit status, or the signal that killed it).

local hako = require "hako"

local function sh(line)
  local p = assert(io.popen(line))
  local out = p:read("a")
  assert(p:close(), line)
  return (out:gsub("\n$", ""))
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- The demo: each passes only if the sandbox around it is what this runner promises.
local DEMO = {
  ["1-arithmetic.sh"] = "test $((6 * 7)) = 42\n",
  ["2-leaves-a-file.sh"] = "echo state > /tmp/state && test -f /tmp/state\n",
  ["3-sees-a-clean-tmp.sh"] = "# the file test 2 left is in its own tmpfs, gone with it\ntest ! -e /tmp/state\n",
  ["4-has-no-network.sh"] = "test \"$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')\" = lo\n",
  ["5-cannot-change-the-root.sh"] = "! touch /bin/x 2>/dev/null\n",
}

local dir = arg[1]
local demo = dir == nil
if demo then
  dir = sh("mktemp -d /tmp/hako-tests.XXXXXX")
  for name, text in pairs(DEMO) do write(dir .. "/" .. name, text) end
end
local timeout = tonumber(os.getenv("TEST_TIMEOUT") or "10")

local root = sh("mktemp -d /tmp/hako-test-root.XXXXXX")
sh("chmod 755 " .. root .. " && mkdir -p " .. root .. "/.hako " .. root .. "/bin " .. root .. "/tmp "
  .. root .. "/proc " .. root .. "/dev && touch " .. root .. "/test.sh")
sh("cp /bin/busybox " .. root .. "/bin/busybox && cd " .. root .. "/bin && for a in $(./busybox --list); do "
  .. "[ -e $a ] || ln -s busybox $a; done")

-- The file --json-status-fd writes to: a line when the test starts, one when it ends.
local status_file = os.tmpname()

local function run_test(path)
  local fd = assert(hako.core.open(status_file, hako.core.O_WRONLY | hako.core.O_TRUNC))
  local ok, status = pcall(hako.run, {
    root = root, command = { "/bin/sh", "/test.sh" }, read_only = true,
    mounts = { path .. ":/test.sh:ro", { tmpfs = "/tmp:16m" } },
    timeout = timeout, timeout_grace = 2, json_status_fd = fd,
  })
  hako.core.close(fd)
  if not ok then return false, "could not run: " .. tostring(status) end
  local f = assert(io.open(status_file))
  local report = f:read("a")
  f:close()
  if status == 0 then return true end
  if status == 124 then return false, "timed out after " .. timeout .. " s" end
  local signal = report:match('"signal": (%d+)')
  return false, signal and "killed by signal " .. signal or "exit status " .. status
end

local tests = {}
for name in sh("cd " .. dir .. " && ls -1 -- *.sh 2>/dev/null || true"):gmatch("[^\n]+") do
  tests[#tests + 1] = name
end
print("1.." .. #tests)
local failed = 0
for i, name in ipairs(tests) do
  local passed, why = run_test(dir .. "/" .. name)
  if not passed then failed = failed + 1 end
  print(string.format("%s %d - %s%s", passed and "ok" or "not ok", i, name, why and " # " .. why or ""))
end
print(string.format("# %d of %d passed", #tests - failed, #tests))

os.remove(status_file)
sh("rm -rf --one-file-system " .. root)
if demo then sh("rm -rf " .. dir) end
os.exit(failed == 0 and 0 or 1)
