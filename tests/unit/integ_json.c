/* integ_json: the JSON reader (through libyaml) and writer, on Docker Engine API shapes and on JSON's corners. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "t.h"
#include "util.h"

static struct json *parse(const char *text)
{
	struct buf err = BUF_INIT;
	struct json *j = json_parse(text, strlen(text), &err);

	if (!j)
		fprintf(stderr, "unexpected parse error: %s\n", err.data);
	buf_release(&err);
	return j;
}

/* roundtrip: parse text and write it back compactly; "ERROR: msg" when it does not parse. Caller frees. */
static char *roundtrip_n(const char *text, size_t n)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	struct json *j = json_parse(text, n, &err);

	if (!j) {
		buf_adds(&out, "ERROR: ");
		buf_adds(&out, err.data);
	} else {
		json_write(&out, j);
	}
	json_free(j);
	buf_release(&err);
	return buf_detach(&out);
}

static char *roundtrip(const char *text)
{
	return roundtrip_n(text, strlen(text));
}

#define CHECK_RT(in, want) \
	do { \
		char *got_ = roundtrip(in); \
		CHECK_STR(got_, want); \
		free(got_); \
	} while (0)

/* CHECK_ERR: parsing fails and the message contains `part`. */
#define CHECK_ERR(in, part) \
	do { \
		char *got_ = roundtrip(in); \
		CHECK(strncmp(got_, "ERROR: ", 7) == 0 && strstr(got_, part) != NULL); \
		if (strncmp(got_, "ERROR: ", 7) != 0 || !strstr(got_, part)) \
			fprintf(stderr, "  input %s gave: %s\n", in, got_); \
		free(got_); \
	} while (0)

/* Captured from dockerd 20.10 (API 1.41): GET /images/busybox:local/json, trimmed. */
static const char image_inspect[] =
	"{\"Id\":\"sha256:5f9015bdf2bf3c5b4ad08ed00ee43627e7a5a59c52d264a4ee98a3187301f8e8\",\"RepoTags\":[\"busybox:local\","
	"\"localhost:5000/sindri:base-1\"],\"RepoDigests\":[],\"Parent\":\"\",\"Comment\":\"Imported from -\",\"Created\":"
	"\"2026-11-27T12:35:44.876231621Z\",\"Container\":\"\",\"Config\":{\"Hostname\":\"\",\"User\":\"\","
	"\"AttachStdin\":false,\"Tty\":false,\"Env\":null,\"Cmd\":[\"/bin/sh\"],\"Image\":\"\",\"Volumes\":null,"
	"\"WorkingDir\":\"\",\"Entrypoint\":null,"
	"\"OnBuild\":null,\"Labels\":{\"org.sindri-build.key\":\"abc123\",\"org.opencontainers.image.source\":"
	"\"https://example.com/x\"}},\"DockerVersion\":\"20.10.24+dfsg1\",\"Architecture\":\"amd64\",\"Os\":\"linux\","
	"\"Size\":1984255,\"VirtualSize\":1984255,\"GraphDriver\":{\"Data\":{\"MergedDir\":\"/var/lib/docker/overlay2/7d17/"
	"merged\"},\"Name\":\"overlay2\"},\"RootFS\":{\"Type\":\"layers\",\"Layers\":["
	"\"sha256:e01c41a643fbaa47e4e9780371ccc658"
	"f353ca12f68023a3dfc846dc64313a6e\"]},\"Metadata\":{\"LastTagTime\":\"2026-11-27T12:35:44.87805824Z\"}}";

/* GET /images/json with a label filter. */
static const char image_list[] =
	"[{\"Containers\":-1,\"Created\":1795782949,\"Id\":\"sha256:4c0df8bcbeccf445dfc037db3e9ea9054cad084def953845d6c34df0"
	"f12d2377\",\"Labels\":{\"org.sindri-build.key\":\"probe1\"},\"ParentId\":\"\",\"RepoDigests\":null,\"RepoTags\":"
	"[\"probe:1\"],\"SharedSize\":-1,\"Size\":1984268,\"VirtualSize\":1984268},{\"Containers\":-1,\"Created\":1795782944,"
	"\"Id\":\"sha256:5f9015bdf2bf\",\"Labels\":null,\"ParentId\":\"\",\"RepoDigests\":null,"
	"\"RepoTags\":[\"<none>:<none>\"],"
	"\"SharedSize\":-1,\"Size\":1984255,\"VirtualSize\":1984255}]\n";

