-- filters.lua: table 5 of `make bench`: what one system call costs under no filter, under
-- hako's compiled filter and under libseccomp's (python3-seccomp, the bench's only) for
-- the same policy (policy.lua's bench_policy), in a bare process and inside hako-run
-- (whose own filter then runs too). syscall_loop.c times its own loop: a process start is
-- nothing next to a million calls. getppid is a call both filters allow without looking
-- at arguments, which the kernel's action cache (Linux 5.11+) lets past without running
-- the filter at all; ioctl(-1, TIOCGWINSZ) is one they must run for (the TIOCSTI rule).
local m = require "measure"

local M = {}

local CALLS = 300000
local ROUNDS = tonumber(os.getenv("BENCH_FILTER_ROUNDS")) or 9
-- uname -m -> the native ABI, its AUDIT_ARCH, and the arches libseccomp adds to it
local MACHINES = {
  x86_64 = { abi = "x86_64", arch = 0xC000003E, extra = { "x86", "x32" } },
  aarch64 = { abi = "aarch64", arch = 0xC00000B7, extra = { "arm" } },
}

local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local bytes = f:read("a")
  f:close()
  return bytes
end

-- The policy in libseccomp.py's lines.
local function as_lines(policy, extra)
  local function action(a) return a.kind == "errno" and "errno " .. a.errno or a.kind end
  local lines = { "default " .. action(policy.default) }
  for _, arch in ipairs(extra) do lines[#lines + 1] = "arch " .. arch end
  for _, rule in ipairs(policy.rules) do
    local words = { "rule", rule.name, action(rule.action) }
    for _, c in ipairs(rule.args or {}) do
      table.move({ tostring(c.arg), c.op, string.format("0x%x", c.value), string.format("0x%x", c.mask or -1) },
        1, 4, #words + 1, words)
    end
    lines[#lines + 1] = table.concat(words, " ")
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Where the two filters decide a call differently (spec/support/bpf.lua runs both):
-- numbers 0..1023 of each ABI, no arguments, and ioctl with TIOCSTI and TIOCGWINSZ.
-- x32's calls numbered 512-547 also take their x86_64 number in hako's filter (before
-- Linux 5.4 those reached the 64-bit entry), not in libseccomp's: counted apart.
local function differences(bpf, a, b, machine, tables)
  local aliases = {}
  for name, nr in pairs(machine.abi == "x86_64" and tables.x32 or {}) do
    if nr >= 0x40000200 and nr <= 0x40000223 and tables.x86_64[name] then
      aliases[0x40000000 | tables.x86_64[name]] = true
    end
  end
  local abis = machine.abi == "x86_64" and { { "x86_64", 0xC000003E, 0 }, { "x32", 0xC000003E, 0x40000000 },
    { "i386", 0x40000003, 0 } } or { { "aarch64", 0xC00000B7, 0 }, { "arm", 0x40000028, 0 } }
  local list, checked, aliased = {}, 0, 0
  for _, abi in ipairs(abis) do
    local ioctl = tables[abi[1]] and tables[abi[1]].ioctl
    for nr = abi[3], abi[3] + 1023 do
      for _, args in ipairs(nr == ioctl and { { [1] = 0x5412 }, { [1] = 0x5413 } } or { {} }) do
        local input = bpf.data(abi[2], nr, args)
        local ok1, x = pcall(bpf.run, a, input)
        local ok2, y = pcall(bpf.run, b, input)
        checked = checked + 1
        if ok1 and ok2 and x ~= y and abi[1] == "x32" and aliases[nr] then
          aliased = aliased + 1
        elseif not (ok1 and ok2) or x ~= y then
          list[#list + 1] = string.format("%s %d%s: %s / %s", abi[1], nr & 0x3fffffff, args[1] and
            string.format(" (0x%x)", args[1]) or "", ok1 and string.format("0x%x", x) or "?", ok2 and
            string.format("0x%x", y) or "?")
        end
      end
    end
  end
  return list, checked, aliased
end

-- the fastest run: the others had the machine's other work added (a shared machine's
-- noise is hundreds of ns a call, more than a filter costs)
local function fastest(list)
  table.sort(list)
  return list[1]
end

-- BPF instructions the filter runs for the loop's call (spec/support/bpf.lua): what the
-- timings measure, without the noise.
local function steps(bpf, bytes, machine, nr, args)
  local ok, _, trace = pcall(bpf.run, bytes, bpf.data(machine.arch, nr, args))
  return ok and trace.steps or "?"
end

-- run(build, root, dir, hako_run) -> markdown
function M.run(build, root, dir, hako_run)
  package.path = "lua/?.lua;" .. build .. "/gen/?.lua;spec/?.lua;" .. package.path
  local policy_module = require "policy"
  local seccomp, bpf = policy_module.seccomp, require "support.bpf"
  local machine = MACHINES[m.sh("uname -m"):gsub("%s", "")]
  if not machine then return "n/a: no bench policy for this machine\n" end
  local loop = dir .. "/syscall_loop"
  if not os.execute("cc -O2 -static -o " .. loop .. " spec/bench/syscall_loop.c") then
    return "n/a: cannot build spec/bench/syscall_loop.c\n"
  end
  local policy = policy_module.bench_policy(seccomp.TABLES[machine.abi])
  local filters = { { name = "none", path = "none" } }
  local hako = assert(seccomp.compile(policy, machine.arch))
  write(dir .. "/hako.bpf", hako)
  filters[2] = { name = "hako", path = dir .. "/hako.bpf", bytes = hako }
  write(dir .. "/policy.txt", as_lines(policy, machine.extra))
  local ok = os.execute("/usr/bin/python3 spec/bench/libseccomp.py " .. m.quote(dir .. "/libseccomp.bpf") .. " <"
    .. m.quote(dir .. "/policy.txt") .. " 2>" .. m.quote(dir .. "/libseccomp.log"))
  local libseccomp = ok and read(dir .. "/libseccomp.bpf")
  filters[3] = { name = "libseccomp (CTL_OPTIMIZE 2)", path = dir .. "/libseccomp.bpf", bytes = libseccomp,
    na = not libseccomp and "n/a: see " .. dir .. "/libseccomp.log" or nil }
  -- inside the sandbox: the loop and the filters in its root
  os.execute("cp " .. loop .. " " .. root .. "/syscall_loop && cp " .. dir .. "/*.bpf " .. root .. "/")

  local results = {}
  for _, call in ipairs({ "getppid", "ioctl" }) do
    for _, f in ipairs(filters) do
      results[call .. f.name] = { bare = {}, sandbox = {} }
    end
  end
  for _ = 1, ROUNDS do
    for _, call in ipairs({ "getppid", "ioctl" }) do
      for _, f in ipairs(filters) do
        if not f.na then
          local r = results[call .. f.name]
          local inside = f.path == "none" and "none" or "/" .. f.path:match("[^/]+$")
          table.insert(r.bare, tonumber(m.sh(table.concat({ loop, f.path, CALLS, call }, " "))))
          table.insert(r.sandbox, tonumber(m.sh(table.concat({ hako_run, root, "/syscall_loop", inside, CALLS, call },
            " "))))
        end
      end
    end
  end
  local lines = { "| call | filter | instructions (run) | ns/call | × no filter | ns/call in hako-run | × no filter |",
    "|---|---|---|---|---|---|---|" }
  local nr = seccomp.TABLES[machine.abi]
  local input = { getppid = { nr.getppid, {} }, ioctl = { nr.ioctl, { [0] = -1, 0x5413 } } }
  local verdict = {}
  for _, call in ipairs({ "getppid", "ioctl" }) do
    local none = results[call .. "none"]
    local base_bare, base_sandbox = fastest(none.bare), fastest(none.sandbox)
    for _, f in ipairs(filters) do
      local r = results[call .. f.name]
      if f.na then
        lines[#lines + 1] = string.format("| %s | %s | %s | | | | |", call, f.name, f.na)
      else
        local bare, sandbox = fastest(r.bare), fastest(r.sandbox)
        r.median = bare
        local size = f.bytes and string.format("%d (%s)", #f.bytes // 8,
          steps(bpf, f.bytes, machine, input[call][1], input[call][2])) or ""
        lines[#lines + 1] = string.format("| %s | %s | %s | %.1f | %.2f | %.1f | %.2f |", call, f.name,
          size, bare, bare / base_bare, sandbox, sandbox / base_sandbox)
      end
    end
    local h, l = results[call .. "hako"], results[call .. filters[3].name]
    if h.median and l.median then
      verdict[#verdict + 1] = string.format("%s: hako %.1f ns, libseccomp %.1f ns a call (hako / libseccomp %.2f×;"
        .. " over no filter: +%.1f vs +%.1f ns)", call, h.median, l.median, h.median / l.median,
        h.median - base_bare, l.median - base_bare)
    end
  end
  local text = table.concat(lines, "\n") .. "\n\n" .. CALLS .. " calls a run, the fastest of " .. ROUNDS
    .. " runs; the sandbox's column has hako-run's own filter beneath the loaded one. Instructions: the"
    .. " program's, and (run) those it runs for the loop's call.\n"
  for _, v in ipairs(verdict) do text = text .. "- " .. v .. "\n" end
  if libseccomp then
    local diff, checked, aliased = differences(bpf, hako, libseccomp, machine, seccomp.TABLES)
    text = text .. string.format("- of %d calls checked, the two filters decide %d differently%s, and %d x32"
      .. " numbers of x86_64-only entries (hako: the call's rule, libseccomp: the default)\n", checked, #diff,
      #diff > 0 and " (" .. table.concat(diff, "; ", 1, math.min(#diff, 8)) .. (#diff > 8 and "; ..." or "") .. ")"
      or "", aliased)
  end
  return text
end

return M
