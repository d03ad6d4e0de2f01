/*
 * outbox.c - signed bundles that could not be delivered (service unreachable,
 * timeout, 5xx), kept until `santecard-erx outbox send`:
 *   $XDG_STATE_HOME/santecard/erx/outbox/<uuid>.json   (dir 0700, files 0600)
 *   .../outbox/rejected/<uuid>.json + <uuid>.json.reason  (refused with a 4xx)
 * A file holds the exact bytes that were signed and sent; it is written to a
 * temporary name, synced, then renamed, so a crash leaves either nothing or
 * the whole bundle. Files are opened with O_NOFOLLOW and must be regular and
 * small: the directory is the user's, but a bad file must not crash us.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "erx.h"

#define OUTBOX_FILE_MAX ((size_t)1 << 20)
#define OUTBOX_MAX_FILES 10000

/* mkdir -p with mode 0700 for what it creates. */
static int mkdirs(const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	size_t len = strlen(path);

	if (len >= sizeof(tmp)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
				snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
				return -1;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/* The directory must be ours and closed to others (it holds health data). */
static int check_private_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by another user", dir);
		return -1;
	}
	if (st.st_mode & 077) {
		/* ours: close it rather than refuse (an old umask may have opened it) */
		if (chmod(dir, 0700) != 0) {
			snprintf(err, errlen, "%s: open to other users and cannot be closed: %s",
				 dir, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int erx_outbox_dir(char *out, size_t outlen, int create, char *err, size_t errlen)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	/* XDG: a relative path is invalid and must be ignored */
	if (state && state[0] == '/')
		n = snprintf(out, outlen, "%s/santecard/erx/outbox", state);
	else if (home && home[0] == '/')
		n = snprintf(out, outlen, "%s/.local/state/santecard/erx/outbox", home);
	else {
		snprintf(err, errlen, "neither XDG_STATE_HOME nor HOME is set: no place for the "
			 "outbox");
		return -1;
	}
	if (n < 0 || (size_t)n >= outlen) {
		snprintf(err, errlen, "the outbox path is too long");
		return -1;
	}
	if (!create) {
		if (access(out, F_OK) != 0)
			return 0;
		return check_private_dir(out, err, errlen);
	}
	if (mkdirs(out, err, errlen))
		return -1;
	return check_private_dir(out, err, errlen);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Write body to dir/name atomically, 0600. 1 written, 0 already there, -1. */
static int write_atomic(const char *dir, const char *name, const char *body, size_t len,
			char *err, size_t errlen)
{
	char path[4200], tmp[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%s", dir, (long)getpid(), name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write_all(fd, body, len) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	/* link() fails if the name exists: the first copy of a bundle wins */
	if (link(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		if (e == EEXIST)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	unlink(tmp);
	sync_dir(dir);
	return 1;
}

int erx_outbox_put(const char *dir, const char *bundle_id, const char *body, size_t len,
		   char *err, size_t errlen)
{
	char name[96];

	if (!bundle_id || !erx_uuid_urn_ok(bundle_id)) {
		snprintf(err, errlen, "the bundle identifier is not a urn:uuid");
		return -1;
	}
	snprintf(name, sizeof(name), "%s.json", bundle_id + 9);
	return write_atomic(dir, name, body, len, err, errlen) < 0 ? -1 : 0;
}

/* Read dir/name (regular, not a link, at most OUTBOX_FILE_MAX). */
static char *read_small(const char *dir, const char *name, size_t *len, char *problem,
			size_t plen)
{
	char path[4200];
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(problem, plen, "cannot be opened: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(problem, plen, "not a regular file");
		close(fd);
		return NULL;
	}
	if ((unsigned long long)st.st_size > OUTBOX_FILE_MAX) {
		snprintf(problem, plen, "larger than %zu bytes", OUTBOX_FILE_MAX);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(problem, plen, "out of memory");
		close(fd);
		return NULL;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct erx_outbox_entry *)a)->name,
		      ((const struct erx_outbox_entry *)b)->name) != 0;
}

int erx_outbox_list(const char *dir, struct erx_outbox_entry **out, size_t *n, char *err,
		    size_t errlen)
{
	struct erx_outbox_entry *v = NULL;
	size_t count = 0, cap = 0;
	struct dirent *d;
	DIR *dp;

	*out = NULL;
	*n = 0;
	dp = opendir(dir);
	if (!dp) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp))) {
		struct erx_outbox_entry *e;
		size_t nl = strlen(d->d_name);
		char id[64], perr[160];

		/* ours are <uuid>.json; dot files are temporary ones or not ours */
		if (d->d_name[0] == '.' || nl < 6 || strcmp(d->d_name + nl - 5, ".json") != 0 ||
		    nl >= sizeof(e->name))
			continue;
		if (count == OUTBOX_MAX_FILES)
			break;
		if (count == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct erx_outbox_entry *nv = realloc(v, nc * sizeof(*v));

			if (!nv) {
				closedir(dp);
				erx_outbox_free(v, count);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			v = nv;
			cap = nc;
		}
		e = &v[count++];
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", d->d_name);
		snprintf(id, sizeof(id), "urn:uuid:%.*s", (int)(nl - 5), d->d_name);
		if (!erx_uuid_urn_ok(id)) {
			snprintf(e->problem, sizeof(e->problem), "not named <bundle uuid>.json");
			continue;
		}
		e->body = read_small(dir, e->name, &e->len, e->problem, sizeof(e->problem));
		if (!e->body)
			continue;
		e->bundle = erx_json_parse(e->body, e->len, perr, sizeof(perr));
		if (!e->bundle) {
			snprintf(e->problem, sizeof(e->problem), "%s", perr);
			continue;
		}
		e->kind = erx_bundle_kind(e->bundle);
		if (!e->kind) {
			snprintf(e->problem, sizeof(e->problem), "not a prescription or dispensation "
				 "Bundle");
		} else if (strcmp(erx_bundle_id(e->bundle), id) != 0) {
			snprintf(e->problem, sizeof(e->problem), "its Bundle.identifier is not its "
				 "file name");
		} else if (!json_is_object(json_object_get(e->bundle, "signature"))) {
			snprintf(e->problem, sizeof(e->problem), "not signed");
		}
		if (e->problem[0]) {
			json_decref(e->bundle);
			e->bundle = NULL;
			e->kind = NULL;
		}
	}
	closedir(dp);
	if (count)
		qsort(v, count, sizeof(*v), by_name);
	*out = v;
	*n = count;
	return 0;
}

void erx_outbox_free(struct erx_outbox_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(e[i].bundle);
		free(e[i].body);
	}
	free(e);
}

int erx_outbox_done(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	sync_dir(dir);
	return 0;
}

int erx_outbox_reject(const char *dir, const char *name, const char *reason, char *err,
		      size_t errlen)
{
	char rej[4200], from[4500], to[4500], rname[200];

	snprintf(rej, sizeof(rej), "%s/rejected", dir);
	if (mkdir(rej, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", rej, strerror(errno));
		return -1;
	}
	if (check_private_dir(rej, err, errlen))
		return -1;
	snprintf(rname, sizeof(rname), "%s.reason", name);
	snprintf(to, sizeof(to), "%s/%s", rej, rname);
	(void)unlink(to);
	if (write_atomic(rej, rname, reason, strlen(reason), err, errlen) < 0)
		return -1;
	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(to, sizeof(to), "%s/%s", rej, name);
	if (rename(from, to) != 0) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		return -1;
	}
	sync_dir(dir);
	sync_dir(rej);
	return 0;
}