/* GET /system/df (API 1.41 ignores ?type=build-cache and answers everything), trimmed. */
static const char system_df[] =
	"{\"LayersSize\":1984268,\"Images\":[],\"Containers\":[],\"Volumes\":[],\"BuildCache\":[{\"ID\":"
	"\"373mtjwhec2vwnnow0pmelyla\",\"Parent\":\"\",\"Type\":\"source.local\","
	"\"Description\":\"local source for dockerfile\","
	"\"InUse\":false,\"Shared\":false,\"Size\":79,\"CreatedAt\":\"2026-11-27T12:35:49.164096159Z\",\"LastUsedAt\":"
	"\"2026-11-27T12:35:49.696083068Z\",\"UsageCount\":1},{\"ID\":\"p4ujh8pf0tj7shwnxdkq4f0sa\",\"Parent\":"
	"\"rv3598scmjw68rjg642cfd6kt\",\"Type\":\"regular\",\"Description\":\"mount / from exec /bin/sh -c echo hi-$RANDOM "
	"\\u003e /stamp \\u0026\\u0026 sleep 0\",\"InUse\":true,\"Shared\":true,\"Size\":9223372036854775807,\"CreatedAt\":"
	"\"2026-11-27T12:35:49.371743165Z\",\"LastUsedAt\":null,\"UsageCount\":1}],\"BuilderSize\":92}";

static void test_docker_shapes(void)
{
	struct json *j, *labels, *tags, *cache, *r;

	j = parse(image_inspect);
	CHECK(j != NULL);
	CHECK(j && j->type == JSON_OBJECT);
	CHECK_STR(json_str(json_get(j, "Id"), NULL),
	          "sha256:5f9015bdf2bf3c5b4ad08ed00ee43627e7a5a59c52d264a4ee98a3187301f8e8");
	tags = json_get(j, "RepoTags");
	CHECK_INT(json_len(tags), 2);
	CHECK_STR(json_str(json_at(tags, 1), NULL), "localhost:5000/sindri:base-1");
	CHECK_STR(json_str(json_path(j, "RepoTags.0"), NULL), "busybox:local");
	CHECK(json_path(j, "RepoTags.2") == NULL);
	CHECK(json_path(j, "RepoTags.x") == NULL);
	CHECK_INT(json_len(json_get(j, "RepoDigests")), 0);
	CHECK(json_get(j, "RepoDigests")->type == JSON_ARRAY);
	labels = json_path(j, "Config.Labels");
	CHECK_INT(json_len(labels), 2);
	CHECK_STR(json_str(json_get(labels, "org.sindri-build.key"), NULL), "abc123");
	CHECK_STR(json_at(labels, 1)->key, "org.opencontainers.image.source");
	CHECK_STR(json_str(json_get(labels, "org.opencontainers.image.source"), NULL), "https://example.com/x");
	/* Keys holding dots are not paths. */
	CHECK(json_path(j, "Config.Labels.org.sindri-build.key") == NULL);
	CHECK(json_is_null(json_path(j, "Config.Env")));
	CHECK(json_path(j, "Config.Env") != NULL);
	CHECK(json_is_null(json_path(j, "Config.Nope")));
	CHECK_STR(json_str(json_path(j, "Config.Cmd.0"), NULL), "/bin/sh");
	CHECK_INT(json_bool(json_path(j, "Config.Tty"), -1), 0);
	CHECK_INT(json_int(json_get(j, "Size"), -1), 1984255);
	CHECK_STR(json_str(json_path(j, "Config.User"), "root"), "");
	CHECK_STR(json_str(json_path(j, "Config.Missing"), "root"), "root");
	CHECK_STR(json_str(json_path(j, "GraphDriver.Name"), NULL), "overlay2");
	CHECK_STR(json_str(json_path(j, "RootFS.Layers.0"), NULL),
	          "sha256:e01c41a643fbaa47e4e9780371ccc658f353ca12f68023a3dfc846dc64313a6e");
	json_free(j);

	j = parse(image_list);
	CHECK(j && j->type == JSON_ARRAY);
	CHECK_INT(json_len(j), 2);
	CHECK_INT(json_int(json_get(json_at(j, 0), "Containers"), 0), -1);
	CHECK(json_path(j, "0.Labels.org.sindri-build.key") == NULL); /* the dot again */
	CHECK_STR(json_str(json_get(json_path(j, "0.Labels"), "org.sindri-build.key"), NULL), "probe1");
	CHECK(json_is_null(json_path(j, "1.Labels")));
	CHECK_STR(json_str(json_path(j, "1.RepoTags.0"), NULL), "<none>:<none>");
	CHECK_INT(json_int(json_path(j, "1.Created"), 0), 1795782944);
	json_free(j);

	j = parse(system_df);
	cache = json_get(j, "BuildCache");
	CHECK_INT(json_len(cache), 2);
	r = json_at(cache, 1);
	CHECK_STR(json_str(json_get(r, "Description"), NULL),
	          "mount / from exec /bin/sh -c echo hi-$RANDOM > /stamp && sleep 0");
	CHECK_INT(json_int(json_get(r, "Size"), 0), INT64_MAX);
	CHECK_INT(json_bool(json_get(r, "InUse"), 0), 1);
	CHECK_INT(json_bool(json_get(r, "Shared"), 0), 1);
	CHECK(json_is_null(json_get(r, "LastUsedAt")));
	CHECK(json_get(r, "LastUsedAt") != NULL);
	CHECK_INT(json_int(json_get(j, "BuilderSize"), 0), 92);
	CHECK_INT(json_len(json_get(j, "Images")), 0);
	json_free(j);
}

