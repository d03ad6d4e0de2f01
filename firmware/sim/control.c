/* control.c - the control socket's listener, clients and line framing. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim/control.h"
#include "sim/log.h"

void control_init(struct control *c)
{
	c->listen_fd = -1;
	c->path = NULL;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
}

bool control_open(struct control *c, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;

	control_init(c);
	if (strlen(path) >= sizeof(addr.sun_path)) {
		sim_log(LOG_ERROR, "control socket path too long: %s", path);
		return false;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);  /* length checked above */
	/* A socket left by a killed run is stale; anything else is someone's file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			sim_log(LOG_ERROR, "%s exists and is not a socket", path);
			return false;
		}
		unlink(path);
	}
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 ||
	    bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(c->listen_fd, 8) < 0) {
		sim_log(LOG_ERROR, "control socket %s: %s", path, strerror(errno));
		if (c->listen_fd >= 0)
			close(c->listen_fd);
		c->listen_fd = -1;
		return false;
	}
	c->path = strdup(path);
	if (!c->path) {
		sim_log(LOG_ERROR, "out of memory");
		control_close(c);
		unlink(path);
		return false;
	}
	return true;
}

static void client_close(struct control_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
}

void control_close(struct control *c)
{
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++)
		client_close(&c->clients[i]);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	c->listen_fd = -1;
	if (c->path)
		unlink(c->path);
	free(c->path);
	c->path = NULL;
}

void control_fill(const struct control *c, struct pollfd *pfd)
{
	pfd[0].fd = c->listen_fd;
	pfd[0].events = POLLIN;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		pfd[1 + i].fd = c->clients[i].fd;
		pfd[1 + i].events = POLLIN;
	}
}

static void reply(struct control_client *cl, const char *text)
{
	size_t n = strlen(text);
	char buf[CONTROL_LINE_MAX + 2];

	if (n > CONTROL_LINE_MAX)
		n = CONTROL_LINE_MAX;
	memcpy(buf, text, n);
	buf[n++] = '\n';
	/* One short line fits any socket buffer; a client that has gone is its problem. */
	if (send(cl->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		sim_log(LOG_EVENT, "control client: %s", strerror(errno));
}

static void run_line(struct control_client *cl, char *line, control_handler handler, void *ctx)
{
	size_t n = strlen(line);

	/* Tolerate CRLF and stray blanks from hand-typed or scripted clients. */
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0')
		return;
	sim_log(LOG_EVENT, "control: %s", line);
	reply(cl, handler(ctx, line));
}

/* Runs every complete line in the client's buffer; at eof also the last,
 * unterminated one (`printf status | socat ...`). */
static void run_lines(struct control_client *cl, bool eof, control_handler handler, void *ctx)
{
	size_t start = 0;

	for (size_t i = 0; i < cl->len; i++) {
		if (cl->line[i] != '\n')
			continue;
		cl->line[i] = '\0';
		run_line(cl, cl->line + start, handler, ctx);
		start = i + 1;
	}
	memmove(cl->line, cl->line + start, cl->len - start);
	cl->len -= start;
	if (eof && cl->len > 0) {
		cl->line[cl->len] = '\0';
		run_line(cl, cl->line, handler, ctx);
		cl->len = 0;
	}
}

static void client_read(struct control_client *cl, control_handler handler, void *ctx)
{
	/* One byte kept for the terminator of an unterminated last line. */
	ssize_t r = recv(cl->fd, cl->line + cl->len, sizeof(cl->line) - 1 - cl->len, 0);

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r > 0) {
		cl->len += (size_t)r;
		run_lines(cl, false, handler, ctx);
		if (cl->len == sizeof(cl->line) - 1) {
			reply(cl, "error line too long");
			client_close(cl);
		}
		return;
	}
	/* EOF (or error): answer what is left, then hang up. socat half-closes
	 * after sending and still reads the reply. */
	run_lines(cl, true, handler, ctx);
	client_close(cl);
	sim_log(LOG_EVENT, "control client closed");
}

static void accept_client(struct control *c)
{
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd < 0) {
			c->clients[i].fd = fd;
			c->clients[i].len = 0;
			sim_log(LOG_EVENT, "control client connected");
			return;
		}
	}
	sim_log(LOG_ERROR, "too many control clients; refusing one");
	close(fd);
}

void control_ready(struct control *c, const struct pollfd *pfd, control_handler handler, void *ctx)
{
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd >= 0 && pfd[1 + i].fd == c->clients[i].fd &&
		    (pfd[1 + i].revents & (POLLIN | POLLHUP | POLLERR)))
			client_read(&c->clients[i], handler, ctx);
	}
	if (c->listen_fd >= 0 && (pfd[0].revents & POLLIN))
		accept_client(c);
}
