-- luacheck (Debian's lua-check) over lua/, bin/ and spec/: make check runs it.
std = "lua54"
max_line_length = 120
-- The commands are Lua scripts without the .lua suffix.
files["bin/hako"] = {}
-- luaunit finds test classes as globals named Test*
-- (and a test method need not use self).
files["spec/"] = { allow_defined_top = true, self = false }
