/*
 * store.c - the token store: $XDG_STATE_HOME/santecard/psc/tokens.json, the
 * directory 0700 and the file 0600, replaced atomically (a temporary file in
 * the same directory, fsync, rename), so a reader never sees half a file and a
 * crash leaves the old tokens. A file others can read is refused, not used.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "psc.h"

#define STORE_FILE "tokens.json"

char *psc_store_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *p = NULL;
	int n;

	/* XDG: a relative path is invalid and ignored */
	if (xdg && xdg[0] == '/')
		n = asprintf(&p, "%s/santecard/psc", xdg);
	else if (home && *home)
		n = asprintf(&p, "%s/.local/state/santecard/psc", home);
	else
		return NULL;
	return n < 0 ? NULL : p;
}

/* mkdir one level with mode; an existing directory is tightened to mode. */
static int mkdir_private(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, mode) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s belongs to another user", path);
		return -1;
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) != 0) {
		snprintf(err, errlen, "cannot chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int psc_store_prepare(const char *dir, char *err, size_t errlen)
{
	char *p = strdup(dir), *s;
	int rc = 0;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* the parents as mkdir -p would (0700 for new ones), then santecard/ and psc/ 0700 */
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", p, strerror(errno));
			rc = -1;
		}
		*s = '/';
		if (rc)
			break;
	}
	if (!rc) {
		s = strrchr(p, '/');
		if (s && s != p) {
			*s = '\0';
			rc = mkdir_private(p, 0700, err, errlen);
			*s = '/';
		}
	}
	if (!rc)
		rc = mkdir_private(p, 0700, err, errlen);
	free(p);
	return rc;
}

int psc_store_save(const char *dir, const json_t *tokens, char *err, size_t errlen)
{
	char *tmp = NULL, *dst = NULL, *text;
	size_t len, off = 0;
	int fd = -1, rc = -1;

	if (psc_store_prepare(dir, err, errlen) != 0)
		return -1;
	text = json_dumps(tokens, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text || asprintf(&tmp, "%s/.%s.XXXXXX", dir, STORE_FILE) < 0 ||
	    asprintf(&dst, "%s/%s", dir, STORE_FILE) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	fd = mkstemp(tmp);      /* 0600 */
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
		goto out;
	}
	len = strlen(text);
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "writing %s: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1 || fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "writing %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "writing %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, dst) != 0) {
		snprintf(err, errlen, "cannot replace %s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	if (text) {
		memset(text, 0, strlen(text));
		free(text);
	}
	free(tmp);
	free(dst);
	return rc;
}

int psc_store_load(const char *dir, json_t **tokens, char *err, size_t errlen)
{
	char *path = NULL;
	struct stat st;
	json_error_t je;
	FILE *f;
	int fd, rc = -1;

	*tokens = NULL;
	if (asprintf(&path, "%s/%s", dir, STORE_FILE) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			rc = 1;
		else
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return rc;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		goto out_fd;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, errlen, "%s is open to other users (mode %03o): not used; "
			 "log in again (santecard-psc logout; santecard-psc login)", path,
			 (unsigned)(st.st_mode & 0777));
		goto out_fd;
	}
	f = fdopen(fd, "r");
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out_fd;
	}
	*tokens = json_loadf(f, 0, &je);
	fclose(f);
	if (!json_is_object(*tokens)) {
		json_decref(*tokens);
		*tokens = NULL;
		snprintf(err, errlen, "%s is damaged (%s): log in again", path, je.text);
	} else {
		rc = 0;
	}
	free(path);
	return rc;
out_fd:
	close(fd);
	free(path);
	return rc;
}

int psc_store_remove(const char *dir, char *err, size_t errlen)
{
	char *path = NULL;
	int rc = 0;

	if (asprintf(&path, "%s/%s", dir, STORE_FILE) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}

static void keep(json_t *rec, const char *name, const json_t *answer, const json_t *prev)
{
	const json_t *v = json_object_get(answer, name);

	if (!v && prev)
		v = json_object_get(prev, name);
	if (v)
		json_object_set(rec, name, (json_t *)v);
}

json_t *psc_store_record(const json_t *answer, const json_t *prev, const char *issuer,
			 const char *client_id, const char *method, const json_t *id_claims,
			 long long now)
{
	json_t *rec = json_object();
	const json_t *ei = json_object_get(answer, "expires_in");
	long long life = json_is_integer(ei) ? json_integer_value(ei) :
			 json_is_real(ei) ? (long long)json_real_value(ei) : 300;

	if (!rec)
		return NULL;
	if (life <= 0)
		life = 1;
	json_object_set_new(rec, "issuer", json_string(issuer));
	json_object_set_new(rec, "client_id", json_string(client_id));
	keep(rec, "access_token", answer, NULL);
	keep(rec, "token_type", answer, NULL);
	keep(rec, "scope", answer, prev);
	keep(rec, "refresh_token", answer, prev);
	keep(rec, "id_token", answer, prev);
	json_object_set_new(rec, "expires_at", json_integer(now + life));
	json_object_set_new(rec, "lifetime", json_integer(life));
	json_object_set_new(rec, "obtained_at", json_integer(now));
	if (method)
		json_object_set_new(rec, "method", json_string(method));
	else if (prev && json_object_get(prev, "method"))
		json_object_set(rec, "method", json_object_get(prev, "method"));
	if (id_claims)
		json_object_set(rec, "id_claims", (json_t *)id_claims);
	else if (prev && json_object_get(prev, "id_claims"))
		json_object_set(rec, "id_claims", json_object_get(prev, "id_claims"));
	if (prev && json_object_get(prev, "logged_in_at"))
		json_object_set(rec, "logged_in_at", json_object_get(prev, "logged_in_at"));
	else
		json_object_set_new(rec, "logged_in_at", json_integer(now));
	return rec;
}

long psc_refresh_margin(const json_t *tokens)
{
	json_int_t life = json_integer_value(json_object_get(tokens, "lifetime"));
	long m = (long)(life / 4);

	return m > 30 ? 30 : m;
}