static void test_scalars(void)
{
	struct json *j;

	CHECK_RT("{}", "{}");
	CHECK_RT("[]", "[]");
	CHECK_RT(" [ [ ] , { } , [ [ ] ] ] ", "[[],{},[[]]]");
	CHECK_RT("{\"a\":{\"b\":{\"c\":[1,[2,[3,{\"d\":null}]]]}}}", "{\"a\":{\"b\":{\"c\":[1,[2,[3,{\"d\":null}]]]}}}");
	CHECK_RT("true", "true");
	CHECK_RT("null", "null");
	CHECK_RT("  \"top\"  ", "\"top\"");
	CHECK_RT("-0", "-0");
	CHECK_RT("[0,-1,1.5,-0.25,1e5,1E+2,2e-3,123456789012345678901234567890]",
	         "[0,-1,1.5,-0.25,1e5,1E+2,2e-3,123456789012345678901234567890]");
	CHECK_RT("{\"\":\"\"}", "{\"\":\"\"}");
	CHECK_RT("{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2}");

	j = parse("[9007199254740993, 18446744073709551616, -9223372036854775808, 1.9e3, 2.5, 1e400, \"7\"]");
	CHECK_INT(json_len(j), 7);
	/* 2^53 + 1 is not a double: it must stay exact. */
	CHECK(json_int(json_at(j, 0), 0) == INT64_C(9007199254740993));
	CHECK_STR(json_at(j, 1)->str, "18446744073709551616");
	CHECK_INT(json_int(json_at(j, 1), -7), -7); /* beyond int64: the default, not a wrapped value */
	CHECK(json_num(json_at(j, 1), 0) > 1.8e19);
	CHECK(json_int(json_at(j, 2), 0) == INT64_MIN);
	CHECK_INT(json_int(json_at(j, 3), 0), 1900);
	CHECK_INT(json_int(json_at(j, 4), 0), 2);
	CHECK(json_num(json_at(j, 4), 0) == 2.5);
	CHECK_INT(json_int(json_at(j, 5), -1), -1);
	CHECK_INT(json_int(json_at(j, 6), -1), -1); /* a string is not a number */
	CHECK(json_num(json_at(j, 6), -2) == -2);
	CHECK(json_at(j, 7) == NULL);
	json_free(j);

	j = parse("{\"t\":true,\"f\":false,\"n\":null,\"s\":\"true\",\"dup\":1,\"dup\":2}");
	CHECK_INT(json_bool(json_get(j, "t"), -1), 1);
	CHECK_INT(json_bool(json_get(j, "f"), -1), 0);
	CHECK_INT(json_bool(json_get(j, "s"), -1), -1);
	CHECK(json_get(j, "n")->type == JSON_NULL);
	CHECK_INT(json_int(json_get(j, "dup"), 0), 2); /* the last one, like Go */
	CHECK(json_get(j, "missing") == NULL);
	CHECK(json_get(json_get(j, "t"), "x") == NULL);
	CHECK(json_get(NULL, "x") == NULL);
	CHECK_INT(json_len(json_get(j, "s")), 0);
	json_free(j);
	json_free(NULL);
}

