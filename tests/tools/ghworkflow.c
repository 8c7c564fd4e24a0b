/*
 * ghworkflow: check a GitHub Actions workflow file with libyaml and the keys GitHub documents for workflows, jobs
 * and steps ("Workflow syntax for GitHub Actions"), for tests/sh/t0053-ci-workflow.sh.
 *   ghworkflow FILE      exit 0 when FILE is YAML and a workflow by those keys; else 1, with "FILE:LINE: what"
 *   ghworkflow -r FILE   the same, then print each step's run script, each line prefixed "JOB STEP: "
 * Checked: the YAML parses (one document); no mapping repeats a key; the top level has "on" and "jobs" and only
 * documented keys; each job has "runs-on" and "steps" (or "uses", a reusable workflow) and only documented keys;
 * each step has exactly one of "uses" and "run" and only documented keys; every "${{" closes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

static const char *file;
static int errors;

static void bad(const yaml_node_t *n, const char *fmt, const char *what)
{
	fprintf(stderr, "%s:%lu: ", file, n ? (unsigned long)n->start_mark.line + 1 : 0UL);
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
	errors++;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int listed(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* get: the value of key in mapping m, or NULL. */
static yaml_node_t *get(yaml_document_t *d, const yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(d, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* keys: check that mapping m (a what) has only keys from set and none twice. */
static void keys(yaml_document_t *d, const yaml_node_t *m, const char *const *set, const char *what)
{
	if (!m || m->type != YAML_MAPPING_NODE) {
		bad(m, "%s is not a mapping", what);
		return;
	}
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(d, p->key);
		const char *k = scalar(kn);
		if (!k) {
			bad(kn, "a key of %s is not a string", what);
			continue;
		}
		if (set && !listed(k, set))
			bad(kn, "unknown key '%s'", k);
		for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; q++)
			if (scalar(yaml_document_get_node(d, q->key)) && !strcmp(scalar(yaml_document_get_node(d, q->key)), k))
				bad(kn, "the key '%s' is repeated", k);
	}
}

/* walk: check every scalar below n for an unclosed "${{", and every mapping for a repeated key. */
static void walk(yaml_document_t *d, yaml_node_t *n, int depth)
{
	if (!n || depth > 64)
		return;
	if (n->type == YAML_SCALAR_NODE) {
		for (const char *s = scalar(n); (s = strstr(s, "${{")); s += 3)
			if (!strstr(s, "}}"))
				bad(n, "an expression '%s' does not close", "${{");
	} else if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++)
			walk(d, yaml_document_get_node(d, *i), depth + 1);
	} else {
		keys(d, n, NULL, "a mapping");
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
			walk(d, yaml_document_get_node(d, p->value), depth + 1);
	}
}

int main(int argc, char **argv)
{
	static const char *const top[] = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency",
	                                  "jobs", NULL};
	static const char *const job[] = {"name", "needs", "permissions", "if", "runs-on", "environment", "concurrency",
	                                  "outputs", "env", "defaults", "steps", "timeout-minutes", "strategy",
	                                  "continue-on-error", "container", "services", "uses", "with", "secrets", NULL};
	static const char *const step[] = {"id", "if", "name", "uses", "run", "shell", "with", "env", "continue-on-error",
	                                   "timeout-minutes", "working-directory", NULL};
	int runs = argc == 3 && strcmp(argv[1], "-r") == 0;
	yaml_parser_t parser;
	yaml_document_t doc;
	FILE *f;

	if (argc != 2 + runs) {
		fprintf(stderr, "usage: ghworkflow [-r] FILE\n");
		return 2;
	}
	file = argv[1 + runs];
	if (!(f = fopen(file, "rb"))) {
		perror(file);
		return 1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		fprintf(stderr, "%s:%lu: not YAML: %s\n", file, (unsigned long)parser.problem_mark.line + 1,
		        parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		fclose(f);
		return 1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc), *jobs;
	if (!root) {
		bad(NULL, "%s", "empty document");
		goto out;
	}
	walk(&doc, root, 0);
	keys(&doc, root, top, "the workflow");
	if (!get(&doc, root, "on"))
		bad(root, "%s", "no 'on' (the events that run the workflow)");
	if (!(jobs = get(&doc, root, "jobs")) || jobs->type != YAML_MAPPING_NODE || !jobs->data.mapping.pairs.top ||
	    jobs->data.mapping.pairs.top == jobs->data.mapping.pairs.start) {
		bad(jobs ? jobs : root, "%s", "'jobs' is missing or empty");
		goto out;
	}
	for (yaml_node_pair_t *p = jobs->data.mapping.pairs.start; p < jobs->data.mapping.pairs.top; p++) {
		const char *id = scalar(yaml_document_get_node(&doc, p->key));
		yaml_node_t *j = yaml_document_get_node(&doc, p->value), *steps;
		keys(&doc, j, job, "a job");
		if (get(&doc, j, "uses"))
			continue;
		if (!get(&doc, j, "runs-on"))
			bad(j, "job '%s' has no 'runs-on'", id);
		if (!(steps = get(&doc, j, "steps")) || steps->type != YAML_SEQUENCE_NODE) {
			bad(j, "job '%s' has no list of 'steps'", id);
			continue;
		}
		int k = 0;
		for (yaml_node_item_t *i = steps->data.sequence.items.start; i < steps->data.sequence.items.top; i++) {
			yaml_node_t *s = yaml_document_get_node(&doc, *i);
			const char *run = scalar(get(&doc, s, "run"));
			k++;
			keys(&doc, s, step, "a step");
			if (!get(&doc, s, "uses") == !get(&doc, s, "run"))
				bad(s, "a step of job '%s' needs exactly one of 'uses' and 'run'", id);
			if (get(&doc, s, "run") && !run)
				bad(s, "a step of job '%s' has a 'run' that is not a string", id);
			for (const char *l = run; runs && l && *l;) {
				size_t n = strcspn(l, "\n");
				printf("%s %d: %.*s\n", id, k, (int)n, l);
				l += n + (l[n] == '\n');
			}
		}
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return errors ? 1 : 0;
}
