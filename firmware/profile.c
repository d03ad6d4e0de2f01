/* profile.c - load `key = value` card profiles (format in profile.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

#define MAX_LINE 1024
#define MAX_ENTRIES 512

struct entry {
	char *key;
	char *value;
};

struct sim_profile {
	char *name;
	struct entry *e;
	size_t n;
};

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static bool valid_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!(islower((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '.' ||
		      *k == '_' || *k == '-'))
			return false;
	return true;
}

static char *name_of(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;
	char *name;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 8 && strcmp(base + len - 8, ".profile") == 0)
		len -= 8;
	name = malloc(len + 1);
	if (name) {
		memcpy(name, base, len);
		name[len] = '\0';
	}
	return name;
}

static bool add(struct sim_profile *p, const char *key, const char *value)
{
	struct entry *ne = realloc(p->e, (p->n + 1) * sizeof(*ne));

	if (!ne)
		return false;
	p->e = ne;
	ne[p->n].key = strdup(key);
	ne[p->n].value = strdup(value);
	if (!ne[p->n].key || !ne[p->n].value) {
		free(ne[p->n].key);
		free(ne[p->n].value);
		return false;
	}
	p->n++;
	return true;
}

struct sim_profile *sim_profile_load(const char *path, char *err, size_t errlen)
{
	char line[MAX_LINE + 2];
	unsigned lineno = 0;
	struct sim_profile *p;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->name = name_of(path)))
		goto oom;
	while (fgets(line, sizeof(line), f)) {
		char *eq, *key, *value;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", path, lineno, MAX_LINE);
			goto fail;
		}
		key = trim(line);
		if (!*key || *key == '#')
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
			goto fail;
		}
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
		if (!valid_key(key)) {
			snprintf(err, errlen, "%s:%u: bad key '%s' (lower case, digits, '.', '_', '-')",
				 path, lineno, key);
			goto fail;
		}
		if (sim_profile_get(p, key)) {
			snprintf(err, errlen, "%s:%u: '%s' given twice", path, lineno, key);
			goto fail;
		}
		if (p->n >= MAX_ENTRIES) {
			snprintf(err, errlen, "%s:%u: more than %d entries", path, lineno, MAX_ENTRIES);
			goto fail;
		}
		if (!add(p, key, value))
			goto oom;
	}
	fclose(f);
	return p;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	fclose(f);
	sim_profile_free(p);
	return NULL;
}

void sim_profile_free(struct sim_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].key);
		free(p->e[i].value);
	}
	free(p->e);
	free(p->name);
	free(p);
}

const char *sim_profile_name(const struct sim_profile *p)
{
	return p->name;
}

const char *sim_profile_get(const struct sim_profile *p, const char *key)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (strcmp(p->e[i].key, key) == 0)
			return p->e[i].value;
	return NULL;
}

const char *sim_profile_str(const struct sim_profile *p, const char *key, const char *def)
{
	const char *v = sim_profile_get(p, key);

	return v ? v : def;
}

bool sim_profile_int(const struct sim_profile *p, const char *key, long min, long max,
		     long def, long *out)
{
	const char *v = sim_profile_get(p, key);
	char *end;
	long n;

	*out = def;
	if (!v)
		return true;
	errno = 0;
	n = strtol(v, &end, 0);
	if (end == v || *end || errno || n < min || n > max)
		return false;
	*out = n;
	return true;
}

size_t sim_profile_count(const struct sim_profile *p)
{
	return p ? p->n : 0;
}

const char *sim_profile_key_at(const struct sim_profile *p, size_t i)
{
	return p && i < p->n ? p->e[i].key : NULL;
}
