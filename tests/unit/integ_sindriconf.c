/*
 * integ_sindriconf: unit tests of sindriconf, then every golden case under tests/golden/sindriconf/<case>/ (argv[1]
 * names another directory). A case holds sindri.yaml, parsed under the name "sindri.yaml", and "expected":
 * sindriconf_dump's text, or "error: <message>" and a newline. SB_GOLDEN_UPDATE=1 rewrites the expected files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"
#include "sindriconf.h"
#include "t.h"
#include "util.h"

#define CHECK_POS(p, l, c) \
	do { \
		CHECK_INT((p).line, l); \
		CHECK_INT((p).col, c); \
	} while (0)

static struct sindriconf *parse(const char *text, struct buf *err)
{
	buf_reset(err);
	return sindriconf_parse("sindri.yaml", text, strlen(text), err);
}

/* parse_err: the error message for text ("" when it parsed). */
static const char *parse_err(const char *text, struct buf *err)
{
	struct sindriconf *conf = parse(text, err);

	if (conf) {
		sindriconf_free(conf);
		buf_reset(err);
		buf_adds(err, "");
	}
	return err->data;
}

static void test_valid_name(void)
{
	static const char *const good[] = {"a", "Z", "0", "sindri-dev02", "a.b_c-d", "9lives", "x..", "A_"};
	static const char *const bad[] = {"", "-dev", "_dev", ".dev", "my dev", "dev/x", "dév", "dev:1", "a\n"};

	for (size_t i = 0; i < LEN(good); i++)
		CHECK(sindriconf_valid_name(good[i]));
	for (size_t i = 0; i < LEN(bad); i++)
		CHECK(!sindriconf_valid_name(bad[i]));
}

/* test_bools: which words buildFromSource.enabled takes, and the message for the rest. */
static void test_bools(void)
{
	static const struct {
		const char *word;
		int want; /* 1, 0, or -1 for an error */
		const char *msg;
	} cases[] = {
		{"true", 1, NULL}, {"True", 1, NULL}, {"TRUE", 1, NULL}, {"yes", 1, NULL}, {"Yes", 1, NULL},
		{"ON", 1, NULL}, {"false", 0, NULL}, {"False", 0, NULL}, {"no", 0, NULL}, {"NO", 0, NULL},
		{"off", 0, NULL}, {"!!bool true", 1, NULL},
		{"TrUe", -1, "sindri.yaml:4:14: 'deployment.buildFromSource.enabled' must be a boolean, not the string "
		             "'TrUe'; write true or false"},
		{"y", -1, "sindri.yaml:4:14: 'deployment.buildFromSource.enabled' must be a boolean, not the string 'y'; "
		          "write true or false"},
		{"1", -1, "sindri.yaml:4:14: 'deployment.buildFromSource.enabled' must be a boolean, not the number '1'; "
		          "write true or false"},
		{"'yes'", -1, "sindri.yaml:4:14: 'deployment.buildFromSource.enabled' must be a boolean, not the quoted "
		              "string 'yes'; write true or false without quotes"},
		{"[true]", -1, "sindri.yaml:4:14: 'deployment.buildFromSource.enabled' must be a boolean, not a list; "
		               "write true or false"},
	};
	struct buf err = BUF_INIT;

	for (size_t i = 0; i < LEN(cases); i++) {
		char *text = xasprintf("name: dev\ndeployment:\n  buildFromSource:\n    enabled: %s\n", cases[i].word);
		struct sindriconf *conf = parse(text, &err);

		if (cases[i].want < 0) {
			CHECK(conf == NULL);
			CHECK_STR(err.data, cases[i].msg);
		} else {
			CHECK(conf != NULL);
			if (conf) {
				CHECK_INT(conf->from_source, cases[i].want);
				CHECK_INT(conf->from_source_at.line, 4);
				CHECK_INT(conf->from_source_at.col, 14);
			}
		}
		sindriconf_free(conf);
		free(text);
	}
	buf_release(&err);
}

