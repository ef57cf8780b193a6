-- cgroup_spec: --memory, --pids, --cpus, --cgroup-parent planned into cgroups (hako.cgroup)
-- on a pure cgroup v2 host and on a hybrid one like this machine's. Pure.
local lu = require "luaunit"
local cgroup = require "hako.cgroup"

local fails = require "support.fails"

local HYBRID_MOUNTS = table.concat({
  "25 22 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755",
  "26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw",
  "27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct",
  "28 25 0:25 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory",
  "29 25 0:26 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids",
}, "\n") .. "\n"
local HYBRID_SELF = "4:pids:/\n3:memory:/job/7\n2:cpu,cpuacct:/\n0::/user.slice\n"
local V2_MOUNTS = "30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
local V2_SELF = "0::/user.slice/user-1000.slice/user@1000.service/app.slice\n"

TestCgroup = {}

function TestCgroup.test_values()
  lu.assertEquals(cgroup.size("32M", "--memory"), 32 << 20)
  lu.assertEquals(cgroup.size("2GiB", "--memory"), 2 << 30)
  lu.assertEquals(cgroup.size("4096", "--memory"), 4096)
  lu.assertEquals(cgroup.quota("0.5", "--cpus"), 50000)
  lu.assertEquals(cgroup.quota("2", "--cpus"), 200000)
  lu.assertEquals(cgroup.quota("0.001", "--cpus"), cgroup.MIN_QUOTA)
  lu.assertEquals(cgroup.count("64", "--pids"), 64)
  -- 2^62 bytes at most: a product that would wrap around is refused, not taken modulo.
  for _, bad in ipairs({ "0", "-1", "1X", "", "1.5M", "M", "17592186044417M", "16777217T", "4294967297G" }) do
    fails(function() cgroup.size(bad, "--memory") end,
      "--memory " .. bad .. ": expected a size like 512M, 2G or a number of bytes")
  end
  for _, bad in ipairs({ "0", "-1", "x", "1e3", "5000" }) do
    fails(function() cgroup.quota(bad, "--cpus") end, "--cpus " .. bad .. ": expected a number of CPUs like 0.5 or 2")
  end
  fails(function() cgroup.count("0", "--pids") end, "--pids 0: expected a number of processes")
  fails(function() cgroup.limits({ cgroup_parent = "rel" }) end,
    "--cgroup-parent rel: expected an absolute path in the cgroup hierarchy, without . or ..")
  fails(function() cgroup.limits({ cgroup_parent = "/a/../b" }) end,
    "--cgroup-parent /a/../b: expected an absolute path in the cgroup hierarchy, without . or ..")
  lu.assertNil(cgroup.limits({}))
end

function TestCgroup.test_what_the_process_and_the_host_say()
  lu.assertEquals(cgroup.self_cgroups(HYBRID_SELF),
    { v2 = "/user.slice", v1 = { pids = "/", memory = "/job/7", cpu = "/", cpuacct = "/" } })
  local m = cgroup.mounts(HYBRID_MOUNTS)
  lu.assertEquals(m.v2, { "/sys/fs/cgroup/unified", "/" })
  lu.assertEquals(m.v1.memory, { "/sys/fs/cgroup/memory", "/" })
  lu.assertEquals(m.v1.cpu, { "/sys/fs/cgroup/cpu,cpuacct", "/" })
end

-- Hybrid: v2 has no controller here, so each limit goes to its v1 hierarchy, under the
-- caller's own cgroup there; the v2 cgroup is made all the same (to start in, to kill with).
function TestCgroup.test_a_hybrid_host_uses_v1_for_what_v2_lacks()
  local limits = cgroup.limits({ memory = "64M", pids = "32", cpus = "1.5" })
  local p = cgroup.plan(limits, cgroup.mounts(HYBRID_MOUNTS), cgroup.self_cgroups(HYBRID_SELF), {}, "hako-9")
  lu.assertEquals(cgroup.path(p.v2), "/sys/fs/cgroup/unified/user.slice/hako-9")
  lu.assertEquals(p.v2.files, {})
  lu.assertEquals(#p.v1, 3)
  lu.assertEquals(cgroup.describe(p), table.concat({
    "cgroup: /sys/fs/cgroup/unified/user.slice/hako-9 (v2)",
    "cgroup: /sys/fs/cgroup/cpu,cpuacct/hako-9 (v1: cpu) cpu.cfs_period_us=100000 cpu.cfs_quota_us=150000",
    "cgroup: /sys/fs/cgroup/memory/job/7/hako-9 (v1: memory) memory.limit_in_bytes=67108864"
      .. " memory.memsw.limit_in_bytes=67108864",
    "cgroup: /sys/fs/cgroup/pids/hako-9 (v1: pids) pids.max=32", "" }, "\n"))
end

-- No cgroup v2 at all (an old host, all v1): every limit in its v1 hierarchy, every
-- file written. With no v2 cgroup first in the list, the limits were once planned for
-- nothing: nothing was made and no limit applied.
function TestCgroup.test_a_host_without_cgroup_v2_applies_every_limit_in_v1()
  local mounts = HYBRID_MOUNTS:gsub("[^\n]*cgroup2[^\n]*\n", "")
  local limits = cgroup.limits({ memory = "64M", pids = "32" })
  local p = cgroup.plan(limits, cgroup.mounts(mounts), cgroup.self_cgroups("4:pids:/\n3:memory:/job/7\n"), {},
    "hako-9")
  lu.assertNil(p.v2)
  lu.assertEquals(#cgroup.all(p), 2)
  lu.assertEquals(cgroup.describe(p), table.concat({
    "cgroup: /sys/fs/cgroup/memory/job/7/hako-9 (v1: memory) memory.limit_in_bytes=67108864"
      .. " memory.memsw.limit_in_bytes=67108864",
    "cgroup: /sys/fs/cgroup/pids/hako-9 (v1: pids) pids.max=32", "" }, "\n"))
end

function TestCgroup.test_pure_v2_puts_every_limit_in_one_cgroup()
  local limits = cgroup.limits({ memory = "1G", pids = "100", cpus = "0.25" })
  local p = cgroup.plan(limits, cgroup.mounts(V2_MOUNTS), cgroup.self_cgroups(V2_SELF),
    { memory = true, pids = true, cpu = true }, "hako-9")
  lu.assertEquals(p.v1, {})
  lu.assertEquals(p.v2.controllers, { "cpu", "memory", "pids" })
  lu.assertEquals(p.v2.files, { { "cpu.max", "25000 100000" }, { "memory.max", "1073741824" },
    { "memory.swap.max?", "0" }, { "pids.max", "100" } })
  lu.assertEquals(cgroup.path(p.v2), "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/hako-9")
end

function TestCgroup.test_a_parent_may_be_chosen_and_a_missing_controller_is_an_error()
  local limits = cgroup.limits({ pids = "5", cgroup_parent = "/jobs" })
  local p = cgroup.plan(limits, cgroup.mounts(V2_MOUNTS), cgroup.self_cgroups(V2_SELF), { pids = true }, "hako-9")
  lu.assertEquals(cgroup.path(p.v2), "/sys/fs/cgroup/jobs/hako-9")
  fails(function()
    cgroup.plan(cgroup.limits({ memory = "1M" }), cgroup.mounts(V2_MOUNTS), cgroup.self_cgroups(V2_SELF), {}, "h")
  end, "--memory: this host has no cgroup controller memory (neither cgroup v2 nor v1 offers it)")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
