/*
 * cache.c - the on-disk cache of a card's public data (see cache.h).
 *
 * Directories are opened with O_NOFOLLOW|O_DIRECTORY and checked with fstat
 * on the descriptor (a directory of ours, mode 0700), and every entry is
 * reached relative to the card's directory descriptor (openat, renameat):
 * a symbolic link planted anywhere below the base is never followed. The
 * parent of the base ($XDG_CACHE_HOME or ~/.cache) is the user's business.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"

/* serial hex, '-', 16 bytes of SHA-256(EF_ACTUA) hex or "none", NUL */
#define KEY_MAX (2 * STCI_CACHE_SERIAL_MAX + 1 + 32 + 1)

struct stci_cache {
	int dfd;                        /* the card's directory */
	char key[KEY_MAX];
};

void stci_cache_hex(const uint8_t *b, size_t len, char *out, size_t cap)
{
	static const char hx[] = "0123456789abcdef";

	if (cap < 2 * len + 1) {
		if (cap)
			out[0] = '\0';
		return;
	}
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * len] = '\0';
}

/* A name we make: hex digits and '-', not empty, bounded. */
static int good_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > STCI_CACHE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f') ||
		      name[i] == '-'))
			return 0;
	return 1;
}

/* Open (creating it 0700 if missing) the directory name under dfd (AT_FDCWD:
 * an absolute path), refusing a symbolic link, another owner or other modes. */
static int safe_dir(int dfd, const char *name)
{
	struct stat sb;
	int fd;

	if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST) {
		stc_log(STC_LOG_DEBUG, "cache: cannot create %s: %s", name, strerror(errno));
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		stc_log(STC_LOG_DEBUG, "cache: cannot open %s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 07777) != 0700) {
		stc_log(STC_LOG_DEBUG, "cache: %s is not a 0700 directory of ours: not used", name);
		close(fd);
		return -1;
	}
	return fd;
}

