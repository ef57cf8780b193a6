-- hako.seccomp_args: a seccomp rule's argument conditions as BPF, for hako.seccomp. Pure.
--
-- A condition compares a 64-bit argument unsigned; BPF's accumulator holds 32 bits, so
-- each condition becomes checks of the high half, then the low half. A half that a mask
-- makes trivial (masked to nothing: always equal, or never) is not read at all.
local bpf = require "hako.bpf"

local M = {}

local ALL = 0xffffffff
local OPS = { eq = true, ne = true, lt = true, le = true, gt = true, ge = true, masked_eq = true, masked_ne = true }

local function hi(v) return (v >> 32) & ALL end
local function lo(v) return v & ALL end

-- check(cond) -> a check { arg, op, value, mask }, true (always holds), false (never),
-- or nil, why. The ordering ops' trivial bounds are folded too.
function M.check(c)
  if type(c) ~= "table" then return nil, "a condition is not a table" end
  local arg, op, value, mask = c.arg, c.op, c.value, c.mask
  if math.type(arg) ~= "integer" or arg < 0 or arg > 5 then
    return nil, "argument " .. tostring(arg) .. " is not 0..5"
  end
  if not OPS[op] then return nil, "unknown comparison " .. tostring(op) end
  if math.type(value) ~= "integer" then return nil, "value " .. tostring(value) .. " is not an integer" end
  if op == "masked_eq" or op == "masked_ne" then
    if math.type(mask) ~= "integer" then return nil, "mask " .. tostring(mask) .. " is not an integer" end
    -- bits of value outside the mask: (arg & mask) can never equal it
    if value & ~mask ~= 0 then return op == "masked_ne" end
    if mask == 0 then return op == "masked_eq" end
  else
    mask = -1
  end
  if op == "ge" and value == 0 or op == "le" and value == -1 then return true end
  if op == "lt" and value == 0 or op == "gt" and value == -1 then return false end
  return { arg = arg, op = op, value = value, mask = mask }
end

-- key(checks) -> a string that equal lists of checks share.
function M.key(checks)
  local parts = {}
  for i, c in ipairs(checks) do
    parts[i] = string.format("%d %s %x %x", c.arg, c.op, c.value, c.mask)
  end
  return table.concat(parts, ";")
end

-- The instructions of one check, in order, jumping to pass or fail (instructions after).
local function compile_check(c, pass, fail)
  local code = {}
  local function emit(insn) code[#code + 1] = insn return insn end
  local op = c.op
  if op == "eq" or op == "ne" or op == "masked_eq" or op == "masked_ne" then
    local equal = op == "eq" or op == "masked_eq"
    -- halves that need a look: those the mask leaves something of
    local halves = {}
    local both = { { bpf.arg_hi(c.arg), hi(c.mask), hi(c.value) }, { bpf.arg_lo(c.arg), lo(c.mask), lo(c.value) } }
    for _, h in ipairs(both) do
      if h[2] ~= 0 then halves[#halves + 1] = h end
    end
    -- all halves equal: the condition holds for eq, fails for ne
    local all_equal, differs = equal and pass or fail, equal and fail or pass
    local firsts, jumps = {}, {}
    for i, h in ipairs(halves) do
      firsts[i] = emit({ code = bpf.LD_W_ABS, k = h[1] })
      if h[2] ~= ALL then emit({ code = bpf.AND_K, k = h[2] }) end
      jumps[i] = emit({ code = bpf.JEQ_K, k = h[3], jf = differs })
    end
    for i, j in ipairs(jumps) do j.jt = firsts[i + 1] or all_equal end
    return code
  end
  -- ordering: ge and gt hold when the high half is above, or equal and the low half is
  -- (ge: at least, gt: above); lt and le are their opposites
  local strict = op == "gt" or op == "le"
  local holds = (op == "ge" or op == "gt") and pass or fail
  local not_holds = holds == pass and fail or pass
  emit({ code = bpf.LD_W_ABS, k = bpf.arg_hi(c.arg) })
  local above = emit({ code = bpf.JGT_K, k = hi(c.value), jt = holds })
  local same = emit({ code = bpf.JEQ_K, k = hi(c.value), jf = not_holds })
  local load_lo = emit({ code = bpf.LD_W_ABS, k = bpf.arg_lo(c.arg) })
  emit({ code = strict and bpf.JGT_K or bpf.JGE_K, k = lo(c.value), jt = holds, jf = not_holds })
  above.jf, same.jt = same, load_lo
  return code
end

-- block(outcome, ret) -> the instructions of an outcome's checks, entry first.
-- outcome = { steps = { {value, checks}... }, tail = value }: the first step whose checks
-- all hold returns its value; when none does, tail. ret(value) -> that return instruction.
function M.block(outcome, ret)
  local parts = {}
  local fail = ret(outcome.tail)
  for s = #outcome.steps, 1, -1 do
    local step = outcome.steps[s]
    local pass = ret(step.value)
    local code = {}
    for i = #step.checks, 1, -1 do
      local part = compile_check(step.checks[i], pass, fail)
      table.move(code, 1, #code, #part + 1, part)
      code = part
      pass = code[1]
    end
    table.insert(parts, 1, code)
    fail = code[1]
  end
  local all = {}
  for _, code in ipairs(parts) do table.move(code, 1, #code, #all + 1, all) end
  return all
end

return M
