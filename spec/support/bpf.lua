-- support/bpf: a classic BPF interpreter for seccomp filters, as the kernel's checker
-- would have them: loads inside seccomp_data, forward jumps inside the program, a return
-- at the end of every path. Its own reading of the instruction set (not hako.bpf's).
local M = {}

local LITTLE = string.pack("=I4", 1):byte(1) == 1

-- data(arch, nr, args, ip) -> struct seccomp_data bytes: nr, arch, instruction_pointer,
-- args[6] (64-bit each; args = { [0] = a0, a1, ... }, missing ones 0).
function M.data(arch, nr, args, ip)
  args = args or {}
  local s = string.pack("=I4I4I8", nr, arch, ip or 0)
  for i = 0, 5 do s = s .. string.pack("=i8", args[i] or 0) end
  return s
end

-- decode(bytes) -> { {code, jt, jf, k}... }, from struct sock_filter's layout.
function M.decode(bytes)
  assert(#bytes % 8 == 0, "not a whole number of instructions")
  local list = {}
  for i = 1, #bytes, 8 do
    local code, jt, jf, k = string.unpack("=I2BBI4", bytes, i)
    list[#list + 1] = { code = code, jt = jt, jf = jf, k = k }
  end
  return list
end

-- run(bytes, input) -> the value returned, and a trace: how many instructions ran, how
-- many were comparisons, which seccomp_data offsets were loaded.
function M.run(bytes, input)
  local insns = M.decode(bytes)
  assert(#insns <= 4096, "longer than the kernel takes")
  local a, pc = 0, 1
  local trace = { steps = 0, compares = 0, loads = {} }
  local function jump(cond, i)
    trace.compares = trace.compares + 1
    return pc + 1 + (cond and i.jt or i.jf)
  end
  while true do
    local i = insns[pc] or error("ran off the end of the program at " .. pc)
    trace.steps = trace.steps + 1
    local c = i.code
    if c == 0x20 then -- ld [k]
      assert(i.k % 4 == 0 and i.k + 4 <= #input, "load out of seccomp_data")
      a = string.unpack("=I4", input, i.k + 1)
      trace.loads[#trace.loads + 1] = i.k
      pc = pc + 1
    elseif c == 0x15 then pc = jump(a == i.k, i)
    elseif c == 0x25 then pc = jump(a > i.k, i)
    elseif c == 0x35 then pc = jump(a >= i.k, i)
    elseif c == 0x45 then pc = jump(a & i.k ~= 0, i)
    elseif c == 0x54 then -- and #k
      a = a & i.k
      pc = pc + 1
    elseif c == 0x05 then -- ja
      pc = pc + 1 + i.k
    elseif c == 0x06 then
      return i.k, trace
    else
      error(string.format("unexpected instruction 0x%x", c))
    end
    assert(pc <= #insns, "jump past the end")
  end
end

-- The offsets of argument i's halves in seccomp_data.
function M.arg_lo(i) return 16 + 8 * i + (LITTLE and 0 or 4) end
function M.arg_hi(i) return 16 + 8 * i + (LITTLE and 4 or 0) end

return M