/* test_scalar_types: plain scalars that YAML reads as numbers, booleans or null are not names; quoted ones are. */
static void test_scalar_types(void)
{
	static const struct {
		const char *value;
		const char *name; /* the name read, or NULL for an error */
		const char *what; /* what the message calls a rejected value */
	} cases[] = {
		{"123", NULL, "the number '123'"},    {"-7", NULL, "the number '-7'"},      {"0x1F", NULL, "the number '0x1F'"},
		{"0o17", NULL, "the number '0o17'"},  {"1e3", NULL, "the number '1e3'"},    {".5", NULL, "the number '.5'"},
		{"3.", NULL, "the number '3.'"},      {".inf", NULL, "the number '.inf'"},  {"-.Inf", NULL, "the number '-.Inf'"},
		{".NaN", NULL, "the number '.NaN'"},  {"off", NULL, "the boolean 'off'"},   {"{a: b}", NULL, "a mapping"},
		{"'123'", "123", NULL},               {"\"0x1F\"", "0x1F", NULL},           {"1.2.3", "1.2.3", NULL},
		{"0o8", "0o8", NULL},                 {"1e", "1e", NULL},                   {"v1.0", "v1.0", NULL},
		{"e5", "e5", NULL},                   {"0x", "0x", NULL},                   {"nully", "nully", NULL},
		{"!!str dev", "dev", NULL},
	};
	struct buf err = BUF_INIT;

	for (size_t i = 0; i < LEN(cases); i++) {
		char *text = xasprintf("name: %s\n", cases[i].value);
		struct sindriconf *conf = parse(text, &err);

		if (cases[i].name) {
			CHECK(conf != NULL);
			CHECK_STR(conf ? conf->name : err.data, cases[i].name);
		} else {
			char *want = xasprintf("sindri.yaml:1:7: 'name' must be a string, not %s; %s", cases[i].what,
			                       strchr("{[", cases[i].value[0]) ? "give a single value" : "put the value in quotes");

			CHECK(conf == NULL);
			CHECK_STR(err.data, want);
			free(want);
		}
		sindriconf_free(conf);
		free(text);
	}
	/* the null spellings make the name absent */
	static const char *const nulls[] = {"~", "null", "Null", "NULL", ""};
	for (size_t i = 0; i < LEN(nulls); i++) {
		char *text = xasprintf("name: %s\n", nulls[i]);

		CHECK_STR(parse_err(text, &err), "sindri.yaml:1:1: no workspace name: set workspace.name (or name)");
		free(text);
	}
	buf_release(&err);
}

/* test_positions: every field's line and column, read back from the struct rather than the dump. */
static void test_positions(void)
{
	static const char text[] = "# c\n"
	                           "name: pos\n"
	                           "deployment:\n"
	                           "  provider:   docker\n"
	                           "  image: 'img:1'\n"
	                           "  buildFromSource: {enabled: false, gitRef: v3.1.4}\n"
	                           "extensions:\n"
	                           "  profile: minimal\n"
	                           "  active: [a, b]\n"
	                           "  additional:\n"
	                           "  - c\n";
	struct buf err = BUF_INIT;
	struct sindriconf *conf = parse(text, &err);

	CHECK(conf != NULL);
	if (!conf) {
		fprintf(stderr, "%s\n", err.data);
		buf_release(&err);
		return;
	}
	CHECK_STR(conf->name, "pos");
	CHECK_POS(conf->name_at, 2, 7);
	CHECK_STR(conf->provider, "docker");
	CHECK_POS(conf->provider_at, 4, 15);
	CHECK_STR(conf->image, "img:1");
	CHECK_POS(conf->image_at, 5, 10);
	CHECK_INT(conf->from_source, 0);
	CHECK_POS(conf->from_source_at, 6, 30);
	CHECK_STR(conf->git_ref, "v3.1.4");
	CHECK_POS(conf->git_ref_at, 6, 45);
	CHECK_STR(conf->profile, "minimal");
	CHECK_POS(conf->profile_at, 8, 12);
	CHECK_POS(conf->extensions_at, 8, 3);
	CHECK_INT(conf->nextensions, 3);
	if (conf->nextensions == 3) {
		CHECK_STR(conf->extensions[0], "a");
		CHECK_STR(conf->extensions[1], "b");
		CHECK_STR(conf->extensions[2], "c");
		CHECK_POS(conf->extension_at[1], 9, 15);
		CHECK_POS(conf->extension_at[2], 11, 5);
	}
	CHECK_STR(conf->path, "sindri.yaml");
	sindriconf_free(conf);

	/* a defaulted field has no position */
	conf = parse("name: d\n", &err);
	CHECK(conf != NULL);
	if (conf) {
		CHECK_STR(conf->provider, "docker");
		CHECK_INT(conf->provider_at.line, 0);
		CHECK(conf->image == NULL && conf->git_ref == NULL && conf->profile == NULL);
		CHECK_INT(conf->nextensions, 0);
		CHECK(conf->extensions == NULL);
	}
	sindriconf_free(conf);
	buf_release(&err);
}

