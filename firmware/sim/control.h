/* control.h - the control socket: a Unix stream socket speaking one command
 * per line and answering one line per command. This file moves lines; what
 * the commands mean is up to the handler the loop passes in. */
#ifndef SANTECARD_SIM_CONTROL_H
#define SANTECARD_SIM_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#define CONTROL_MAX_CLIENTS 8
#define CONTROL_LINE_MAX 128

struct control_client {
	int fd;			/* -1: free slot */
	size_t len;
	char line[CONTROL_LINE_MAX];
};

struct control {
	int listen_fd;		/* -1: no control socket */
	char *path;
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

/* Answers one command line (without its newline): returns the reply line
 * (without newline). */
typedef const char *(*control_handler)(void *ctx, const char *cmd);

/* Marks everything closed; call before control_open or instead of it. */
void control_init(struct control *c);

/* Listens on path, replacing a stale socket there (but never a file of
 * another kind). False, with a message logged, on failure. */
bool control_open(struct control *c, const char *path);

/* Closes clients and listener and removes the socket file. */
void control_close(struct control *c);

/* Number of pollfd entries control_fill uses: the listener then each client. */
#define CONTROL_POLLFDS (1 + CONTROL_MAX_CLIENTS)
void control_fill(const struct control *c, struct pollfd *pfd);

/* Acts on the revents of the entries control_fill prepared. */
void control_ready(struct control *c, const struct pollfd *pfd, control_handler handler, void *ctx);

#endif
