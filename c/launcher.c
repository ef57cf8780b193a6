/*
 * launcher.c: the hako binary. A Lua interpreter with hako.core preloaded and every
 * hako Lua module and command compiled in as bytecode, so that it reads no Lua file
 * at run time (it keeps working after pivot_root has hidden the host). Multi-call:
 * run as hako-run, hako-enter or hako-seccomp it is that command; run as hako it runs
 * recipes.
 */
#define _GNU_SOURCE /* madvise, in musl's headers */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "core.h"
#include "embedded.h"

/*
 * The standard libraries hako's own code uses are opened at start (math too: tointeger
 * and type are everyday tools); the others wait in package.preload (see linit.c), and
 * the hako command opens them before it runs a recipe. They were a sixth of what
 * luaL_openlibs costs (callgrind), paid by every hako-run for nothing.
 */
static const luaL_Reg eager_libs[] = {
	{LUA_GNAME, luaopen_base},
	{LUA_LOADLIBNAME, luaopen_package},
	{LUA_STRLIBNAME, luaopen_string},
	{LUA_TABLIBNAME, luaopen_table},
	{LUA_IOLIBNAME, luaopen_io},
	{LUA_OSLIBNAME, luaopen_os},
	{LUA_MATHLIBNAME, luaopen_math},
	{NULL, NULL}
};
static const luaL_Reg preloaded_libs[] = {
	{LUA_COLIBNAME, luaopen_coroutine},
	{LUA_DBLIBNAME, luaopen_debug},
	{LUA_UTF8LIBNAME, luaopen_utf8},
	{"hako.core", luaopen_hako_core},
	{NULL, NULL}
};

static void open_libs(lua_State *L)
{
	const luaL_Reg *lib;

	for (lib = eager_libs; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	luaL_setfuncs(L, preloaded_libs, 0);
	lua_pop(L, 1);
}

/*
 * Lua's allocator. Start-up makes thousands of small blocks and frees few of them: they
 * are cut from one arena by moving a pointer. musl's malloc made 39 mmap calls for
 * them, and took a fifth of hako-run's start (hyperfine, static build); glibc's costs
 * a sixth of the instructions. A freed arena block is not reused, but for the last one;
 * once the arena is full, blocks come from malloc as before. make sanitize builds with
 * -DARENA_SIZE=0: every block from malloc, where AddressSanitizer sees its bounds.
 * 1 MiB: hako-run's start allocates about 600 KiB in all, and at 256 KiB the rest came
 * from musl's malloc, whose mmap and munmap calls cost 40 of hako-run's 318 page faults
 * and a twelfth of its instructions (perf, callgrind). Pages never touched cost nothing.
 *
 * The arena's pages are made ready ARENA_CHUNK at a time, by one madvise(
 * MADV_POPULATE_WRITE) as the arena reaches them, not by a page fault each: on this
 * project's VMs a fault costs several microseconds of hypervisor work, and hako-run took
 * about 150 of them for its heap. 16 KiB chunks: hako-run's faults 276 -> 125, its time
 * down a fifth (hyperfine); larger chunks fill pages that the clone then shares
 * copy-on-write for nothing. A kernel without MADV_POPULATE_WRITE (before 5.14) says
 * EINVAL once, and the pages fault in one by one as before.
 */
#ifndef ARENA_SIZE
#define ARENA_SIZE (1024 * 1024)
#endif
#define ARENA_CHUNK (16 * 1024)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define ARENA_ALIGN 16
#define ROUND(n) (((n) + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN)

struct arena {
	char *base;
	size_t used, size;
	size_t ready; /* populated up to here */
};

/* Populate up to the chunk that holds the arena's end (see above). */
static void arena_populate(struct arena *a)
{
	size_t end = (a->used + ARENA_CHUNK - 1) / ARENA_CHUNK * ARENA_CHUNK;

	if (end > a->size)
		end = a->size;
	if (madvise(a->base + a->ready, end - a->ready, MADV_POPULATE_WRITE) == 0)
		a->ready = end;
	else
		a->ready = a->size; /* not on this kernel: let the pages fault in */
}

static int in_arena(const struct arena *a, const char *p)
{
	uintptr_t at = (uintptr_t)p, base = (uintptr_t)a->base;

	return a->size && at >= base && at - base < a->size;
}

/* See lua_Alloc in the manual: for a block it made, Lua passes its size as osize. */
static void *lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct arena *a = ud;
	char *p = ptr, *block;
	size_t old, need;
	int last;

	if (p && !in_arena(a, p)) {
		if (nsize == 0) {
			free(p);
			return NULL;
		}
		return realloc(p, nsize);
	}
	/* p is NULL (then osize is a type, not a size) or an arena block of osize bytes. */
	old = p ? ROUND(osize) : 0;
	last = p && p + old == a->base + a->used;
	if (nsize == 0) {
		if (last)
			a->used -= old;
		return NULL;
	}
	if (p && nsize <= osize)
		return p;
	need = nsize <= a->size ? ROUND(nsize) : 0;
	/* Here need >= old: nsize > osize. */
	if (last && need && need - old <= a->size - a->used) {
		a->used += need - old;
		if (a->used > a->ready)
			arena_populate(a);
		return p;
	}
	if (need && need <= a->size - a->used) {
		block = a->base + a->used;
		a->used += need;
		if (a->used > a->ready)
			arena_populate(a);
	} else if (!(block = malloc(nsize))) {
		return NULL;
	}
	if (p)
		memcpy(block, p, osize);
	return block;
}

