/*
 * landlock.c: Landlock (landlock(7)), which glibc and musl do not wrap. The structures and
 * numbers are the kernel's UAPI (linux/landlock.h), written out here because the C
 * library's headers may be older than the kernel: a field or flag the running kernel does
 * not know is refused by it (EINVAL), which the Lua side avoids by asking the ABI first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

/* The same numbers on every architecture (the syscall tables were unified by then). */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

#define CREATE_RULESET_VERSION (1U << 0)
#define RULE_PATH_BENEATH 1
#define RULE_NET_PORT 2

struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;             /* ABI 6 */
};

/* Packed, as the kernel declares it: a u64 right after an s32. */
struct path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

/* landlock_abi() -> the kernel's Landlock ABI version (1, 2, ...). */
static int core_landlock_abi(lua_State *L)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, CREATE_RULESET_VERSION);

	if (abi == -1)
		return hako_fail(L, errno, "landlock_create_ruleset", "version");
	lua_pushinteger(L, abi);
	return 1;
}

/*
 * landlock_create_ruleset(fs, net, scoped) -> fd (close-on-exec). A zero field is left
 * out of the size given to the kernel when everything after it is zero too, so that a
 * kernel of an older ABI, which knows a shorter structure, takes it.
 */
static int core_landlock_create_ruleset(lua_State *L)
{
	struct ruleset_attr attr = {
		.handled_access_fs = (uint64_t)hako_check_int(L, 1, 0, HAKO_U64_MAX),
		.handled_access_net = (uint64_t)hako_opt_int(L, 2, 0, 0, HAKO_U64_MAX),
		.scoped = (uint64_t)hako_opt_int(L, 3, 0, 0, HAKO_U64_MAX),
	};
	size_t size = sizeof attr;
	long fd;

	if (!attr.scoped) {
		size = offsetof(struct ruleset_attr, scoped);
		if (!attr.handled_access_net)
			size = offsetof(struct ruleset_attr, handled_access_net);
	}
	fd = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd == -1)
		return hako_fail(L, errno, "landlock_create_ruleset", NULL);
	lua_pushinteger(L, fd);
	return 1;
}

/* landlock_add_path_rule(ruleset, dirfd, allowed): allowed beneath the file dirfd is. */
static int core_landlock_add_path_rule(lua_State *L)
{
	int ruleset = hako_check_fd(L, 1);
	struct path_beneath_attr attr = {
		.parent_fd = hako_check_fd(L, 2),
		.allowed_access = (uint64_t)hako_check_int(L, 3, 0, HAKO_U64_MAX),
	};

	return hako_result(L, (int)syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &attr, 0),
		"landlock_add_rule", "path");
}

/* landlock_add_port_rule(ruleset, port, allowed): allowed for that TCP port. */
static int core_landlock_add_port_rule(lua_State *L)
{
	int ruleset = hako_check_fd(L, 1);
	struct net_port_attr attr = {
		.port = (uint64_t)hako_check_int(L, 2, 0, 65535),
		.allowed_access = (uint64_t)hako_check_int(L, 3, 0, HAKO_U64_MAX),
	};

	return hako_result(L, (int)syscall(SYS_landlock_add_rule, ruleset, RULE_NET_PORT, &attr, 0),
		"landlock_add_rule", "port");
}

/* landlock_restrict_self(ruleset): this thread (the only one) joins the new domain. */
static int core_landlock_restrict_self(lua_State *L)
{
	int ruleset = hako_check_fd(L, 1);

	return hako_result(L, (int)syscall(SYS_landlock_restrict_self, ruleset, 0), "landlock_restrict_self",
		NULL);
}

static const luaL_Reg funcs[] = {
	{"landlock_abi", core_landlock_abi},
	{"landlock_create_ruleset", core_landlock_create_ruleset},
	{"landlock_add_path_rule", core_landlock_add_path_rule},
	{"landlock_add_port_rule", core_landlock_add_port_rule},
	{"landlock_restrict_self", core_landlock_restrict_self},
	{NULL, NULL}
};

/* linux/landlock.h; the ABI that brought each in brackets. */
static const struct hako_const consts[] = {
	{"LANDLOCK_ACCESS_FS_EXECUTE", 1 << 0},
	{"LANDLOCK_ACCESS_FS_WRITE_FILE", 1 << 1},
	{"LANDLOCK_ACCESS_FS_READ_FILE", 1 << 2},
	{"LANDLOCK_ACCESS_FS_READ_DIR", 1 << 3},
	{"LANDLOCK_ACCESS_FS_REMOVE_DIR", 1 << 4},
	{"LANDLOCK_ACCESS_FS_REMOVE_FILE", 1 << 5},
	{"LANDLOCK_ACCESS_FS_MAKE_CHAR", 1 << 6},
	{"LANDLOCK_ACCESS_FS_MAKE_DIR", 1 << 7},
	{"LANDLOCK_ACCESS_FS_MAKE_REG", 1 << 8},
	{"LANDLOCK_ACCESS_FS_MAKE_SOCK", 1 << 9},
	{"LANDLOCK_ACCESS_FS_MAKE_FIFO", 1 << 10},
	{"LANDLOCK_ACCESS_FS_MAKE_BLOCK", 1 << 11},
	{"LANDLOCK_ACCESS_FS_MAKE_SYM", 1 << 12},
	{"LANDLOCK_ACCESS_FS_REFER", 1 << 13},     /* 2 */
	{"LANDLOCK_ACCESS_FS_TRUNCATE", 1 << 14},  /* 3 */
	{"LANDLOCK_ACCESS_FS_IOCTL_DEV", 1 << 15}, /* 5 */
	{"LANDLOCK_ACCESS_NET_BIND_TCP", 1 << 0},    /* 4 */
	{"LANDLOCK_ACCESS_NET_CONNECT_TCP", 1 << 1}, /* 4 */
	{"LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET", 1 << 0}, /* 6 */
	{"LANDLOCK_SCOPE_SIGNAL", 1 << 1},               /* 6 */
	{NULL, 0}
};

const struct hako_area hako_landlock = { funcs, consts };
