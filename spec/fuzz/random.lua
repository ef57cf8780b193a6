-- spec/fuzz/random.lua: a deterministic random stream for the fuzz harness.
--
-- Every input is made from its own stream, seeded by (run seed, parser name, input
-- number): any one input can be made again alone, on any machine with Lua 5.4, which is
-- what `make fuzz SEED=... PARSER=... INDEX=...` does to replay a failure. SplitMix64
-- (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014) on
-- Lua's 64-bit integers, whose arithmetic wraps as the algorithm wants; math.random is
-- left alone, since the code under test may use it too.

local M = {}

local Stream = {}
Stream.__index = Stream

-- next64() -> 64 random bits, as a Lua integer (any sign).
function Stream:next64()
  self.state = self.state + 0x9E3779B97F4A7C15
  local z = self.state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  return z ~ (z >> 31)
end

-- int(lo, hi) -> an integer in [lo, hi]; the range must fit in 62 bits.
function Stream:int(lo, hi)
  return lo + (self:next64() >> 2) % (hi - lo + 1)
end

-- chance(p) -> true with probability p.
function Stream:chance(p)
  return (self:next64() >> 11) / (1 << 53) < p
end

function Stream:pick(list)
  return list[self:int(1, #list)]
end

-- bytes(n) -> n random bytes.
function Stream:bytes(n)
  local out = {}
  for i = 1, n do out[i] = string.char(self:int(0, 255)) end
  return table.concat(out)
end

-- Short lengths mostly, now and then a long one: most bugs need few bytes, some many.
function Stream:length(max)
  if self:chance(0.05) then return self:int(0, max) end
  return self:int(0, math.min(max, 16))
end

-- A 64-bit hash of a string (FNV-1a), to fold names into seeds.
local function hash(text)
  local h = 0xCBF29CE484222325
  for i = 1, #text do h = (h ~ text:byte(i)) * 0x100000001B3 end
  return h
end

-- new(seed, name, index) -> the stream of input number index of parser name.
function M.new(seed, name, index)
  local s = setmetatable({ state = hash(tostring(seed) .. "\0" .. name .. "\0" .. tostring(index)) }, Stream)
  s:next64()
  return s
end

return M