/* test_err_buf: errors are appended, as one line with no newline, and a success leaves err alone. */
static void test_err_buf(void)
{
	struct buf err = BUF_INIT;
	struct sindriconf *conf;

	buf_adds(&err, "before|");
	conf = sindriconf_parse("cfg.yaml", "extensions: 3\n", 14, &err);
	CHECK(conf == NULL);
	CHECK(str_has_prefix(err.data, "before|cfg.yaml:1:1: no workspace name"));
	CHECK(strchr(err.data, '\n') == NULL);
	buf_reset(&err);
	conf = sindriconf_parse("cfg.yaml", "name: ok\n", 9, &err);
	CHECK(conf != NULL);
	CHECK_INT(err.len, 0);
	sindriconf_free(conf);
	/* text need not be NUL-terminated: only len bytes are read */
	conf = sindriconf_parse("cfg.yaml", "name: abcdef", 8, &err);
	CHECK(conf != NULL);
	CHECK_STR(conf ? conf->name : err.data, "ab");
	sindriconf_free(conf);
	sindriconf_free(NULL);
	buf_release(&err);
}

/* parse_in_time: parse text, which must take well under a second; a lookup that searched merged mappings again on
 * every path (2^depth) would hang, and the alarm fails the test instead. */
static struct sindriconf *parse_in_time(const char *text, struct buf *err)
{
	struct sindriconf *conf;

	alarm(20);
	conf = sindriconf_parse("merge.yaml", text, strlen(text), err);
	alarm(0);
	return conf;
}

/* test_merge_loops: a mapping merged in again (into itself, or through a chain that doubles at each level) is
 * searched once: the file is read at once, with the values the merges give. */
static void test_merge_loops(void)
{
	struct buf err = BUF_INIT, y = BUF_INIT;
	struct sindriconf *conf;

	conf = parse_in_time("x-self: &s\n  provider: docker\n  <<: *s\n  <<: *s\n  <<: [*s, *s, *s]\n"
	                     "workspace: {name: looped}\ndeployment:\n  <<: [*s, *s]\n  image: img:1\n", &err);
	CHECK(conf != NULL);
	CHECK_STR(conf ? conf->name : err.data, "looped");
	sindriconf_free(conf);
	buf_reset(&err);
	/* 30 levels, each merging the one before twice: 2^30 paths to the bottom, where the image is */
	buf_adds(&y, "x-a0: &a0 {image: deep:1, provider: docker}\n");
	for (int i = 1; i <= 30; i++)
		buf_addf(&y, "x-a%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i - 1, i - 1);
	buf_adds(&y, "workspace: {name: doubled}\ndeployment:\n  <<: *a30\n");
	conf = parse_in_time(y.data, &err);
	CHECK(conf != NULL);
	CHECK_STR(conf && conf->image ? conf->image : err.data, "deep:1");
	sindriconf_free(conf);
	buf_release(&y);
	buf_release(&err);
}

static char *make_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *dir = xasprintf("%s/sb-sindriconf-XXXXXX", t && *t ? t : "/tmp");

	if (!mkdtemp(dir))
		fatal("cannot create a temporary directory '%s':", dir);
	return dir;
}

static struct hash128 load_hash(const char *path, const char *content, struct sindriconf **confp)
{
	struct buf err = BUF_INIT;
	struct hash128 h = {0, 0};

	if (write_file_atomic(path, content, strlen(content)) < 0)
		fatal("cannot write '%s':", path);
	*confp = sindriconf_load(path, &err);
	CHECK(*confp != NULL);
	if (*confp)
		h = (*confp)->hash;
	else
		fprintf(stderr, "%s\n", err.data);
	buf_release(&err);
	return h;
}