static void test_strings(void)
{
	struct json *j;

	/* JSON's escapes, \/ included, and \u: BMP, surrogate pairs (which YAML alone refuses), a lone surrogate. */
	CHECK_RT("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\"");
	CHECK_RT("\"\\u00e9\\u00E9 \\u20ac \\u003c\\u003e\\u0026\"", "\"éé € <>&\"");
	CHECK_RT("\"\\ud83d\\ude00 x\"", "\"😀 x\"");
	CHECK_RT("\"\\uD83D\\uDE00\\uD83D\\uDE00\"", "\"😀😀\"");
	CHECK_RT("\"a\\ud83d b\"", "\"a\xef\xbf\xbd b\"");
	CHECK_RT("\"\\ude00\"", "\"\xef\xbf\xbd\"");
	CHECK_RT("\"😀 é\"", "\"😀 é\"");
	/* Raw characters YAML treats as line breaks or refuses, which JSON allows inside strings. */
	CHECK_RT("\"a\xc2\x85" "b\"", "\"a\xc2\x85" "b\"");
	CHECK_RT("\"a\xe2\x80\xa8" "b\xe2\x80\xa9\"", "\"a\xe2\x80\xa8" "b\xe2\x80\xa9\"");
	CHECK_RT("\"a\x7f\xc2\x80\xc2\x9f\xef\xbf\xbe\xef\xbf\xbf\"", "\"a\x7f\xc2\x80\xc2\x9f\xef\xbf\xbe\xef\xbf\xbf\"");
	CHECK_RT("[\"\xef\xbb\xbf\"]", "[\"\xef\xbb\xbf\"]");
	/* Colons, hashes, YAML indicators and spaces are plain content inside strings. */
	CHECK_RT("{\"a:b\":\"c: d\",\"http://x:1/y\":\"# not a comment\",\"- x\":\"&a *a !!str ? |\"}",
	         "{\"a:b\":\"c: d\",\"http://x:1/y\":\"# not a comment\",\"- x\":\"&a *a !!str ? |\"}");
	CHECK_RT("[\"  two  spaces  \", \"---\", \"...\"]", "[\"  two  spaces  \",\"---\",\"...\"]");

	j = parse("[\"nul\\u0000inside\", \"\\n\"]");
	CHECK_INT(json_at(j, 0)->len, 10);
	CHECK(memcmp(json_at(j, 0)->str, "nul\0inside", 10) == 0);
	CHECK_STR(json_str(json_at(j, 1), NULL), "\n");
	json_free(j);
}