/* The santecard directory under $XDG_CACHE_HOME, else ~/.cache. */
static int base_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char path[4096];
	int pfd, fd;

	if (xdg && xdg[0] == '/') {
		if ((size_t)snprintf(path, sizeof(path), "%s", xdg) >= sizeof(path))
			return -1;
	} else {
		if (!home || home[0] != '/') {
			stc_log(STC_LOG_DEBUG, "cache: no HOME: no cache");
			return -1;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/.cache", home) >= sizeof(path))
			return -1;
	}
	/* the XDG base directory spec: create a missing base directory 0700 */
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		stc_log(STC_LOG_DEBUG, "cache: cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0) {
		stc_log(STC_LOG_DEBUG, "cache: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	fd = safe_dir(pfd, "santecard");
	close(pfd);
	return fd;
}

/* Remove the regular files of a directory (then the directory when name). */
static void remove_dir(int pfd, const char *name)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	unlinkat(pfd, name, AT_REMOVEDIR);
}

/* Remove the directories of this serial under another EF_ACTUA. */
static void purge_stale(int bfd, const char *key, size_t serial_hex_len)
{
	int fd = dup(bfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	char stale[8][KEY_MAX];
	size_t n = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL && n < 8)
		if (!strncmp(e->d_name, key, serial_hex_len + 1) && strcmp(e->d_name, key) &&
		    strlen(e->d_name) < sizeof(stale[0]))
			strcpy(stale[n++], e->d_name);
	closedir(d);
	for (size_t i = 0; i < n; i++) {
		stc_log(STC_LOG_DEBUG, "cache: %s is stale (EF_ACTUA changed): removed", stale[i]);
		remove_dir(bfd, stale[i]);
	}
}

struct stci_cache *stci_cache_open(const uint8_t *serial, size_t serial_len,
				   const uint8_t *actua, size_t actua_len)
{
	const char *off = getenv("STC_NO_CACHE");
	struct stci_cache *c;
	size_t n;
	int bfd;

	if (off && off[0] && strcmp(off, "0")) {
		stc_log(STC_LOG_DEBUG, "cache: disabled (STC_NO_CACHE)");
		return NULL;
	}
	if (!serial || serial_len == 0 || serial_len > STCI_CACHE_SERIAL_MAX)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	stci_cache_hex(serial, serial_len, c->key, sizeof(c->key));
	n = strlen(c->key);
	c->key[n] = '-';
	if (actua && actua_len) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;

		if (!EVP_Digest(actua, actua_len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 16) {
			free(c);
			return NULL;
		}
		stci_cache_hex(md, 16, c->key + n + 1, sizeof(c->key) - n - 1);
	} else {
		memcpy(c->key + n + 1, "none", 5);
	}
	bfd = base_dir();
	if (bfd < 0) {
		free(c);
		return NULL;
	}
	purge_stale(bfd, c->key, n);
	c->dfd = safe_dir(bfd, c->key);
	close(bfd);
	if (c->dfd < 0) {
		free(c);
		return NULL;
	}
	stc_log(STC_LOG_DEBUG, "cache: card %s", c->key);
	return c;
}

void stci_cache_close(struct stci_cache *c)
{
	if (!c)
		return;
	close(c->dfd);
	free(c);
}

const char *stci_cache_key(const struct stci_cache *c)
{
	return c ? c->key : "";
}

stc_rv stci_cache_get(struct stci_cache *c, const char *name, uint8_t **data, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;
	int fd;

	*data = NULL;
	*len = 0;
	if (!c || !good_name(name))
		return STC_ERR_NOT_FOUND;
	fd = openat(c->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return STC_ERR_NOT_FOUND;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077) || sb.st_size <= 0 || sb.st_size > STCI_CACHE_ENTRY_MAX) {
		stc_log(STC_LOG_DEBUG, "cache: entry %s refused (type, owner, mode or size)", name);
		close(fd);
		return STC_ERR_NOT_FOUND;
	}
	buf = malloc((size_t)sb.st_size + 1);   /* one more: a file that grew is seen */
	if (!buf) {
		close(fd);
		return STC_ERR_NO_MEMORY;
	}
	for (;;) {
		ssize_t r = read(fd, buf + got, (size_t)sb.st_size + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == (size_t)sb.st_size + 1)
			break;
	}
	close(fd);
	if (got != (size_t)sb.st_size) {
		stc_log(STC_LOG_DEBUG, "cache: entry %s changed while read", name);
		free(buf);
		return STC_ERR_NOT_FOUND;
	}
	*data = buf;
	*len = got;
	return STC_OK;
}

stc_rv stci_cache_put(struct stci_cache *c, const char *name, const uint8_t *data, size_t len)
{
	static atomic_uint seq;   /* two tokens of one process write at once */
	char tmp[STCI_CACHE_NAME_MAX + 48];
	size_t done = 0;
	int fd, ok;

	if (!c)
		return STC_ERR_NOT_SUPPORTED;
	if (!good_name(name) || !data || len == 0 || len > STCI_CACHE_ENTRY_MAX)
		return STC_ERR_INVALID_ARGS;
	snprintf(tmp, sizeof(tmp), ".tmp-%s-%ld-%u", name, (long)getpid(),
		 (unsigned)atomic_fetch_add(&seq, 1));
	fd = openat(c->dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		stc_log(STC_LOG_DEBUG, "cache: cannot write %s: %s", name, strerror(errno));
		return STC_ERR_NOT_SUPPORTED;
	}
	ok = fchmod(fd, 0600) == 0;
	while (ok && done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			ok = 0;
		else
			done += (size_t)w;
	}
	if (ok)
		ok = fsync(fd) == 0;
	if (close(fd) < 0)
		ok = 0;
	if (ok)
		ok = renameat(c->dfd, tmp, c->dfd, name) == 0;
	if (!ok) {
		stc_log(STC_LOG_DEBUG, "cache: cannot write %s: %s", name, strerror(errno));
		unlinkat(c->dfd, tmp, 0);
		return STC_ERR_NOT_SUPPORTED;
	}
	return STC_OK;
}

void stci_cache_clear(struct stci_cache *c)
{
	int fd;
	DIR *d;
	struct dirent *e;

	if (!c)
		return;
	fd = dup(c->dfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(c->dfd, e->d_name, 0);
	closedir(d);
}
