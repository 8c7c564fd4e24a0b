/* gitref: looking a ref up in a clone made by gitsrc (branches as refs/remotes/origin/<name>, tags), for gitsrc.c.
 * Internal to git/: callers include git2.h. */
#ifndef SB_GITREF_H
#define SB_GITREF_H

#include <git2.h>

struct buf;

#define REMOTE "origin"

/* gitref_resolve: ref as a branch, a tag, a commit SHA (4 hex digits or more) or a refs/ name, in that order: its
 * commit in *oid and how it resolved in *kind ("branch", "tag" or "commit"). 0, GIT_ENOTFOUND, GIT_EAMBIGUOUS, or
 * another libgit2 error. Reads the clone, never writes it. */
int gitref_resolve(git_repository *repo, const char *ref, git_oid *oid, const char **kind);
/* gitref_nearest: append "; nearest: kind 'name', ..." for the branches and tags closest to ref (edit distance),
 * best first, or "; the repository has no branches or tags". */
void gitref_nearest(git_repository *repo, const char *ref, struct buf *out);

#endif
