-- hako.paths: path arithmetic on strings. Pure.

local M = {}

-- absolute(path, cwd) -> path if it is absolute, else cwd/path
function M.absolute(path, cwd)
  if path:sub(1, 1) == "/" then return path end
  return (cwd:gsub("/$", "")) .. "/" .. path
end

return M