static void test_layout(void)
{
	struct buf big = BUF_INIT;
	char *got;
	struct json *j;
	size_t k;

	/* Pretty-printed, tabs, CRLF, a line break between a key and its ':', a byte order mark. */
	CHECK_RT("{\n\t\"a\": [\r\n\t\t1,\n\t\t2\n\t],\n\t\"b\"\n\t: \"x\"\n}\n", "{\"a\":[1,2],\"b\":\"x\"}");
	CHECK_RT("\t{\"a\":1}", "{\"a\":1}");
	CHECK_RT("\xef\xbb\xbf{\"a\":1}", "{\"a\":1}");

	/* Keys over YAML's 1024-character simple-key limit, and a long one-line document like Docker's answers. */
	buf_adds(&big, "{\"");
	for (k = 0; k < 3000; k++)
		buf_addc(&big, (char)('a' + k % 26));
	buf_adds(&big, "\"  \n :1, \"");
	for (k = 0; k < 1500; k++)
		buf_adds(&big, "\\u00e9");
	buf_adds(&big, "\":[");
	for (k = 0; k < 20000; k++)
		buf_addf(&big, "%s{\"ID\":\"id-%zu\",\"Size\":%zu}", k ? "," : "", k, k * 1000);
	buf_adds(&big, "]}");
	j = json_parse(big.data, big.len, NULL);
	CHECK(j != NULL);
	CHECK_INT(json_len(j), 2);
	CHECK_INT(strlen(json_at(j, 0)->key), 3000);
	CHECK_INT(json_int(json_at(j, 0), 0), 1);
	CHECK_INT(strlen(json_at(j, 1)->key), 3000); /* 1500 'é' of two bytes */
	CHECK_INT(json_len(json_at(j, 1)), 20000);
	CHECK_STR(json_str(json_get(json_at(json_at(j, 1), 19999), "ID"), NULL), "id-19999");
	CHECK_INT(json_int(json_path(json_at(j, 1), "19999.Size"), 0), 19999000);
	json_free(j);
	buf_release(&big);

	/* Nesting up to the limit works, past it is refused before anything recurses. */
	for (k = 0; k < JSON_MAX_DEPTH; k++)
		buf_addc(&big, '[');
	for (k = 0; k < JSON_MAX_DEPTH; k++)
		buf_addc(&big, ']');
	got = roundtrip(big.data);
	CHECK_STR(got, big.data);
	free(got);
	buf_reset(&big);
	for (k = 0; k <= JSON_MAX_DEPTH; k++)
		buf_addc(&big, '[');
	got = roundtrip(big.data);
	CHECK(strstr(got, "nesting deeper than") != NULL);
	free(got);
	buf_release(&big);
}

