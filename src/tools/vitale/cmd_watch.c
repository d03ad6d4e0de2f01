/*
 * cmd_watch.c - `santecard-vitale watch`, the kiosk mode: waits for cards
 * forever and prints one JSON line per card inserted (the "card" or "error"
 * document of render_json.c) and one per card removed; --exec runs a command
 * per card inserted with that line on its standard input.
 *
 * Personal data goes to standard output and to the --exec command only: never
 * to standard error, a log or a file.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vitale.h"

struct watch_opts {
	const char *exec;
	int verbose;
	struct render_opts r;
	struct sbuf line;
};

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: santecard-vitale watch [--exec COMMAND] [--ins test|nir|demo] [--verbose]\n\n"
		   "Wait for cards forever. Print one JSON line per card inserted (its\n"
		   "beneficiaries, or why it could not be read) and one per card removed.\n"
		   "Keeps working when readers come and go and when pcscd restarts.\n\n"
		   "  -e, --exec COMMAND    run COMMAND (with /bin/sh -c) for each card inserted,\n"
		   "                        the JSON line on its standard input\n"
		   "      --ins SYSTEM      OID of the INS: test (default), nir or demo\n"
		   "  -v, --verbose         say on standard error when readers or pcscd come and\n"
		   "                        go (never any personal data)\n"
		   "  -h, --help            show this help\n");
}

/* Reap the --exec commands that ended; say which failed (no data). */
static void reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			fprintf(stderr, "%s: --exec command (pid %ld) exited with status %d\n",
				vtool_name, (long)pid, WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			fprintf(stderr, "%s: --exec command (pid %ld) killed by signal %d\n",
				vtool_name, (long)pid, WTERMSIG(status));
	}
}

/* Start COMMAND with the line on its standard input; do not wait for it. */
static void run_exec(const char *cmd, const char *event, const char *data, size_t len)
{
	int fd[2];
	pid_t pid;

	if (pipe(fd) != 0) {
		fprintf(stderr, "%s: --exec: pipe: %s\n", vtool_name, strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: --exec: fork: %s\n", vtool_name, strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return;
	}
	if (pid == 0) {
		close(fd[1]);
		if (dup2(fd[0], STDIN_FILENO) < 0)
			_exit(127);
		if (fd[0] != STDIN_FILENO)
			close(fd[0]);
		setenv("SANTECARD_VITALE_EVENT", event, 1);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fd[0]);
	/* a line is far below the pipe's capacity: this does not block; a command
	 * that does not read just loses it (EPIPE, SIGPIPE ignored) */
	while (len > 0) {
		ssize_t w = write(fd[1], data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		data += w;
		len -= (size_t)w;
	}
	close(fd[1]);
}

static void on_event(const struct wevent *ev, void *arg)
{
	struct watch_opts *o = arg;

	switch (ev->kind) {
	case WE_CARD:
		sb_reset(&o->line);
		render_json_card(&o->line, ev->vc, &o->r);
		sb_puts(&o->line, "\n");
		break;
	case WE_REMOVED:
		sb_reset(&o->line);
		render_json_removed(&o->line, ev->reader);
		sb_puts(&o->line, "\n");
		break;
	case WE_READERS:
		if (o->verbose) {
			if (ev->readers < 0)
				fprintf(stderr, "%s: the PC/SC service (pcscd) is not reachable; "
					"waiting for it\n", vtool_name);
			else
				fprintf(stderr, "%s: %d reader%s\n", vtool_name, ev->readers,
					ev->readers == 1 ? "" : "s");
		}
		return;
	case WE_TICK:
		reap();
		return;
	}
	if (o->line.oom) {
		fprintf(stderr, "%s: out of memory\n", vtool_name);
		return;
	}
	fputs(sb_str(&o->line), stdout);
	if (fflush(stdout) == EOF) {
		/* nobody reads us any more (a closed pipe): stop */
		stop_flag = 1;
		return;
	}
	if (o->exec && ev->kind == WE_CARD)
		run_exec(o->exec, ev->vc->result == VC_OK ? "card" : "error", o->line.p,
			 o->line.len);
	sb_reset(&o->line);
	reap();
}

int cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "exec", required_argument, NULL, 'e' },
		{ "ins", required_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct watch_opts o = { .r = { STC_INS_NIR_TEST } };
	struct sigaction sa;
	int c, code;

	vtool_name = "santecard-vitale watch";
	while ((c = getopt_long(argc, argv, "e:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o.exec = optarg; break;
		case 'v': o.verbose = 1; break;
		case 'I':
			if (parse_ins_system(optarg, &o.r.ins)) {
				vusage_error("invalid --ins '%s' (test, nir or demo)", optarg);
				return VX_USAGE;
			}
			break;
		case 'h': usage(stdout); return VX_OK;
		default:
			fprintf(stderr, "Try 'santecard-vitale watch --help' for more information.\n");
			return VX_USAGE;
		}
	}
	if (optind < argc) {
		vusage_error("unexpected argument '%s'", argv[optind]);
		return VX_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sb_init(&o.line);
	code = watch_run(on_event, &o, &stop_flag);
	sb_free(&o.line);
	reap();
	return code;
}
