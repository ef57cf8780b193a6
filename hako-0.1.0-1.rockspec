-- hako for LuaRocks: `luarocks make` in the source tree builds hako.core from c/ and
-- installs it with the Lua modules of lua/hako/ (the commands are the Makefile's: the
-- hako binary embeds them). spec/rockspec_spec.lua keeps the version with version.lua's
-- and checks that the installed library loads in a stock lua5.4.
rockspec_format = "3.0"
package = "hako"
version = "0.1.0-1"
-- No public repository yet: luarocks make builds the tree it is run in.
source = { url = "file://." }
description = {
  summary = "chroot with real isolation, scriptable in Lua",
  detailed = [[
hako makes a directory a sandbox: its command runs with that directory as its root, in
new mount, PID, IPC, UTS and network namespaces, without capabilities, under seccomp and
Landlock rules. require "hako" gives the library hako-run is written with: run, spec,
plan, describe and execute (man 3 hako), and hako.core, one function per kernel call.]],
  license = "BSD-2-Clause",
}
supported_platforms = { "linux" }
-- OCI seccomp profiles (hako.seccomp_oci) need dkjson, loaded only when one is read; the
-- hako binary embeds Debian's. Not a dependency here: luarocks make must work offline.
dependencies = { "lua >= 5.4, < 5.5" }
-- hako.syscalls, the system call numbers the seccomp compiler needs, is generated from
-- the kernel headers at build time (c/gen_syscalls.lua), which luarocks' builtin type
-- cannot do: the Makefile builds and installs the library (make lua-modules,
-- make install-lua), hako.core from its CORE_SRC and every module of lua/hako/.
build = {
  type = "make",
  build_target = "lua-modules",
  build_variables = { CFLAGS = "$(CFLAGS)", LUA = "$(LUA)" },
  install_target = "install-lua",
  install_variables = { PREFIX = "$(PREFIX)", LUA_LMOD = "$(LUADIR)", LUA_CMOD = "$(LIBDIR)" },
}
