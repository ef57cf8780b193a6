/* core.c: the hako.core module entry: shared helpers, and the gathering of every kernel area. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include "core.h"

int hako_fail(lua_State *L, int err, const char *call, const char *path)
{
	lua_pushnil(L);
	if (path)
		lua_pushfstring(L, "%s %s: %s", call, path, strerror(err));
	else
		lua_pushfstring(L, "%s: %s", call, strerror(err));
	lua_pushinteger(L, err);
	return 3;
}

int hako_result(lua_State *L, int rc, const char *call, const char *path)
{
	if (rc == -1)
		return hako_fail(L, errno, call, path);
	lua_pushboolean(L, 1);
	return 1;
}

lua_Integer hako_check_int(lua_State *L, int arg, lua_Integer min, lua_Integer max)
{
	lua_Integer v = luaL_checkinteger(L, arg);

	if (v < min || v > max)
		luaL_argerror(L, arg, lua_pushfstring(L, "%I out of range [%I, %I]", v, min, max));
	return v;
}

lua_Integer hako_opt_int(lua_State *L, int arg, lua_Integer def, lua_Integer min, lua_Integer max)
{
	return lua_isnoneornil(L, arg) ? def : hako_check_int(L, arg, min, max);
}

int hako_check_fd(lua_State *L, int arg)
{
	return (int)hako_check_int(L, arg, 0, HAKO_INT_MAX);
}

int hako_check_dirfd(lua_State *L, int arg)
{
	if (luaL_checkinteger(L, arg) == AT_FDCWD)
		return AT_FDCWD;
	return hako_check_fd(L, arg);
}

/* NSIG is one more than the last signal in glibc and musl alike. */
int hako_check_signal(lua_State *L, int arg)
{
	return (int)hako_check_int(L, arg, 0, NSIG - 1);
}

const char *hako_check_cstring(lua_State *L, int arg)
{
	size_t len;
	const char *s = luaL_checklstring(L, arg, &len);

	if (strlen(s) != len)
		luaL_argerror(L, arg, "string contains a NUL byte");
	return s;
}

const char *hako_opt_cstring(lua_State *L, int arg)
{
	return lua_isnoneornil(L, arg) ? NULL : hako_check_cstring(L, arg);
}

char **hako_check_strings(lua_State *L, int arg)
{
	lua_Integer i, n;
	char **v;

	luaL_checktype(L, arg, LUA_TTABLE);
	n = (lua_Integer)lua_rawlen(L, arg);
	if (n < 0 || n > 1 << 20)
		luaL_argerror(L, arg, "too many strings");
	/* A userdata, so the array is freed by the GC even if a later check raises. */
	v = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *v, 0);
	for (i = 1; i <= n; i++) {
		if (lua_rawgeti(L, arg, i) != LUA_TSTRING)
			luaL_argerror(L, arg, "array of strings expected");
		/* The string stays alive: the table that holds it is an argument. */
		v[i - 1] = (char *)lua_tostring(L, -1);
		if (strlen(v[i - 1]) != lua_rawlen(L, -1))
			luaL_argerror(L, arg, "string contains a NUL byte");
		lua_pop(L, 1);
	}
	v[n] = NULL;
	return v;
}

/*
 * Every error number hako.core exports, for Lua to compare a failure's errno with, in
 * errno order. One table rather than one per area: the same errno comes from calls of
 * many areas (EINVAL from most), and here each name is listed, and set, just once.
 */
static const struct hako_const errnos[] = {
	HAKO_CONST(EPERM),
	HAKO_CONST(ENOENT),
	HAKO_CONST(ESRCH),
	HAKO_CONST(EINTR),
	HAKO_CONST(ENOEXEC),
	HAKO_CONST(EAGAIN),
	HAKO_CONST(EACCES),
	HAKO_CONST(EEXIST),
	HAKO_CONST(ENOTDIR),
	HAKO_CONST(EINVAL),
	HAKO_CONST(ENOSPC),
	HAKO_CONST(EROFS),
	HAKO_CONST(EBUSY),
	HAKO_CONST(EFBIG),
	HAKO_CONST(ENOSYS),
	HAKO_CONST(ELOOP),
	HAKO_CONST(EBADMSG),
	HAKO_CONST(EOVERFLOW),
	{NULL, 0}
};
static const struct hako_area errno_area = { NULL, errnos };

static const struct hako_area *const areas[] = {
	&hako_process, &hako_signal, &hako_namespace, &hako_mount, &hako_file, &hako_dir,
	&hako_cred, &hako_fd, &hako_net, &hako_seccomp, &hako_keys, &hako_job, &hako_landlock,
	&hako_limits, &hako_unix, &errno_area,
	NULL
};

static int count_funcs(const luaL_Reg *funcs)
{
	int n = 0;

	for (; funcs && funcs->name; funcs++)
		n++;
	return n;
}

static int count_consts(const struct hako_const *consts)
{
	int n = 0;

	for (; consts && consts->name; consts++)
		n++;
	return n;
}

/*
 * The module's fields, counted from the lists rather than kept by hand: a hand-kept number
 * falls behind as areas grow. A name in two lists would be counted twice, which only
 * makes the table a slot larger than needed.
 */
static int count_fields(void)
{
	const struct hako_area *const *area;
	int n = 0;

	for (area = areas; *area; area++)
		n += count_funcs((*area)->funcs) + count_consts((*area)->consts);
	return n;
}

static void set_consts(lua_State *L, const struct hako_const *consts)
{
	for (; consts && consts->name; consts++) {
		lua_pushinteger(L, consts->value);
		lua_setfield(L, -2, consts->name);
	}
}

int luaopen_hako_core(lua_State *L)
{
	const struct hako_area *const *area;

	/* Sized for every function and constant at once: no rehash while they are added. */
	lua_createtable(L, 0, count_fields());
	for (area = areas; *area; area++) {
		if ((*area)->funcs)
			luaL_setfuncs(L, (*area)->funcs, 0);
		set_consts(L, (*area)->consts);
	}
	return 1;
}
