/* key: a task's key as a list of named parts (for explain), its XXH3-128 digest, and the diff of two part lists
 * (keyparts.c); computing a task's key from its definition and inputs (key.c). */
#ifndef SB_KEY_H
#define SB_KEY_H

#include <stddef.h>

#include "hash.h"

struct buf;
struct filecache;
struct secretkey;
struct strv;
struct keyinputs;
struct task;
struct trust;

/* One named part of a key: name and value live in the owner's arena (offsets), so adding a part never mallocs. */
struct keypart {
	size_t name, value; /* offsets into keyparts.arena; value is (size_t)-1 when none */
	struct hash128 h;
};

struct keyparts {
	struct keypart *v;
	size_t n, cap;
	struct buf *arena;
};

/* keyparts_new: an empty list; free with keyparts_free (NULL is fine). */
struct keyparts *keyparts_new(void);
void keyparts_free(struct keyparts *kp);
/* keyparts_add: add a part; value (may be NULL) is a short text shown by explain, cut at 200 bytes. */
void keyparts_add(struct keyparts *kp, const char *name, const struct hash128 *h, const char *value);
/* keyparts_addstr: add a part whose hash is that of value (NULL: absent, hashed distinctly from ""). The text of
 * an env:, var: or build-arg: part whose name looks secret (secret_name_like) is not kept. */
void keyparts_addstr(struct keyparts *kp, const char *name, const char *value);
/* keypart_secret: 1 for a part that must not leave the machine even as a digest: a secret, or an env:, var: or
 * build-arg: part whose name looks secret. */
int keypart_secret(const char *name);
/* keyparts_name / keyparts_value: the strings of part i (value NULL when none). */
const char *keyparts_name(const struct keyparts *kp, size_t i);
const char *keyparts_value(const struct keyparts *kp, size_t i);
/* The version of the key's definition: a key of another version never equals one of this, so a record made by an
 * older sindri-build (which keyed less: no executable bit, no symlink in 2; in 3 the input files are one record, see
 * keyparts_digest) is never taken for a current one. */
#define KEY_VERSION "sindri-build key 3"
/* The parts of the input files are named KEY_IN_PREFIX and the path; a part named KEY_IN_PREFIX alone is their
 * digest (task_key_quick). keypart_is_file: a part of one input file. */
#define KEY_IN_PREFIX "in:"
int keypart_is_file(const char *name);
/* A part named KEY_LOADED_PREFIX and a path is added to a task's key after its run, for a Lua file its run function
 * loaded while it ran (require, dofile, loadfile), which no key computed before a run holds: its record never
 * matches a later key, so the task runs every time, and explain says why. */
#define KEY_LOADED_PREFIX "loaded:"
/* task_key_loaded: 1 when t's key holds such a part (its run loaded a Lua file its key could not cover). */
int task_key_loaded(const struct task *t);
/* keyparts_digest: the key: XXH3-128 over KEY_VERSION and a record (length, name, hash) per part in order, except
 * that a run of input files' parts makes one record named KEY_IN_PREFIX whose hash is keyparts_records_digest of
 * them. keyparts_records_digest: the XXH3-128 of the records of parts from..to. */
struct hash128 keyparts_digest(const struct keyparts *kp);
struct hash128 keyparts_records_digest(const struct keyparts *kp, size_t from, size_t to);
/* keyparts_encode: a text form for the state's side blob. */
void keyparts_encode(const struct keyparts *kp, struct buf *out);
/* keyparts_decode: the inverse; NULL when data is malformed. */
struct keyparts *keyparts_decode(const char *data, size_t n);
/* keyparts_diff: call fn once for each part that differs from old to now, in name order: (old, i, now, j) with i
 * or j KEYPARTS_NONE for a part only now or only old has. Returns how many differ. */
#define KEYPARTS_NONE ((size_t)-1)
size_t keyparts_diff(const struct keyparts *old, const struct keyparts *now,
                     void (*fn)(const struct keyparts *old, size_t i, const struct keyparts *now, size_t j, void *arg),
                     void *arg);
/* keyparts_explain: append one line per difference from old to now ("input 'x' modified", ...), at most max lines
 * then a count of the rest. Returns how many differences there are. */
size_t keyparts_explain(const struct keyparts *old, const struct keyparts *now, struct buf *out, size_t max);

