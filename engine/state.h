/* state: the persistent store in .sindri-build/: each task's last successful key, timings, side blobs, the lock. */
#ifndef SB_STATE_H
#define SB_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct buf;
struct state;

/* The record of a task's last successful run. */
struct taskrec {
	const char *name;        /* owned by the state once stored */
	struct hash128 key;      /* the task key of that run */
	struct hash128 outputs;  /* digest of its outputs after the run (zero: none) */
	int64_t end_ns;          /* wall clock at the end of the run */
	int64_t last_ns;         /* duration of the last run */
	int64_t total_ns;        /* sum of all recorded run durations */
	uint32_t runs;           /* how many successful runs were recorded */
};

enum {
	STATE_WRITE = 1 << 0, /* create the directory, take the lock (waiting, and saying who holds it), allow writes */
	STATE_NOWAIT = 1 << 1, /* with STATE_WRITE: fail instead of waiting when another run holds the lock */
};

#define STATE_VERSION 1

/*
 * state_open: open the store in dir. Read-only (flags 0) never creates or modifies anything: a missing directory is an
 * empty state. The task log is append-only with a checksum per record, so a torn tail (kill -9 during a write) is
 * ignored, and in write mode truncated away before the next append. A corrupt header or a foreign STATE_VERSION is
 * reported with a clear message naming the file; in write mode the file is moved aside to "<file>.bad" and rebuilt
 * empty, in read-only mode it is read as empty. Returns NULL after printing an error (e.g. cannot create dir).
 */
struct state *state_open(const char *dir, int flags);
/* state_dir: the directory given to state_open. */
const char *state_dir(const struct state *s);
/* state_get: the latest record for name, or NULL. Valid until the next state_record/state_forget/state_close. */
const struct taskrec *state_get(const struct state *s, const char *name);
/* state_record: durably append rec (write + fdatasync); replaces any earlier record of rec->name. -1 on error. */
int state_record(struct state *s, const struct taskrec *rec);
/* state_record_lazy: state_record without waiting for the disk, for a record whose loss costs nothing (a run that
 * settled no key); a crash may lose it, or leave it torn at the log's end, where the next load drops it. */
int state_record_lazy(struct state *s, const struct taskrec *rec);
/* state_forget: append a tombstone so name has no record. -1 on error. */
int state_forget(struct state *s, const char *name);
/* state_each: call fn for every live record, sorted by name. */
void state_each(const struct state *s, void (*fn)(const struct taskrec *rec, void *arg), void *arg);
/* state_put_blob: store data as the side blob of name (atomic replace). -1 on error. */
int state_put_blob(struct state *s, const char *name, const void *data, size_t n);
/* state_get_blob: append the side blob of name to out. 0, or -1 when there is none. */
int state_get_blob(const struct state *s, const char *name, struct buf *out);
/* state_close: in write mode compact the log when it holds many dead records, then release the lock; free s. */
void state_close(struct state *s);

#endif