/* test_load: the hash follows the file's bytes (comments and spacing too), and unreadable files are reported. */
static void test_load(void)
{
	static const char a[] = "name: h\nextensions: [git]\n";
	static const char b[] = "name: h\nextensions: [git] # same fields, other bytes\n";
	static const char c[] = "name: h\nextensions:  [git]\n";
	char *dir = make_tmpdir(), *path = xasprintf("%s/sindri.yaml", dir), *missing = xasprintf("%s/nope.yaml", dir);
	struct sindriconf *ca, *cb, *cc, *ca2;
	struct hash128 ha, hb, hc, ha2, want = hash_bytes(a, strlen(a));
	struct buf err = BUF_INIT, da = BUF_INIT, db = BUF_INIT;
	char hex[HASH_HEX_LEN + 1];

	ha = load_hash(path, a, &ca);
	hb = load_hash(path, b, &cb);
	hc = load_hash(path, c, &cc);
	ha2 = load_hash(path, a, &ca2);
	CHECK(hash_eq(&ha, &want));
	CHECK(!hash_is_zero(&ha));
	CHECK(!hash_eq(&ha, &hb));
	CHECK(!hash_eq(&ha, &hc));
	CHECK(!hash_eq(&hb, &hc));
	CHECK(hash_eq(&ha, &ha2));
	if (ca && cb) {
		CHECK_STR(ca->path, path);
		/* the same fields: the dumps differ in the hash line only */
		sindriconf_dump(ca, &da);
		sindriconf_dump(cb, &db);
		CHECK(strcmp(da.data, db.data) != 0);
		hash_hex(&ca->hash, hex);
		CHECK(strstr(da.data, hex) != NULL);
		*strstr(da.data, "hash ") = '\0';
		*strstr(db.data, "hash ") = '\0';
		CHECK_STR(da.data, db.data);
	}
	sindriconf_free(ca);
	sindriconf_free(cb);
	sindriconf_free(cc);
	sindriconf_free(ca2);

	CHECK(sindriconf_load(missing, &err) == NULL);
	{
		char *want_msg = xasprintf("no sindri.yaml '%s'; CONFIG= and --config name it from the project root: "
		                           "check the path", missing);

		CHECK_STR(err.data, want_msg);
		free(want_msg);
	}
	buf_reset(&err);
	CHECK(sindriconf_load(dir, &err) == NULL);
	{
		char *want_msg = xasprintf("'%s' is a directory, not a sindri.yaml: CONFIG= and --config name the file",
		                           dir);

		CHECK_STR(err.data, want_msg);
		free(want_msg);
	}
	/* an error in a loaded file names the file as given */
	buf_reset(&err);
	if (write_file_atomic(path, "name: 'a b'\n", 12) < 0)
		fatal("cannot write '%s':", path);
	CHECK(sindriconf_load(path, &err) == NULL);
	CHECK(str_has_prefix(err.data, path) && str_has_prefix(err.data + strlen(path), ":1:7: invalid workspace name 'a b'"));
	/* an empty file */
	buf_reset(&err);
	if (write_file_atomic(path, "", 0) < 0)
		fatal("cannot write '%s':", path);
	CHECK(sindriconf_load(path, &err) == NULL);
	CHECK(strstr(err.data, ":1:1: empty configuration") != NULL);

	unlink(path);
	rmdir(dir);
	buf_release(&err);
	buf_release(&da);
	buf_release(&db);
	free(missing);
	free(path);
	free(dir);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* golden_case: parse dir/sindri.yaml and compare the dump (or the error) with dir/expected. */
static void golden_case(const char *root, const char *name, int update)
{
	char *yaml = xasprintf("%s/%s/sindri.yaml", root, name), *exp = xasprintf("%s/%s/expected", root, name);
	struct buf text = BUF_INIT, want = BUF_INIT, got = BUF_INIT, err = BUF_INIT;
	struct sindriconf *conf;

	if (read_file(yaml, &text) < 0)
		fatal("cannot read '%s':", yaml);
	conf = sindriconf_parse("sindri.yaml", text.data, text.len, &err);
	if (conf) {
		sindriconf_dump(conf, &got);
		CHECK(err.len == 0);
	} else {
		/* one message, one line */
		CHECK(err.len > 0 && !strchr(err.data, '\n'));
		buf_addf(&got, "error: %s\n", err.data);
	}
	if (update) {
		if (write_file_atomic(exp, got.data, got.len) < 0)
			fatal("cannot write '%s':", exp);
	} else if (read_file(exp, &want) < 0) {
		t_failed++;
		fprintf(stderr, "golden %s: cannot read '%s': %s\n", name, exp, strerror(errno));
	} else if (want.len == got.len && memcmp(want.data, got.data, got.len) == 0) {
		t_passed++;
	} else {
		t_failed++;
		fprintf(stderr, "golden %s: output differs\n--- expected\n%s--- got\n%s", name, want.data ? want.data : "",
		        got.data);
	}
	sindriconf_free(conf);
	buf_release(&text);
	buf_release(&want);
	buf_release(&got);
	buf_release(&err);
	free(yaml);
	free(exp);
}

static void test_golden(const char *root)
{
	const char *u = getenv("SB_GOLDEN_UPDATE");
	DIR *d = opendir(root);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (!d) {
		t_failed++;
		fprintf(stderr, "cannot open '%s': %s\n", root, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		golden_case(root, names[i], u && strcmp(u, "1") == 0);
		free(names[i]);
	}
	free(names);
	/* a missing or emptied golden directory must not pass quietly */
	CHECK(n >= 30);
}

int main(int argc, char **argv)
{
	test_valid_name();
	test_bools();
	test_scalar_types();
	test_positions();
	test_err_buf();
	test_merge_loops();
	test_load();
	test_golden(argc > 1 ? argv[1] : "tests/golden/sindriconf");
	return t_done("integ_sindriconf");
}