/* What computing a key needs from the build. */
struct keyenv {
	int rootfd;             /* the project root: inputs and outputs are relative to it */
	struct filecache *fc;   /* content hashes by stat data */
	struct filecache *outfc; /* the same for the tasks' outputs, kept apart so that a no-op whose walks are on
	                          * record reads no entry of the inputs' (NULL: fc) */
	volatile int *stop;     /* set by a signal: abandon hashing */
	int readonly;           /* a dry run or a read-only tool: task types must not change anything either */
	int offline;            /* a dry run: task types ask nothing beyond this machine either (no registry) */
	const char *tmpdir;     /* where a task type may keep temporary files (the state directory); NULL: TMPDIR */
	/* progress: called while hashing a large input set (done of total files), and once with done == total at the
	 * end; NULL for none. The CLI shows it on a terminal. */
	void (*progress)(const char *task, size_t done, size_t total);
	struct secretkey *secrets; /* the key that hashes secret values; NULL: a task with secrets is an error */
	struct trust *trust;       /* the run's stretches (trust.h): what it read from outside holds within one */
	unsigned hash_threads;     /* threads that read inputs the stat cache cannot vouch for; 0: one per core */
	/* NULL: what stops a key (a missing input, a COPY source not in the context) is printed; else it is appended
	 * here, a line each, instead: for keying a task whose dependency would run first in a dry run or -t explain,
	 * when what it reads may not be made yet */
	struct buf *quiet_errs;
};

/* key_error: report what stops t's key, as error() does or into ke->quiet_errs; a fmt ending in ':' gets
 * strerror(errno). Returns -1. */
int key_error(const struct keyenv *ke, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* task_key: compute t->parts and t->key from the definition, env, vars, dep keys (which must be computed), input
 * files and the type's parts, and keep the input files with their stat data in t->keyed for task_inputs_check. -1
 * after printing an error naming the task (e.g. a missing input). */
int task_key(struct task *t, const struct keyenv *ke);
/* task_key_quick: task_key, except that when the watched tree vouches for the tree and the walk of t's inputs is on
 * record (filecache_walk_get), one part named "in:" stands for its files and the files are not walked (t->folded;
 * the key is the same). Only for a command task, or one whose type says so (task_ops.foldable); before such a task runs, or anything
 * reads its parts, task_key must key it again (build.c does). */
int task_key_quick(struct task *t, const struct keyenv *ke);
/* task_walk_excludes: the patterns a walk of t's inputs leaves out: its excludes, then the state directory
 * (ke->tmpdir), which every run writes (inputs holding it could never be current). *n is set; the caller frees the
 * array, not its strings. */
const char **task_walk_excludes(const struct task *t, const struct keyenv *ke, size_t *n);
/* task_inputs_check: after a run of t, whether its input files are still what task_key keyed: walked again with a
 * stat call for every file and directory (no watcher's vouch; a directory's cached listing only while its stat data is
 * what the listing was read under: FILESET_RECHECK), each file's stat data (size,
 * mtime, ctime, inode, device, mode) compared, and the content too of a file that had changed within the timestamp
 * granularity before it was keyed (FILECACHE_RACY_NS). 0 unchanged; 1 changed, with "'path' changed" (or "was
 * added", "was removed") in why; -1 after printing an error. */
int task_inputs_check(struct task *t, const struct keyenv *ke, struct buf *why);
/* task_key_poison: replace t->key by one no computation gives, for a result that must not count as current: the
 * keys of its dependents (dep:NAME) then differ from any they had or will have. */
void task_key_poison(struct task *t);
/* task_paths: append the files t's key read from its inputs (none before task_key), then the files and directories
 * its type adds (ops->paths: a Dockerfile and its context), to files and dirs; neither sorted nor unique. */
void task_paths(const struct task *t, struct strv *files, struct strv *dirs);
/* keyinputs_free: free what task_key kept in t->keyed (NULL is fine). */
void keyinputs_free(struct keyinputs *ki);
/* task_outputs_digest: digest of t's declared outputs (path, content, executable bit, symlink target, every file
 * below a directory output). 0; 1 with the missing output's path in
 * why when one is missing; -1 on a read error. Zero hash when there are no outputs. */
int task_outputs_digest(struct task *t, const struct keyenv *ke, struct hash128 *out, struct buf *why);

#endif
