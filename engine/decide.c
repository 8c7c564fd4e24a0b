/* decide: whether a keyed task must run (task_decide), and the commit point of its successful run (task_record). */
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "graph.h"
#include "hash.h"
#include "key.h"
#include "outputs.h"
#include "state.h"
#include "util.h"

char *task_cmdline(const struct task *t)
{
	struct buf b = BUF_INIT;

	switch (t->run) {
	case RUN_ARGV:
		for (size_t i = 0; i < t->argv.n; i++) {
			if (i)
				buf_addc(&b, ' ');
			buf_add_shquoted(&b, t->argv.v[i]);
		}
		break;
	case RUN_SHELL:
		buf_adds(&b, t->shell);
		break;
	case RUN_FUNC:
		buf_addf(&b, "(%s function)", t->ops && t->ops->kind ? t->ops->kind : "lua");
		break;
	case RUN_NONE:
		break;
	}
	return buf_detach(&b);
}

/* with_result: fold what t's type says its results keep (ops->result) into its outputs' digest *d, as records hold
 * it: 0; 1 when there is no result (why says so); -1 error. */
static int with_result(struct task *t, const struct keyenv *ke, struct hash128 *d, struct buf *why)
{
	struct hash128 res;
	struct hasher h;
	int r = t->ops->result(t, ke, &res, why);

	if (r != 0)
		return r;
	if (!t->outputs.n) {
		*d = res;
		return 0;
	}
	hasher_init(&h);
	hasher_addhash(&h, d);
	hasher_addhash(&h, &res);
	*d = hasher_final(&h);
	return 0;
}

/* ran_loading: t's recorded run loaded a Lua file its key could not cover (KEY_LOADED_PREFIX, in the parts of its
 * explain blob): what the run made is then no result of any key a check could prove. */
static int ran_loading(const struct state *st, const struct task *t)
{
	struct buf blob = BUF_INIT;
	struct keyparts *old = NULL;
	int r = 0;

	if (state_get_blob(st, t->name, &blob) == 0 && (old = keyparts_decode(blob.data, blob.len)))
		for (size_t i = 0; i < old->n && !r; i++)
			r = str_has_prefix(keyparts_name(old, i), KEY_LOADED_PREFIX);
	keyparts_free(old);
	buf_release(&blob);
	return r;
}

int task_decide(struct task *t, const struct state *st, const struct keyenv *ke, struct buf *why)
{
	const struct taskrec *rec = state_get(st, t->name);
	struct hash128 outd;
	int r;

	if (t->flags & TASK_ALWAYS) {
		buf_adds(why, "it always runs (always = true)\n");
		return 1;
	}
	/* A type whose results carry their key (an image label) is current without our record, and also when our
	 * record is of another key: the results made with this very key may come from elsewhere (a no-cache build of
	 * the same inputs by another task, another machine through a registry). */
	int keyed = t->ops && t->ops->check && t->ops->keyed_check && !t->outputs.n;
	if (keyed && (!rec || (!hash_eq(&rec->key, &t->key) && !ran_loading(st, t)))) {
		size_t before = why->len;
		r = t->ops->check(t, ke, why);
		if (r < 0)
			return -1;
		if (r == 1) {
			why->len = before;
			if (why->data)
				why->data[before] = '\0';
			return 0;
		}
		if (rec) {
			/* the key change explains it better than the missing result */
			why->len = before;
			if (why->data)
				why->data[before] = '\0';
		} else if (why->len > before) {
			buf_addc(why, '\n');
			return 1;
		}
	}
	if (!rec) {
		buf_adds(why, "it was never built (no record of a successful run)\n");
		return 1;
	}
	if (!hash_eq(&rec->key, &t->key)) {
		struct buf blob = BUF_INIT;
		struct keyparts *old = NULL;
		if (state_get_blob(st, t->name, &blob) == 0)
			old = keyparts_decode(blob.data, blob.len);
		if (!old || keyparts_explain(old, t->parts, why, 20) == 0)
			buf_adds(why, "its key changed, though none of its parts did (a newer sindri-build keys more of "
			              "them, or its last run was not recorded as current)\n");
		keyparts_free(old);
		buf_release(&blob);
		return 1;
	}
	struct buf miss = BUF_INIT;
	r = task_outputs_digest(t, ke, &outd, &miss);
	if (r < 0) {
		buf_release(&miss);
		return -1;
	}
	if (r == 1) {
		buf_addf(why, "%s\n", miss.data);
		buf_release(&miss);
		return 1;
	}
	buf_release(&miss);
	if (!(t->ops && t->ops->result) && !hash_eq(&outd, &rec->outputs)) {
		buf_adds(why, "an output was changed since the last run\n");
		return 1;
	}
	if (t->ops && t->ops->check) {
		size_t before = why->len;
		r = t->ops->check(t, ke, why);
		if (r < 0)
			return -1;
		if (r == 0) {
			if (why->len == before)
				buf_adds(why, "its results are gone");
			buf_addc(why, '\n');
			return 1;
		}
	}
	/* a record from before results were kept has none to compare with: its outputs' digest alone */
	if (t->ops && t->ops->result && !(!t->outputs.n && hash_is_zero(&rec->outputs))) {
		size_t before = why->len;
		r = with_result(t, ke, &outd, why);
		if (r != 0) {
			if (r == 1)
				buf_addc(why, '\n');
			return r;
		}
		if (!hash_eq(&outd, &rec->outputs)) {
			why->len = before;
			if (why->data)
				why->data[before] = '\0';
			buf_adds(why, "its results were replaced since the last run, under the same key\n");
			return 1;
		}
	}
	return 0;
}

