-- seccomp_differential_spec: the compiler (hako.seccomp) against the meaning of a policy
-- (support/seccomp_decide), on random policies: up to 400 rules of random calls, actions
-- and argument conditions (values on the 32- and 64-bit edges, masks with bits in either
-- half), compiled for x86 and arm and run through the BPF interpreter for every ABI of
-- the family with random arguments. What the filter answers must be what the policy
-- says, however the search, the shared blocks and the stops past 255 instructions fall.
-- A fixed seed (HAKO_SECCOMP_SEED changes it), so that make check is the same every time.
local lu = require "luaunit"
local bpf = require "support.bpf"
local decide = require "support.seccomp_decide"
local seccomp = require "hako.seccomp"

local SEED = tonumber(os.getenv("HAKO_SECCOMP_SEED")) or 13
local POLICIES = 30
local EDGES = { 0, 1, -1, 0xffffffff, 0x100000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0x1ffffffff,
  0x8000000000000000, 40, 0x5412 }
local OPS = { "eq", "ne", "lt", "le", "gt", "ge", "masked_eq", "masked_ne" }
local ACTIONS = { { kind = "allow" }, { kind = "errno", errno = 1 }, { kind = "errno", errno = 38 },
  { kind = "kill_process" }, { kind = "kill_thread" }, { kind = "trap" }, { kind = "log" } }
local RET = { allow = 0x7fff0000, kill_process = 0x80000000, kill_thread = 0, trap = 0x30000, log = 0x7ffc0000 }

local function ret(action)
  return action.kind == "errno" and (0x50000 | action.errno) or RET[action.kind]
end

-- the family's arches, each with its ABIs' tables
local FAMILIES = {
  { native = seccomp.X86_64,
    arches = { { seccomp.X86_64, "x86_64" }, { seccomp.X86_64, "x32" }, { seccomp.I386, "i386" } } },
  { native = seccomp.AARCH64, arches = { { seccomp.AARCH64, "aarch64" }, { seccomp.ARM, "arm" } } },
}

local function names_of(family)
  local seen, list = {}, {}
  for _, a in ipairs(family.arches) do
    for name in pairs(seccomp.TABLES[a[2]] or {}) do
      if not seen[name] then seen[name], list[#list + 1] = true, name end
    end
  end
  table.sort(list) -- pairs() order differs between runs
  return list
end

local function value()
  if math.random() < 0.6 then return EDGES[math.random(#EDGES)] end
  return math.random(math.mininteger, math.maxinteger)
end

local function random_policy(pool)
  local rules = {}
  for i = 1, math.random(1, 400) do
    local args = {}
    for j = 1, math.random(0, 3) do
      local c = { arg = math.random(0, 5), op = OPS[math.random(#OPS)], value = value() }
      if c.op:match("^masked") then
        c.mask = value()
        if math.random() < 0.7 then c.value = c.value & c.mask end
      end
      args[j] = c
    end
    rules[i] = { name = pool[math.random(#pool)], action = ACTIONS[math.random(#ACTIONS)], args = args }
  end
  return { default = ACTIONS[math.random(#ACTIONS)], rules = rules, unknown = "error" }
end

TestSeccompDifferential = {}

function TestSeccompDifferential.test_the_filter_answers_what_the_policy_says()
  math.randomseed(SEED)
  local compiled, checked = 0, 0
  for _, family in ipairs(FAMILIES) do
    local names = names_of(family)
    for _ = 1, POLICIES do
      local pool = {}
      for i = 1, math.random(1, 40) do pool[i] = names[math.random(#names)] end
      local policy = random_policy(pool)
      local program, why = seccomp.compile(policy, family.native)
      if not program then
        lu.assertStrMatches(why, "^%d+ instructions, the kernel takes at most 4096$")
      else
        compiled = compiled + 1
        for _ = 1, 300 do
          local name = pool[math.random(#pool)]
          local arch = family.arches[math.random(#family.arches)]
          local nr = seccomp.TABLES[arch[2]] and seccomp.TABLES[arch[2]][name]
          if nr then
            local args = {}
            for a = 1, 6 do args[a] = value() end
            -- now and then the values the rules compare with, so that conditions hold
            for _, r in ipairs(policy.rules) do
              if r.name == name and math.random() < 0.2 then
                for _, c in ipairs(r.args) do args[c.arg + 1] = c.value end
              end
            end
            local data = bpf.data(arch[1], nr, { [0] = args[1], args[2], args[3], args[4], args[5], args[6] })
            local got = bpf.run(program, data)
            local want = ret(decide(policy, name, args))
            if got ~= want then
              lu.fail(string.format("seed %d: %s (%s %d): filter 0x%08x, policy 0x%08x", SEED, name, arch[2], nr,
                got, want))
            end
            checked = checked + 1
          end
        end
      end
    end
  end
  -- the control: most policies compiled and many calls were checked
  lu.assertTrue(compiled > POLICIES, compiled .. " policies compiled")
  lu.assertTrue(checked > 5000, checked .. " calls checked")
end

os.exit(lu.LuaUnit.run("-o", "tap"))
