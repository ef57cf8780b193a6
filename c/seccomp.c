/* seccomp.c: seccomp: load a BPF filter program that hako.seccomp built as bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

/* <linux/filter.h> and <linux/seccomp.h>, which musl's headers do not carry. */
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC 1
#endif
#define BPF_MAXINSNS 4096

struct hako_sock_filter {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

struct hako_sock_fprog {
	unsigned short len;
	struct hako_sock_filter *filter;
};

/*
 * The AUDIT_ARCH_* value seccomp_data.arch holds for this build's own system
 * calls (<linux/audit.h>); hako's name, the kernel has no single one. It names
 * the family only: hako.seccomp filters every ABI of it, since the kernel may
 * be another ABI's (a 32-bit hako on a 64-bit kernel).
 */
#if defined(__x86_64__) && defined(__ILP32__)
#define AUDIT_ARCH_NATIVE 0xC000003EU /* x32 reports x86_64, with bit 30 in nr */
#elif defined(__x86_64__)
#define AUDIT_ARCH_NATIVE 0xC000003EU
#elif defined(__i386__)
#define AUDIT_ARCH_NATIVE 0x40000003U
#elif defined(__aarch64__) && !defined(__AARCH64EB__) /* big-endian: another arch */
#define AUDIT_ARCH_NATIVE 0xC00000B7U
#elif defined(__arm__) && !defined(__ARMEB__)
#define AUDIT_ARCH_NATIVE 0x40000028U
#elif defined(__riscv) && __riscv_xlen == 64
#define AUDIT_ARCH_NATIVE 0xC00000F3U
#elif defined(__riscv) && __riscv_xlen == 32
#define AUDIT_ARCH_NATIVE 0x400000F3U
#else
#define AUDIT_ARCH_NATIVE 0U /* unknown: hako.seccomp refuses to guess */
#endif

/*
 * seccomp_set_mode_filter(program, flags): program is a string of struct
 * sock_filter in native byte order. The filter stays for the life of the
 * thread and its children; loading it needs no_new_privs or CAP_SYS_ADMIN.
 */
static int core_seccomp_set_mode_filter(lua_State *L)
{
	size_t len;
	const char *bytes = luaL_checklstring(L, 1, &len);
	unsigned int flags = (unsigned int)hako_opt_int(L, 2, 0, 0, HAKO_UINT_MAX);
	struct hako_sock_fprog prog;

	luaL_argcheck(L, len > 0 && len % sizeof *prog.filter == 0 &&
		      len / sizeof *prog.filter <= BPF_MAXINSNS, 1, "not a BPF program");
	/* A userdata is aligned for the struct; a Lua string need not be. */
	prog.filter = lua_newuserdatauv(L, len, 0);
	memcpy(prog.filter, bytes, len);
	prog.len = (unsigned short)(len / sizeof *prog.filter);
	return hako_result(L, (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog),
			   "seccomp", NULL);
}

static const luaL_Reg funcs[] = {
	{"seccomp_set_mode_filter", core_seccomp_set_mode_filter},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(SECCOMP_FILTER_FLAG_TSYNC),
	HAKO_CONST(AUDIT_ARCH_NATIVE),
	HAKO_CONST(SYS_ioctl),
	HAKO_CONST(TIOCSTI),
	HAKO_CONST(TIOCLINUX),
	{NULL, 0}
};

const struct hako_area hako_seccomp = { funcs, consts };
