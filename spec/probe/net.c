/*
 * net.c: the probe's "net WHAT ARG" attacks, on what Landlock and the socket filter close
 * (doc/THREATS.md 31, 32):
 *   connect PORT    a TCP connection to 127.0.0.1:PORT
 *   bind PORT       a TCP socket bound to 127.0.0.1:PORT
 *   udp PORT        a UDP datagram to 127.0.0.1:PORT
 *   fastopen PORT   a TCP Fast Open connect: sendto(MSG_FASTOPEN) to 127.0.0.1:PORT
 *   uring           io_uring_setup(2): a ring, whose operations no seccomp filter sees
 *   abstract NAME   a connection to the abstract unix socket @NAME
 *   kill PID        signal 0 to PID (a process outside the sandbox)
 *   notify TEXT     TEXT in one datagram to $NOTIFY_SOCKET, as sd_notify(3) sends it
 *                   (a service that speaks the protocol itself: --notify sandbox)
 * Prints "ESCAPED" when the call worked, else "BLOCKED: <errno name>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int said(int rc)
{
	const char *name = strerror(errno);

	switch (errno) {
	case EPERM: name = "EPERM"; break;
	case EACCES: name = "EACCES"; break;
	case ECONNREFUSED: name = "ECONNREFUSED"; break;
	case ESRCH: name = "ESRCH"; break;
	}
	if (rc == -1)
		printf("BLOCKED: %s\n", name);
	else
		printf("ESCAPED\n");
	return 0;
}

static struct sockaddr_in loopback(const char *port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)atoi(port));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A TCP (stream) or UDP socket, connected, bound or sent from. */
static int inet(int type, const char *how, const char *port)
{
	struct sockaddr_in a = loopback(port);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return said(-1);
	if (!strcmp(how, "bind"))
		return said(bind(fd, (struct sockaddr *)&a, sizeof a));
	if (type == SOCK_DGRAM)
		return said((int)sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
	if (!strcmp(how, "fastopen"))
		return said((int)sendto(fd, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof a));
	return said(connect(fd, (struct sockaddr *)&a, sizeof a));
}

static int abstract(const char *name)
{
	struct sockaddr_un a;
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1 || n + 1 > sizeof a.sun_path)
		return said(-1);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, name, n); /* sun_path[0] == 0: the abstract namespace */
	return said(connect(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)));
}

/* sd_notify's way: a new datagram socket, one sendto() to the path or @abstract name. */
static int notify(const char *text)
{
	const char *where = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a;
	size_t n = where ? strlen(where) : 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd == -1 || n == 0 || n >= sizeof a.sun_path) {
		errno = fd == -1 ? errno : EINVAL;
		return said(-1);
	}
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, where, n);
	if (where[0] == '@')
		a.sun_path[0] = 0;
	return said((int)sendto(fd, text, strlen(text), 0, (struct sockaddr *)&a,
				(socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (where[0] != '@'))));
}

int try_net(char **argv)
{
	if (!strcmp(argv[0], "connect") || !strcmp(argv[0], "bind"))
		return inet(SOCK_STREAM, argv[0], argv[1]);
	if (!strcmp(argv[0], "udp"))
		return inet(SOCK_DGRAM, "send", argv[1]);
	if (!strcmp(argv[0], "fastopen"))
		return inet(SOCK_STREAM, "fastopen", argv[1]);
	if (!strcmp(argv[0], "uring")) {
		char params[120]; /* struct io_uring_params: zeroed asks for nothing special */

		memset(params, 0, sizeof params);
		return said((int)syscall(425, 4, params));
	}
	if (!strcmp(argv[0], "abstract"))
		return abstract(argv[1]);
	if (!strcmp(argv[0], "kill"))
		return said(kill(atoi(argv[1]), 0));
	if (!strcmp(argv[0], "notify"))
		return notify(argv[1]);
	fprintf(stderr, "probe net: connect|bind|udp PORT, abstract NAME, kill PID, notify TEXT\n");
	return 2;
}
