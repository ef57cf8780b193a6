/* core.h: conventions shared by the files of the hako.core C module. */
#ifndef HAKO_CORE_H
#define HAKO_CORE_H

#include <limits.h>

#include <lua.h>
#include <lauxlib.h>

/* A constant exported to Lua under its kernel name. */
struct hako_const {
	const char *name;
	lua_Integer value;
};
#define HAKO_CONST(c) { #c, (lua_Integer)(c) }

/*
 * Push nil, "<call>[ <path>]: <strerror(err)>", err and return 3 (the io/os
 * library convention). err must be saved before any Lua call can clobber it.
 */
int hako_fail(lua_State *L, int err, const char *call, const char *path);

/* Return the result of a call that yields 0 or -1 with errno. */
int hako_result(lua_State *L, int rc, const char *call, const char *path);

/*
 * Integer arguments, checked before a C type narrows them: a Lua integer has 64 bits,
 * and (int)2^32 would be 0, a different fd, pid or flag set. A value outside [min, max]
 * (or not an integer) raises a Lua argument error naming it. hako_opt_int gives def
 * for nil or none.
 */
lua_Integer hako_check_int(lua_State *L, int arg, lua_Integer min, lua_Integer max);
lua_Integer hako_opt_int(lua_State *L, int arg, lua_Integer def, lua_Integer min, lua_Integer max);
/* An fd (0 to INT_MAX); a dirfd is an fd or AT_FDCWD. */
int hako_check_fd(lua_State *L, int arg);
int hako_check_dirfd(lua_State *L, int arg);
/* A signal number, 0 (none: only asks) to the last real-time signal. */
int hako_check_signal(lua_State *L, int arg);

/* Bounds of the C types, for those checks. */
#define HAKO_INT_MIN ((lua_Integer)INT_MIN)
#define HAKO_INT_MAX ((lua_Integer)INT_MAX)
#define HAKO_UINT_MAX ((lua_Integer)UINT_MAX)
/* unsigned long and uint64_t fields take any non-negative Lua integer that fits. */
#define HAKO_ULONG_MAX (ULONG_MAX > (unsigned long)LUA_MAXINTEGER ? LUA_MAXINTEGER : (lua_Integer)ULONG_MAX)
#define HAKO_U64_MAX LUA_MAXINTEGER
/* Permission bits (with setuid, setgid, sticky); with the file type, for mknod. */
#define HAKO_MODE_MAX 07777
#define HAKO_FILE_MODE_MAX 0177777

/*
 * A string the kernel reads up to its first NUL: a path, a name, mount options. One with
 * a NUL byte inside would reach the kernel cut short ("/etc/passwd\0.bak" would open
 * /etc/passwd): it raises a Lua argument error instead. hako_opt_cstring gives NULL for
 * nil or none.
 */
const char *hako_check_cstring(lua_State *L, int arg);
const char *hako_opt_cstring(lua_State *L, int arg);

/* A Lua string array (table {"a", "b"}) as a NULL-terminated C array in a Lua userdata. */
char **hako_check_strings(lua_State *L, int arg);

/* A Lua array of signal numbers as a sigset_t (needs <signal.h>); an argument error if not. */
#ifdef SIG_BLOCK
void hako_check_sigset(lua_State *L, int arg, sigset_t *set);
#endif

/*
 * One per kernel area: its functions and constants, each list ended by a NULL name
 * (either may be NULL). luaopen_hako_core adds them all to the module table. Error
 * numbers are in no area: core.c has the one table of them (an errno is the same
 * whichever call returned it).
 */
struct hako_area {
	const luaL_Reg *funcs;
	const struct hako_const *consts;
};
extern const struct hako_area hako_process, hako_signal, hako_namespace, hako_mount,
	hako_file, hako_dir, hako_cred, hako_fd, hako_net, hako_seccomp, hako_keys, hako_job,
	hako_landlock, hako_limits, hako_unix;

int luaopen_hako_core(lua_State *L);

#endif
