-- support/docs.lua: the man page and the README name every option the code has.

local lu = require "luaunit"

local M = {}

function M.read(path)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  return text
end

-- assert_documented(defs, man_page, readme_text): every --long option in both.
function M.assert_documented(defs, man_page, readme_text)
  local man = M.read(man_page)
  for _, def in ipairs(defs) do
    local long = "--" .. def.long
    lu.assertStrContains(man, (long:gsub("%-", "\\-")), false, man_page .. " lacks " .. long)
    lu.assertStrContains(readme_text, long, false, "README lacks " .. long)
  end
end

return M
