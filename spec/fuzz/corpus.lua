-- spec/fuzz/corpus.lua: the real inputs the fuzzer starts from (spec/fuzz/corpus/NAME/*).
--
-- Each file is one input, read whole. Files are taken in name order, so that input
-- number i of a run is the same on every machine. An input that once broke a parser is
-- kept here as well as in a test of spec/fuzz_spec.lua: the fuzzer then mutates it too.

local core = require "hako.core"

local M = {}

M.DIR = "spec/fuzz/corpus"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

-- texts(name) -> the files of corpus/NAME, as strings, in name order ({} if none).
function M.texts(name)
  local names = core.readdir(M.DIR .. "/" .. name) or {}
  table.sort(names)
  local list = {}
  for i, file in ipairs(names) do list[i] = read(M.DIR .. "/" .. name .. "/" .. file) end
  return list
end

-- text(name, file) -> one file of corpus/NAME.
function M.text(name, file)
  return read(M.DIR .. "/" .. name .. "/" .. file)
end

return M