/* save_parts: t's key parts, for explain to name what changed by a later key, unless the same are saved already. */
static void save_parts(struct task *t, struct state *st)
{
	struct buf blob = BUF_INIT, was = BUF_INIT;

	if (t->parts) {
		keyparts_encode(t->parts, &blob);
	} else { /* a run that needed no key (keyless): no parts to explain a later key by */
		struct keyparts *none = keyparts_new();
		keyparts_encode(none, &blob);
		keyparts_free(none);
	}
	/* the same parts as the run before (an always task's): nothing to write */
	if ((state_get_blob(st, t->name, &was) < 0 || was.len != blob.len || memcmp(was.data, blob.data, blob.len)) &&
	    state_put_blob(st, t->name, blob.data, blob.len) < 0)
		warn("task '%s': cannot save the explanation data; explain will be less precise", t->name);
	buf_release(&was);
	buf_release(&blob);
}

int task_record(struct task *t, struct state *st, const struct keyenv *ke, int64_t dur)
{
	const struct taskrec *old = state_get(st, t->name);
	struct taskrec rec = {0};
	struct buf why = BUF_INIT;
	int r = task_outputs_digest(t, ke, &rec.outputs, &why);

	if (r == 0 && t->ops && t->ops->result && (r = with_result(t, ke, &rec.outputs, &why)) == 1)
		r = error("task '%s': its results are not there after its run: %s", t->name, why.data);
	if (r != 0) {
		if (r == 1)
			error("task '%s' did not produce its declared output: %s", t->name, why.data);
		buf_release(&why);
		return -1;
	}
	buf_release(&why);
	save_parts(t, st);
	/* what -t clean may remove: the outputs declared for this run, under its key */
	if (t->outputs.n && outputs_record(st, t) < 0)
		warn("task '%s': cannot save the list of its outputs; -t clean will leave them", t->name);
	rec.name = t->name;
	rec.key = t->key;
	rec.end_ns = now_ns();
	rec.last_ns = dur;
	rec.total_ns = (old ? old->total_ns : 0) + dur;
	rec.runs = (old ? old->runs : 0) + 1;
	/* a run that settled no key (keyless) commits nothing a later run relies on: its record need not wait for the
	 * disk, and losing it in a crash costs only its statistics */
	return t->parts ? state_record(st, &rec) : state_record_lazy(st, &rec);
}

int task_adoptable(const struct task *t, const struct state *st)
{
	const struct taskrec *rec;

	if (!(t->ops && t->ops->keyed_check && t->ops->result && !t->outputs.n && t->parts))
		return 0; /* not a type whose results carry their key: no state lookup on a no-op */
	rec = state_get(st, t->name);
	return !rec || !hash_eq(&rec->key, &t->key);
}

int task_adopt(struct task *t, struct state *st, const struct keyenv *ke)
{
	const struct taskrec *old = state_get(st, t->name);
	struct taskrec rec = {0};
	struct buf why = BUF_INIT;
	int r = t->ops->result(t, ke, &rec.outputs, &why);

	buf_release(&why);
	if (r != 0) /* gone since the check: nothing to adopt, and the next run decides again */
		return r < 0 ? -1 : 0;
	save_parts(t, st);
	rec.name = t->name;
	rec.key = t->key;
	if (old) { /* not a run: the statistics stay those of the runs */
		rec.end_ns = old->end_ns;
		rec.last_ns = old->last_ns;
		rec.total_ns = old->total_ns;
		rec.runs = old->runs;
	}
	/* losing it costs only an adoption again by the next run */
	return state_record_lazy(st, &rec);
}
