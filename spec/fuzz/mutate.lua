-- spec/fuzz/mutate.lua: change a real input a little, the way a hostile writer would.
--
-- Byte-level edits (flip, insert, delete, repeat, splice from another input) find what
-- a parser assumes about lengths and separators; tokens from the parser's own
-- dictionary (":", "\:", "%0A", "..", huge numbers) reach the branches random bytes
-- almost never do. Each function takes the random stream first.

local M = {}

-- Tokens every parser here gets, besides its own: separators, escapes, line ends, NUL,
-- the ends of the integer types, what Lua's tonumber reads as a number.
M.COMMON_TOKENS = {
  ":", "\\:", "\\", "\n", "\r\n", "\0", "%", "%00", "%0A", "%zz", " ", "\t", "=", ",", "/",
  "//", "/.", "/./", "/..", "..", ".", "-", "--", "0", "-1", "1e309", "0x10", "nan", "inf",
  "2147483647", "2147483648", "4294967294", "4294967295", "4294967296",
  "9223372036854775807", "9223372036854775808", "18446744073709551616", "00000000001",
  "\255", "\127", "é", "${X}", "'", '"',
}

local function insert_at(text, i, piece)
  return text:sub(1, i - 1) .. piece .. text:sub(i)
end

local EDITS = {
  function(r, t) -- flip one bit
    if #t == 0 then return t end
    local i = r:int(1, #t)
    return t:sub(1, i - 1) .. string.char(t:byte(i) ~ (1 << r:int(0, 7))) .. t:sub(i + 1)
  end,
  function(r, t) -- random bytes in
    return insert_at(t, r:int(1, #t + 1), r:bytes(r:int(1, 4)))
  end,
  function(r, t) -- a range out
    if #t == 0 then return t end
    local i = r:int(1, #t)
    return t:sub(1, i - 1) .. t:sub(i + r:length(#t - i + 1))
  end,
  function(r, t) -- a range repeated (long fields, many lines)
    if #t == 0 then return t end
    local i = r:int(1, #t)
    local piece = t:sub(i, i + r:length(64))
    return insert_at(t, i, piece:rep(r:chance(0.1) and r:int(2, 2000) or r:int(1, 4)))
  end,
  function(r, t, tokens) -- a token in
    return insert_at(t, r:int(1, #t + 1), r:pick(r:chance(0.5) and tokens or M.COMMON_TOKENS))
  end,
  function(r, t, tokens) -- a range replaced by a token
    if #t == 0 then return r:pick(tokens) end
    local i = r:int(1, #t)
    return t:sub(1, i - 1) .. r:pick(r:chance(0.5) and tokens or M.COMMON_TOKENS) .. t:sub(i + r:length(8))
  end,
  function(r, t, _, others) -- splice: the head of this, the tail of another
    local o = others and others[1] and r:pick(others) or t
    if type(o) ~= "string" then return t end
    return t:sub(1, r:int(0, #t)) .. o:sub(r:int(1, #o + 1))
  end,
}

-- text(r, text, tokens, others) -> text after 1 to 8 edits. others: inputs to splice from.
function M.text(r, text, tokens, others)
  local n = r:chance(0.7) and r:int(1, 2) or r:int(3, 8)
  for _ = 1, n do text = r:pick(EDITS)(r, text, tokens or {}, others) end
  return text
end

-- list(r, list, tokens, others) -> a copy of a list of strings (an argv) with some words
-- edited, dropped, repeated, swapped, or new ones from tokens.
function M.list(r, list, tokens, others)
  local out = { table.unpack(list) }
  for _ = 1, r:int(1, 4) do
    local how = r:int(1, 5)
    local i = r:int(1, #out + 1)
    if how == 1 and out[i] then
      out[i] = M.text(r, out[i], tokens, others)
    elseif how == 2 and out[i] then
      table.remove(out, i)
    elseif how == 3 and out[i] then
      table.insert(out, r:int(1, #out + 1), out[i])
    elseif how == 4 and #out >= 2 then
      local j = r:int(1, #out)
      local k = r:int(1, #out)
      out[j], out[k] = out[k], out[j]
    else
      table.insert(out, i, r:pick(tokens and tokens[1] and r:chance(0.7) and tokens or M.COMMON_TOKENS))
    end
  end
  return out
end

return M
