/* net.c: network namespaces: sockets and interface flags (to bring loopback up), ns types. */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "core.h"

/* From <linux/nsfs.h>, which older libcs' headers lack. */
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE 0xb703
#endif

/* socket(domain, type, protocol) -> fd */
static int core_socket(lua_State *L)
{
	int domain = (int)hako_check_int(L, 1, 0, HAKO_INT_MAX);
	int type = (int)hako_check_int(L, 2, 0, HAKO_INT_MAX);
	int fd = socket(domain, type, (int)hako_opt_int(L, 3, 0, 0, HAKO_INT_MAX));

	if (fd == -1)
		return hako_fail(L, errno, "socket", NULL);
	lua_pushinteger(L, fd);
	return 1;
}

static void check_ifname(lua_State *L, int arg, struct ifreq *ifr)
{
	size_t len;
	const char *name = luaL_checklstring(L, arg, &len);

	luaL_argcheck(L, len > 0 && len < IFNAMSIZ && strlen(name) == len, arg, "bad interface name");
	memset(ifr, 0, sizeof *ifr);
	memcpy(ifr->ifr_name, name, len);
}

/* ioctl(fd, SIOCGIFFLAGS) for interface name -> flags */
static int core_get_ifflags(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	struct ifreq ifr;

	check_ifname(L, 2, &ifr);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == -1)
		return hako_fail(L, errno, "SIOCGIFFLAGS", ifr.ifr_name);
	lua_pushinteger(L, (unsigned short)ifr.ifr_flags);
	return 1;
}

/* ioctl(fd, SIOCSIFFLAGS) for interface name, flags */
static int core_set_ifflags(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	struct ifreq ifr;

	check_ifname(L, 2, &ifr);
	/* As get_ifflags gives them: the 16 bits of the (short) field. */
	ifr.ifr_flags = (short)(unsigned short)hako_check_int(L, 3, 0, USHRT_MAX);
	return hako_result(L, ioctl(fd, SIOCSIFFLAGS, &ifr), "SIOCSIFFLAGS", ifr.ifr_name);
}

/* ioctl(fd, NS_GET_NSTYPE) -> the CLONE_NEW* flag of the namespace file fd */
static int core_ns_get_nstype(lua_State *L)
{
	int type = ioctl(hako_check_fd(L, 1), NS_GET_NSTYPE);

	if (type == -1)
		return hako_fail(L, errno, "NS_GET_NSTYPE", NULL);
	lua_pushinteger(L, type);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"socket", core_socket},
	{"get_ifflags", core_get_ifflags},
	{"set_ifflags", core_set_ifflags},
	{"ns_get_nstype", core_ns_get_nstype},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(AF_INET),
	HAKO_CONST(SOCK_DGRAM),
	HAKO_CONST(SOCK_CLOEXEC),
	HAKO_CONST(IFF_UP),
	{NULL, 0}
};

const struct hako_area hako_net = { funcs, consts };