static void test_errors(void)
{
	struct buf err = BUF_INIT;
	char *got;

	/* What YAML accepts but JSON does not. */
	CHECK_ERR("[1,]", "line 1, column 4: unexpected ']'");
	CHECK_ERR("{\"a\":1,}", "unexpected '}' (expected a double-quoted object key)");
	CHECK_ERR("{\"a\":1 # comment\n}", "unexpected '#'");
	CHECK_ERR("['single']", "unexpected '''");
	CHECK_ERR("{a: 1}", "unexpected 'a' (expected a double-quoted object key)");
	CHECK_ERR("[yes]", "unexpected word 'yes'");
	CHECK_ERR("[~]", "unexpected '~'");
	CHECK_ERR("[0x1F]", "invalid number");
	CHECK_ERR("[.5]", "unexpected '.'");
	CHECK_ERR("[01]", "invalid number");
	CHECK_ERR("[1.]", "a digit must follow '.'");
	CHECK_ERR("[1e]", "the exponent has no digits");
	CHECK_ERR("[-]", "invalid number");
	CHECK_ERR("[+1]", "unexpected '+'");
	CHECK_ERR("[NaN]", "unexpected 'N'");
	CHECK_ERR("[&a 1, *a]", "unexpected '&'");
	CHECK_ERR("!!str \"x\"", "unexpected '!'");
	CHECK_ERR("--- {}", "invalid number");
	CHECK_ERR("[\"a\": 1]", "expected ',' or ']'");
	CHECK_ERR("{\"a\"}", "expected ':' after an object key");
	CHECK_ERR("{\"a\" 1}", "expected ':' after an object key");
	CHECK_ERR("[1 2]", "expected ',' or ']'");
	CHECK_ERR("{\"a\":1}{}", "unexpected '{' (expected the end of the input");
	CHECK_ERR("\"\\x41\"", "invalid escape '\\x'");
	CHECK_ERR("\"\\a\"", "invalid escape '\\a'");
	CHECK_ERR("\"\\u12\"", "invalid \\u escape");
	CHECK_ERR("\"a\\\nb\"", "invalid escape (backslash before byte 0x0a)");
	CHECK_ERR("\"a\nb\"", "line 1, column 3: raw control character 0x0a");
	CHECK_ERR("\"a\tb\"", "raw control character 0x09");
	CHECK_ERR("\"abc", "line 1, column 1: unterminated string");
	CHECK_ERR("\"\xff\"", "invalid UTF-8");
	CHECK_ERR("\"\xc3\"", "invalid UTF-8");
	CHECK_ERR("\"\xed\xa0\x80\"", "invalid UTF-8"); /* an encoded surrogate */
	CHECK_ERR("\"\xc0\xaf\"", "invalid UTF-8");     /* overlong '/' */
	CHECK_ERR("{\"a\":[1,2", "unexpected end of input (an array is not closed)");
	CHECK_ERR("{", "an object is not closed");
	CHECK_ERR("", "no JSON value");
	CHECK_ERR("  \n ", "line 2, column 2: no JSON value");
	CHECK_ERR("[True]", "unexpected 'T'");
	/* Positions are the caller's, in characters, after rewrites earlier on the line. */
	CHECK_ERR("{\n  \"é\\ud83d\\ude00\xe2\x80\xa8\": 1,\n  \"b\": 2 3}", "line 3, column 10: unexpected '3'");
	CHECK_ERR("\xef\xbb\xbf[1,,2]", "line 1, column 5: unexpected ','");

	/* NULL err: the message goes to stderr through error(); the result is still NULL. */
	CHECK(json_parse("[", 1, NULL) == NULL);
	/* The length is honoured: a NUL byte outside a string is an error, text past len is ignored. */
	got = roundtrip_n("[1]\0[", 4);
	CHECK(strstr(got, "unexpected byte 0x00") != NULL);
	free(got);
	got = roundtrip_n("[1]]]", 3);
	CHECK_STR(got, "[1]");
	free(got);
	CHECK(json_parse("[1] x", 5, &err) == NULL);
	CHECK_STR(err.data, "line 1, column 5: unexpected 'x' (expected the end of the input after the JSON value)");
	buf_release(&err);
}

static void test_writer(void)
{
	struct buf b = BUF_INIT;
	struct json *j;
	const char *args[] = {"sh", "-c", "echo \"hi\"\tthere\n"};
	size_t k;

	json_open(&b, '{');
	json_add_key(&b, "Image");
	json_add_str(&b, "busybox:local");
	json_add_key(&b, "Cmd");
	json_open(&b, '[');
	for (k = 0; k < LEN(args); k++)
		json_add_str(&b, args[k]);
	json_close(&b, ']');
	json_add_key(&b, "Labels");
	json_open(&b, '{');
	json_add_key(&b, "org.sindri-build.key");
	json_add_str(&b, "k=v");
	json_close(&b, '}');
	json_add_key(&b, "Tty");
	json_add_bool(&b, 1);
	json_add_key(&b, "StopTimeout");
	json_add_int(&b, -5);
	json_add_key(&b, "Big");
	json_add_int(&b, INT64_MAX);
	json_add_key(&b, "Nothing");
	json_add_null(&b);
	json_add_key(&b, "Empty");
	json_open(&b, '[');
	json_close(&b, ']');
	json_add_key(&b, "Ctl");
	json_add_strn(&b, "\x01\0\x1f\x7f", 4);
	json_add_key(&b, "Bad");
	json_add_str(&b, "\xff" "ok\xc3");
	json_add_key(&b, "Utf8");
	json_add_str(&b, "é😀");
	json_close(&b, '}');
	CHECK_STR(b.data, "{\"Image\":\"busybox:local\",\"Cmd\":[\"sh\",\"-c\",\"echo \\\"hi\\\"\\tthere\\n\"],"
	                  "\"Labels\":{\"org.sindri-build.key\":\"k=v\"},\"Tty\":true,\"StopTimeout\":-5,"
	                  "\"Big\":9223372036854775807,\"Nothing\":null,\"Empty\":[],\"Ctl\":\"\\u0001\\u0000\\u001f\x7f\","
	                  "\"Bad\":\"\\ufffdok\\ufffd\",\"Utf8\":\"é😀\"}");
	/* What the writer produces, the reader reads back. */
	j = json_parse(b.data, b.len, NULL);
	CHECK(j != NULL);
	CHECK_STR(json_str(json_path(j, "Cmd.2"), NULL), "echo \"hi\"\tthere\n");
	CHECK_INT(json_int(json_get(j, "Big"), 0), INT64_MAX);
	CHECK_INT(json_get(j, "Ctl")->len, 4);
	CHECK(memcmp(json_get(j, "Ctl")->str, "\x01\0\x1f\x7f", 4) == 0);
	CHECK_STR(json_str(json_get(j, "Bad"), NULL), "\xef\xbf\xbdok\xef\xbf\xbd");
	json_free(j);
	buf_release(&b);

	/* Arrays of values and of containers get their commas too. */
	json_open(&b, '[');
	json_add_bool(&b, 0);
	json_add_null(&b);
	json_add_int(&b, 3);
	json_open(&b, '{');
	json_close(&b, '}');
	json_open(&b, '[');
	json_close(&b, ']');
	json_add_str(&b, "");
	json_close(&b, ']');
	CHECK_STR(b.data, "[false,null,3,{},[],\"\"]");
	buf_release(&b);
}

