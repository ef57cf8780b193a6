/* unix.c: unix-domain datagrams (sendto(2) to a sockaddr_un), for sd_notify's protocol. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core.h"

/*
 * sendto_unix(fd, data, address) -> bytes sent. address is sun_path's bytes as given: a
 * path, or an abstract name with its leading NUL ("\0name"), whose length is exactly that
 * of the string (an abstract name is not NUL-terminated).
 */
static int core_sendto_unix(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	size_t size, len;
	const char *data = luaL_checklstring(L, 2, &size);
	const char *address = luaL_checklstring(L, 3, &len);
	struct sockaddr_un a;
	int abstract = len > 0 && address[0] == '\0';
	ssize_t sent;

	/* A path needs room for its NUL; neither kind may be empty. */
	luaL_argcheck(L, len > (size_t)abstract && len + !abstract <= sizeof a.sun_path, 3,
		      "bad unix socket address");
	luaL_argcheck(L, abstract || !memchr(address, '\0', len), 3, "path contains a NUL byte");
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, address, len);
	sent = sendto(fd, data, size, MSG_NOSIGNAL, (struct sockaddr *)&a,
		      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + !abstract));
	if (sent == -1)
		return hako_fail(L, errno, "sendto", abstract ? NULL : address);
	lua_pushinteger(L, (lua_Integer)sent);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"sendto_unix", core_sendto_unix},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(AF_UNIX),
	{NULL, 0}
};

const struct hako_area hako_unix = { funcs, consts };
