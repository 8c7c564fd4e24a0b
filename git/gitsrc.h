/* gitsrc: a git ref checked out from a cached clone that is fetched on every use (libgit2); read-only commands
 * only look at what the clone already has (gitsrc_peek).
 *
 * One clone per repository lives in cachedir/<name>, <name> derived from the URL (gitsrc_dirname). A new clone is
 * made in cachedir/.<name>.tmp-<pid> and renamed into place once fetched, so an interrupted clone never leaves a
 * broken cache (its temporary directory is removed by the next run). cachedir/<name>.lock is flock()ed from the
 * checkout until the caller is done with the worktree (gitsrc_result_release): another process waits, so a build
 * never reads a worktree that another run is switching to another ref. Every use fetches all branches (as refs/remotes/origin/<branch>) and tags, pruning what the remote
 * deleted; a failed fetch changes no ref, so the clone stays as it was. The ref is checked out by force on a
 * detached HEAD, untracked and ignored files removed: the worktree holds exactly the commit.
 *
 * URLs: whatever libgit2 takes (https, ssh, git, file://, a plain path; a relative path is made absolute).
 * Credentials: for https, GIT_TOKEN, or GITHUB_TOKEN for github.com, as user "x-access-token"; for ssh, the ssh
 * agent. No token is ever written to the clone's config or put in a message (userinfo in a URL neither).
 * Progress goes to stderr, in place, when stderr is a terminal.
 *
 * Errors are appended to err as one line (lowercase, subject quoted, what to do when known). Nothing is printed
 * but the progress line and, when another run holds the lock, one line saying what it waits for. */
#ifndef SB_GITSRC_H
#define SB_GITSRC_H

#include <stddef.h>

struct buf;

/* What gitsrc_checkout checked out. Owned by the caller: gitsrc_result_release frees dir and closes lockfd. */
struct gitsrc_result {
	char *dir;         /* the worktree: cachedir/<name> */
	char sha[41];      /* the commit, 40 hex digits */
	char short_sha[8]; /* its first 7 */
	const char *kind;  /* how the ref resolved: "branch", "tag" or "commit" (a static string) */
	int lockfd;        /* the clone's lock, held while open (a caller may take it over and set -1) */
};

/* A clone found in a cache directory (gitsrc_list). Owned by the array; gitsrc_entries_free frees all. */
struct gitsrc_entry {
	char *dir;    /* cachedir/<name> */
	char *url;    /* the repository, without userinfo; NULL if unknown (not a clone) */
	char *ref;    /* the ref last checked out; NULL if none */
	char sha[41]; /* the commit checked out ("" if none) */
};

/* gitsrc_checkout: fetch url into its clone under cachedir (cloning it first), check out ref (a branch, a tag, a
 * full or abbreviated commit SHA, or a full refs/... name, tried in that order) and fill out, which then holds the
 * clone's lock (the same process locking it again waits forever: release the earlier result first). -1 with err. */
int gitsrc_checkout(const char *url, const char *ref, const char *cachedir, struct gitsrc_result *out,
                    struct buf *err);
/* gitsrc_peek: what gitsrc_checkout would check out, as far as the clone cache already knows, for read-only
 * commands: nothing is fetched, created, locked exclusively or written, and no connection is made. 1 when the
 * clone's worktree holds exactly the commit ref names in the clone (as last fetched: a checkout fetches first, so a
 * branch or tag may have moved since), with out filled as by gitsrc_checkout and holding a shared lock on the
 * clone (none when it has no lock file); 0 when the cache cannot say (no clone yet, no such ref in it, the worktree
 * at another commit or changed, another run holding the clone), with why; out->dir is then the clone's directory
 * all the same. -1 with err (an empty URL or ref, a ref that is the start of more than one SHA). */
int gitsrc_peek(const char *url, const char *ref, const char *cachedir, struct gitsrc_result *out, struct buf *why,
                struct buf *err);
/* gitsrc_result_release: free what out holds, release its lock, and clear it (a zeroed out is fine). */
void gitsrc_result_release(struct gitsrc_result *out);
/* gitsrc_dirname: append to out the stable directory name of url's clone (host and path, sanitized, with a hash
 * of the URL sans userinfo: different repositories never share a clone). -1 with err for an empty URL. */
int gitsrc_dirname(const char *url, struct buf *out, struct buf *err);
/* gitsrc_list: the clones under cachedir, sorted by dir; a missing cachedir is an empty list. -1 with err. */
int gitsrc_list(const char *cachedir, struct gitsrc_entry **out, size_t *n, struct buf *err);
/* gitsrc_entries_free: free n entries returned by gitsrc_list. */
void gitsrc_entries_free(struct gitsrc_entry *e, size_t n);

#endif
