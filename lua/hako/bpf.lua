-- hako.bpf: classic BPF for seccomp, the instructions hako's filters use: assembled from
-- a list with symbolic jump targets, decoded, and printed one instruction a line. Pure.
--
-- A conditional jump's offsets (jt, jf) are 8 bits: a target more than 255 instructions
-- ahead is reached through a stop placed right after the jump, a copy of the target when
-- it is a return (as cheap as a jump, and one instruction fewer on the path), else an
-- unconditional jump, whose offset is 32 bits. Placing one moves everything after it, so
-- the layout is redone until no jump is too long.

local M = {}

-- linux/bpf_common.h: class | size | mode, or class | operation | source
M.LD_W_ABS = 0x20    -- A = the 32-bit word at offset k of seccomp_data
M.JA = 0x05          -- jump k forward
M.JEQ_K = 0x15       -- A == k ? jt : jf
M.JGT_K = 0x25       -- A > k (unsigned)
M.JGE_K = 0x35       -- A >= k (unsigned)
M.JSET_K = 0x45      -- A & k ~= 0
M.AND_K = 0x54       -- A &= k
M.RET_K = 0x06       -- return k

-- linux/filter.h: the kernel refuses a longer program (BPF_MAXINSNS).
M.MAX_INSNS = 4096

-- linux/seccomp.h: the actions a filter returns (the low 16 bits carry data for some).
M.RET_KILL_PROCESS = 0x80000000
M.RET_KILL_THREAD = 0x00000000
M.RET_TRAP = 0x00030000
M.RET_ERRNO = 0x00050000
M.RET_TRACE = 0x7ff00000
M.RET_LOG = 0x7ffc0000
M.RET_ALLOW = 0x7fff0000

-- struct seccomp_data: nr, arch, instruction_pointer (64 bits), args[6] (64 bits each)
M.OFFSET_NR = 0
M.OFFSET_ARCH = 4
M.OFFSET_IP = 8
M.OFFSET_ARGS = 16

local LITTLE = string.pack("=I4", 1):byte(1) == 1

-- The offset of the low and the high 32 bits of argument i (as this machine stores them).
function M.arg_lo(i) return M.OFFSET_ARGS + 8 * i + (LITTLE and 0 or 4) end
function M.arg_hi(i) return M.OFFSET_ARGS + 8 * i + (LITTLE and 4 or 0) end

local CONDITIONAL = { [M.JEQ_K] = true, [M.JGT_K] = true, [M.JGE_K] = true, [M.JSET_K] = true }

-- assemble(program) -> bytes | nil, why. program: a list of instructions
-- { code, k, jt = insn, jf = insn } (JA: { code = JA, to = insn }), each target one of the
-- list's own instruction tables, after the jump. Far targets get stops (see above).
function M.assemble(program)
  local list = { table.unpack(program) }
  local at
  repeat
    at = {}
    for i, insn in ipairs(list) do at[insn] = i end
    local changed = false
    for i = #list, 1, -1 do
      local insn = list[i]
      if CONDITIONAL[insn.code] then
        local stops = {}
        for _, field in ipairs({ "jt", "jf" }) do
          local target = insn[field]
          local distance = at[target] - i - 1
          if distance < 0 then error("bpf: backward jump at " .. i) end
          if distance > 255 then
            local stop = target.code == M.RET_K and { code = M.RET_K, k = target.k } or { code = M.JA, to = target }
            insn[field] = stop
            stops[#stops + 1] = stop
          end
        end
        for j, stop in ipairs(stops) do table.insert(list, i + j, stop) end
        changed = changed or #stops > 0
      end
    end
  until not changed
  if #list > M.MAX_INSNS then
    return nil, string.format("%d instructions, the kernel takes at most %d", #list, M.MAX_INSNS)
  end
  local out = {}
  for i, insn in ipairs(list) do
    local jt, jf, k = 0, 0, insn.k or 0
    if CONDITIONAL[insn.code] then
      jt, jf = at[insn.jt] - i - 1, at[insn.jf] - i - 1
    elseif insn.code == M.JA then
      k = at[insn.to] - i - 1
    end
    out[i] = string.pack("=I2BBI4", insn.code, jt, jf, k)
  end
  return table.concat(out)
end

-- decode(bytes) -> { {code, jt, jf, k}, ... }
function M.decode(bytes)
  local list = {}
  for i = 1, #bytes - 7, 8 do
    local code, jt, jf, k = string.unpack("=I2BBI4", bytes, i)
    list[#list + 1] = { code = code, jt = jt, jf = jf, k = k }
  end
  return list
end

local ACTIONS = { [M.RET_KILL_PROCESS] = "KILL_PROCESS", [M.RET_KILL_THREAD] = "KILL_THREAD",
  [M.RET_ALLOW] = "ALLOW", [M.RET_LOG] = "LOG" }
local WITH_DATA = { [M.RET_ERRNO] = "ERRNO", [M.RET_TRAP] = "TRAP", [M.RET_TRACE] = "TRACE" }

local function action(k)
  if ACTIONS[k] then return ACTIONS[k] end
  local name = WITH_DATA[k & 0xffff0000]
  if name then return string.format("%s(%d)", name, k & 0xffff) end
  return string.format("#0x%08x", k)
end

local function field(k)
  if k == M.OFFSET_NR then return "nr" end
  if k == M.OFFSET_ARCH then return "arch" end
  if k == M.OFFSET_IP or k == M.OFFSET_IP + 4 then
    return (k == M.OFFSET_IP) == LITTLE and "ip.lo" or "ip.hi"
  end
  local i = (k - M.OFFSET_ARGS) // 8
  if k >= M.OFFSET_ARGS and i <= 5 and k % 4 == 0 then
    return string.format("arg%d.%s", i, k == M.arg_lo(i) and "lo" or "hi")
  end
  return tostring(k)
end

local JUMPS = { [M.JEQ_K] = "jeq", [M.JGT_K] = "jgt", [M.JGE_K] = "jge", [M.JSET_K] = "jset" }

-- dump(bytes) -> text: one instruction a line, jump targets as instruction numbers.
function M.dump(bytes)
  local lines = {}
  for n, i in ipairs(M.decode(bytes)) do
    local pc, text = n - 1
    if i.code == M.LD_W_ABS then
      text = string.format("ld [%s]", field(i.k))
    elseif JUMPS[i.code] then
      text = string.format("%s #0x%x jt %04d jf %04d", JUMPS[i.code], i.k, pc + 1 + i.jt, pc + 1 + i.jf)
    elseif i.code == M.JA then
      text = string.format("ja %04d", pc + 1 + i.k)
    elseif i.code == M.AND_K then
      text = string.format("and #0x%x", i.k)
    elseif i.code == M.RET_K then
      text = "ret " .. action(i.k)
    else
      text = string.format("code 0x%04x jt %d jf %d k 0x%x", i.code, i.jt, i.jf, i.k)
    end
    lines[#lines + 1] = string.format("%04d: %s", pc, text)
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
