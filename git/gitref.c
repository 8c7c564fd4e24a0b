/* gitref: a ref looked up in a clone: a branch, a tag, a commit SHA or a full name; the nearest names. */
#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "gitref.h"
#include "util.h"

#define MAX_NEAREST 5

/* where the fetched branches and tags are, in the order a name is looked up */
static const struct {
	const char *prefix, *glob, *kind;
} spaces[] = {{"refs/remotes/" REMOTE "/", "refs/remotes/" REMOTE "/*", "branch"}, {"refs/tags/", "refs/tags/*", "tag"}};

/* peel_ref: the commit a reference points to (through tags). 0, GIT_ENOTFOUND, or another error. */
static int peel_ref(git_repository *repo, const char *name, git_oid *oid)
{
	git_reference *r = NULL;
	git_object *o = NULL;
	int rc = git_reference_lookup(&r, repo, name);

	if (rc == GIT_EINVALIDSPEC)
		return GIT_ENOTFOUND;
	if (rc < 0)
		return rc;
	rc = git_reference_peel(&o, r, GIT_OBJECT_COMMIT);
	if (rc == 0)
		git_oid_cpy(oid, git_object_id(o));
	git_object_free(o);
	git_reference_free(r);
	return rc;
}

/* gitref_resolve: ref as a branch, a tag, a commit SHA or a refs/ name. 0, GIT_ENOTFOUND, GIT_EAMBIGUOUS, or an error. */
int gitref_resolve(git_repository *repo, const char *ref, git_oid *oid, const char **kind)
{
	size_t n = strlen(ref), hex = strspn(ref, "0123456789abcdefABCDEF");
	int rc;

	for (size_t i = 0; i < LEN(spaces) && strcmp(ref, "HEAD") != 0; i++) {
		char *name = xasprintf("%s%s", spaces[i].prefix, ref);
		rc = peel_ref(repo, name, oid);
		free(name);
		*kind = spaces[i].kind;
		if (rc != GIT_ENOTFOUND)
			return rc;
	}
	if (n >= 4 && n <= GIT_OID_HEXSZ && hex == n) {
		git_oid prefix;
		git_object *o = NULL, *c = NULL;
		*kind = "commit";
		if (git_oid_fromstrn(&prefix, ref, n) < 0)
			return GIT_ENOTFOUND;
		rc = git_object_lookup_prefix(&o, repo, &prefix, n, GIT_OBJECT_ANY);
		if (rc == 0 && (rc = git_object_peel(&c, o, GIT_OBJECT_COMMIT)) == 0)
			git_oid_cpy(oid, git_object_id(c));
		git_object_free(c);
		git_object_free(o);
		return rc;
	}
	if (str_has_prefix(ref, "refs/")) {
		*kind = str_has_prefix(ref, "refs/tags/") ? "tag" : "branch";
		return peel_ref(repo, ref, oid);
	}
	return GIT_ENOTFOUND;
}

/* a branch or tag name, and its distance to the unknown ref */
struct near {
	char *name;
	const char *kind;
	size_t dist;
};

static int near_cmp(const void *a, const void *b)
{
	const struct near *x = a, *y = b;

	if (x->dist != y->dist)
		return x->dist < y->dist ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* gitref_nearest: append ", kind 'name'" for the branches and tags closest to ref (edit distance), best first. */
void gitref_nearest(git_repository *repo, const char *ref, struct buf *out)
{
	struct near *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t s = 0; s < LEN(spaces); s++) {
		git_reference_iterator *it;
		const char *name;
		if (git_reference_iterator_glob_new(&it, repo, spaces[s].glob) < 0)
			continue;
		while (git_reference_next_name(&name, it) == 0) {
			name += strlen(spaces[s].prefix);
			if (strcmp(name, "HEAD") == 0)
				continue;
			GROW(v, n, cap);
			v[n].name = xstrdup(name);
			v[n].kind = spaces[s].kind;
			v[n++].dist = edit_distance(ref, name, 256);
		}
		git_reference_iterator_free(it);
	}
	if (n)
		qsort(v, n, sizeof(*v), near_cmp);
	else
		buf_adds(out, "; the repository has no branches or tags");
	for (size_t i = 0; i < n; i++) {
		if (i < MAX_NEAREST)
			buf_addf(out, "%s%s '%s'", i ? ", " : "; nearest: ", v[i].kind, v[i].name);
		free(v[i].name);
	}
	free(v);
}