static const struct hako_blob *find_blob(const struct hako_blob *list, const char *name)
{
	for (; list->name; list++)
		if (strcmp(list->name, name) == 0)
			return list;
	return NULL;
}

/* A package.searchers entry that serves the embedded modules. */
static int embedded_searcher(lua_State *L)
{
	const char *name = luaL_checkstring(L, 1);
	const struct hako_blob *b = find_blob(hako_modules, name);

	if (!b) {
		lua_pushfstring(L, "no module '%s' built into hako", name);
		return 1;
	}
	if (luaL_loadbufferx(L, (const char *)b->data, b->size, name, "b") != LUA_OK)
		return lua_error(L);
	lua_pushliteral(L, ":embedded:");
	return 2;
}

/*
 * require looks in package.preload (hako.core is there), then in the embedded modules.
 * A shipped command looks nowhere else, so nothing on disk (LUA_PATH, the current
 * directory, the sandbox) can stand in for hako's code; a recipe may also load its own.
 */
static void set_searchers(lua_State *L, int shipped)
{
	int n, i;

	lua_getglobal(L, "package");
	lua_getfield(L, -1, "searchers");
	n = shipped ? 1 : (int)lua_rawlen(L, -1);
	for (i = n; i >= 2; i--) {
		lua_rawgeti(L, -1, i);
		lua_rawseti(L, -2, i + 1);
	}
	lua_pushcfunction(L, embedded_searcher);
	lua_rawseti(L, -2, 2);
	if (shipped) {
		for (i = (int)lua_rawlen(L, -1); i > 2; i--) {
			lua_pushnil(L);
			lua_rawseti(L, -2, i);
		}
		lua_pushliteral(L, "");
		lua_setfield(L, -3, "path");
		lua_pushliteral(L, "");
		lua_setfield(L, -3, "cpath");
	}
	lua_pop(L, 2);
}

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
	return 1;
}

/* Run the command script with arg = {[0] = argv[0], argv[1], ...}, as lua(1) does. */
static int run_command(lua_State *L, const struct hako_blob *script, int argc, char **argv)
{
	int i;

	/* Only LUA_MINSTACK (20) slots are there unless asked for: the arguments go on it. */
	if (!lua_checkstack(L, argc + 2)) {
		lua_pushliteral(L, "too many arguments");
		return LUA_ERRMEM;
	}
	lua_createtable(L, argc, 1);
	for (i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i);
	}
	lua_setglobal(L, "arg");
	lua_pushcfunction(L, traceback);
	if (luaL_loadbufferx(L, (const char *)script->data, script->size, script->name, "b") != LUA_OK)
		return LUA_ERRSYNTAX;
	for (i = 1; i < argc; i++)
		lua_pushstring(L, argv[i]);
	return lua_pcall(L, argc - 1, 0, -(argc + 1));
}

int main(int argc, char **argv)
{
	const char *self, *slash;
	const char *command = "hako";
	const struct hako_blob *script;
	struct arena arena;
	lua_State *L;
	int shipped;

	/*
	 * execve(2) allows argv = {NULL}: with argc 0, run_command would hand lua_pcall
	 * -1 arguments and the script itself as the message handler (Linux 5.18 on
	 * passes {""} instead). An empty name names no command either. Neither comes
	 * from a shell; refuse both.
	 */
	if (argc < 1 || !argv[0] || !argv[0][0]) {
		fputs("hako: no program name (empty argv)\n", stderr);
		return 125;
	}
	self = argv[0];
	slash = strrchr(self, '/');
	if (slash)
		self = slash + 1;
	if (strcmp(self, "hako-run") == 0 || strcmp(self, "hako-enter") == 0 ||
	    strcmp(self, "hako-seccomp") == 0)
		command = self;
	shipped = strcmp(command, "hako") != 0;
	script = find_blob(hako_commands, command);
	/* Page-aligned, for madvise. */
	arena.base = ARENA_SIZE ? mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
				: MAP_FAILED;
	if (arena.base == MAP_FAILED)
		arena.base = NULL;
	arena.size = arena.base ? ARENA_SIZE : 0;
	arena.used = arena.ready = 0;
	/* lauxlib's state (its panic and warn handlers), then blocks from the arena: the
	 * few made before are outside it, so they go back to free(), as lauxlib's would. */
	L = luaL_newstate();
	if (L)
		lua_setallocf(L, lua_alloc, &arena);
	if (!script || !L) {
		fprintf(stderr, "%s: %s\n", self, L ? "not built into this binary" : "out of memory");
		return 125;
	}
	/* LUA_PATH and LUA_CPATH are for recipes only; LUA_INIT is never run. */
	if (shipped) {
		lua_pushboolean(L, 1);
		lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
	}
	open_libs(L);
	set_searchers(L, shipped);
	if (run_command(L, script, argc, argv) != LUA_OK) {
		fprintf(stderr, "%s: internal error: %s\n", self, lua_tostring(L, -1));
		return 125;
	}
	return 0;
}