/* json_parse_members: the wanted members whole, the rest of the text still checked. */
static void test_members(void)
{
	static const char *const id[] = {"Id", NULL};
	static const char *const cfg[] = {"Id", "Config", NULL};
	static const char *const absent[] = {"Id", "Nope", NULL};
	const char *img = "{\"Id\":\"sha256:1\",\"RepoTags\":[\"a:1\",\"b:2\"],\"Config\":{\"Labels\":{\"k\":\"v\"},"
	                  "\"Env\":[\"A=1\"]},\"Size\":12,\"RootFS\":{\"Layers\":[\"x\"]}}";
	struct buf err = BUF_INIT;
	struct json *j;

	j = json_parse_members(img, strlen(img), id, &err);
	CHECK_STR(json_str(json_get(j, "Id"), "?"), "sha256:1");
	CHECK_INT(json_len(j), 1); /* stopped after the first member */
	json_free(j);
	j = json_parse_members(img, strlen(img), cfg, &err);
	CHECK_STR(json_str(json_path(j, "Config.Labels.k"), "?"), "v");
	CHECK_STR(json_str(json_path(j, "Config.Env.0"), "?"), "A=1");
	CHECK_STR(json_str(json_path(j, "RepoTags.1"), "?"), "b:2"); /* read on the way */
	CHECK(json_get(j, "Size") == NULL);
	json_free(j);
	/* a member that is not there: everything is read */
	j = json_parse_members(img, strlen(img), absent, &err);
	CHECK_STR(json_str(json_path(j, "RootFS.Layers.0"), "?"), "x");
	CHECK_INT(json_len(j), 5);
	json_free(j);
	/* NULL wants all of it, as json_parse */
	j = json_parse_members(img, strlen(img), NULL, &err);
	CHECK_INT(json_len(j), 5);
	json_free(j);
	/* not an object: the whole value */
	j = json_parse_members("[1,2]", 5, id, &err);
	CHECK_INT(json_len(j), 2);
	json_free(j);
	/* bad JSON after the wanted member is still an error */
	buf_reset(&err);
	const char *bad = "{\"Id\":\"x\",\"Size\":tru}";
	j = json_parse_members(bad, strlen(bad), id, &err);
	CHECK(j == NULL);
	CHECK(err.data && strstr(err.data, "column"));
	json_free(j);
	buf_release(&err);
}

int main(void)
{
	test_members();
	test_docker_shapes();
	test_scalars();
	test_strings();
	test_layout();
	test_errors();
	test_writer();
	return t_done("integ_json");
}
