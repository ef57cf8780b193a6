/*
 * unix.c: unix-domain sockets: datagrams to a sockaddr_un (sd_notify's protocol), and
 * socket pairs that carry file descriptors (SCM_RIGHTS).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

/* socketpair(type) -> fd, fd: a connected pair of AF_UNIX sockets of type (with flags). */
static int core_socketpair(lua_State *L)
{
	int type = (int)hako_check_int(L, 1, 0, HAKO_INT_MAX);
	int fds[2];

	if (socketpair(AF_UNIX, type, 0, fds) == -1)
		return hako_fail(L, errno, "socketpair", NULL);
	lua_pushinteger(L, fds[0]);
	lua_pushinteger(L, fds[1]);
	return 2;
}

/* send_fd(socket, fd) -> true: one byte and, in its control message, a copy of fd. */
static int core_send_fd(lua_State *L)
{
	int sock = hako_check_fd(L, 1);
	int fd = hako_check_fd(L, 2);
	char byte = 'f';
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } control;
	struct msghdr msg;
	struct cmsghdr *c;

	memset(&msg, 0, sizeof msg);
	memset(&control, 0, sizeof control);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof control.buf;
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) == -1)
		return hako_fail(L, errno, "sendmsg", NULL);
	lua_pushboolean(L, 1);
	return 1;
}

/*
 * recv_fd(socket) -> fd (close-on-exec) sent by send_fd; false at end of file. A message
 * that carries no fd, or more than one, is an error (EBADMSG): any fd it did carry is
 * closed, never left in this process.
 */
static int core_recv_fd(lua_State *L)
{
	int sock = hako_check_fd(L, 1);
	char byte;
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(2 * sizeof(int))]; } control;
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t got;
	int fd = -1, extra = 0;

	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof control.buf;
	got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (got == -1)
		return hako_fail(L, errno, "recvmsg", NULL);
	if (got == 0) {
		lua_pushboolean(L, 0);
		return 1;
	}
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t n, i;
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int one;
			memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof one);
			if (fd == -1) {
				fd = one;
			} else {
				close(one);
				extra = 1;
			}
		}
	}
	if (fd == -1 || extra || (msg.msg_flags & MSG_CTRUNC)) {
		if (fd != -1)
			close(fd);
		return hako_fail(L, EBADMSG, "recvmsg", NULL);
	}
	lua_pushinteger(L, fd);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"sendto_unix", core_sendto_unix},
	{"socketpair", core_socketpair},
	{"send_fd", core_send_fd},
	{"recv_fd", core_recv_fd},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(AF_UNIX),
	HAKO_CONST(SOCK_SEQPACKET),
	{NULL, 0}
};

const struct hako_area hako_unix = { funcs, consts };
