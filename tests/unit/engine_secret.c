/* engine_secret: secret-looking names, the keyed digest of secret values, the machine key file, and the key parts
 * of a task with secrets. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "graph.h"
#include "hash.h"
#include "key.h"
#include "secret.h"
#include "util.h"
#include "t.h"

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/sb-secret-XXXXXX";

	if (!mkdtemp(tmpl))
		fatal("mkdtemp:");
	return xstrdup(tmpl);
}

static void test_names(void)
{
	static const char *const secret[] = {
		"GITHUB_TOKEN", "NPM_TOKEN", "TOKEN", "github_token", "DB_PASSWORD", "MYSQL_PASSWD", "CLIENT_SECRET",
		"AWS_SECRET_ACCESS_KEY", "API_KEY", "KEY", "SSH_KEY_PASSPHRASE", "SECRETS", "API_KEYS", "NPMTOKEN",
		"DBPASSWORD", "CLIENTSECRET", "APIKEY", "npmToken", "apiKey", "ACCESSKEY", "GITHUB_TOKEN2", "my-secret",
		"registry.password", "TOKENS",
	};
	static const char *const plain[] = {
		"KEYBOARD_LAYOUT", "MONKEY", "TURKEY_MODE", "HOCKEY", "SECRETARY", "TOKENIZER", "PATH", "HOME",
		"PASSWORDLESS_LOGIN", "DONKEYS", "KEYNOTE", "FLAVOR", "", "_", "CACHE_DIR", "MONKEY_KEYBOARD",
	};

	for (size_t i = 0; i < LEN(secret); i++) {
		if (!secret_name_like(secret[i]))
			fprintf(stderr, "  '%s' should look secret\n", secret[i]);
		CHECK(secret_name_like(secret[i]));
	}
	for (size_t i = 0; i < LEN(plain); i++) {
		if (secret_name_like(plain[i]))
			fprintf(stderr, "  '%s' should not look secret\n", plain[i]);
		CHECK(!secret_name_like(plain[i]));
	}
	CHECK(secret_name_ok("NPM_TOKEN"));
	CHECK(secret_name_ok("_x1"));
	CHECK(!secret_name_ok(""));
	CHECK(!secret_name_ok("1X"));
	CHECK(!secret_name_ok("A,B"));
	CHECK(!secret_name_ok("A=B"));
	CHECK(!secret_name_ok("A-B"));
}

static void test_digest(void)
{
	struct hash128 set = secret_digest("k", 1, "NPM_TOKEN", "v");
	struct hash128 empty = secret_digest("k", 1, "NPM_TOKEN", "");
	struct hash128 unset = secret_digest("k", 1, "NPM_TOKEN", NULL);
	struct hash128 again = secret_digest("k", 1, "NPM_TOKEN", "v");
	struct hash128 other_key = secret_digest("K", 1, "NPM_TOKEN", "v");
	struct hash128 other_name = secret_digest("k", 1, "NPM_TOKEN2", "v");
	struct hash128 plain = hash_bytes("v", 1);

	CHECK(hash_eq(&set, &again));
	CHECK(!hash_eq(&set, &empty));
	CHECK(!hash_eq(&empty, &unset));
	CHECK(!hash_eq(&set, &other_key));
	/* the same value under two names must not show that they are equal */
	CHECK(!hash_eq(&set, &other_name));
	CHECK(!hash_eq(&set, &plain));
	/* name and value cannot trade bytes: ("AB", "C") and ("A", "BC") differ */
	struct hash128 ab = secret_digest("k", 1, "AB", "C"), a = secret_digest("k", 1, "A", "BC");
	CHECK(!hash_eq(&ab, &a));
}

/* mode_of: the permission bits of path, or -1. */
static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static void test_keyfile(void)
{
	char *dir = tmpdir();
	char *path = xasprintf("%s/secret-key", dir);
	struct secretkey sk;
	const char *key;
	size_t len;
	char first[65];
	struct buf b = BUF_INIT;

	unsetenv(SECRET_KEY_ENV);
	/* read-only: no key, and no file made */
	secretkey_init(&sk, path);
	CHECK_INT(secretkey_get(&sk, 1, &key, &len), 0);
	CHECK_INT(access(path, F_OK), -1);
	/* a writer makes it once: 64 hex digits, mode 0600, whatever the umask */
	mode_t old = umask(0);
	CHECK_INT(secretkey_get(&sk, 0, &key, &len), 1);
	umask(old);
	CHECK_INT(len, 64);
	CHECK_INT(mode_of(path), 0600);
	memcpy(first, key, 64);
	first[64] = '\0';
	CHECK_INT(read_file(path, &b), 0);
	CHECK_INT(b.len, 65);
	CHECK(b.data && strncmp(b.data, first, 64) == 0);
	secretkey_release(&sk);
	/* a later run (read-only too) uses the same key and leaves the file as it was */
	struct stat before, after;
	stat(path, &before);
	secretkey_init(&sk, path);
	CHECK_INT(secretkey_get(&sk, 1, &key, &len), 1);
	CHECK(len == 64 && memcmp(key, first, 64) == 0);
	secretkey_release(&sk);
	secretkey_init(&sk, path);
	CHECK_INT(secretkey_get(&sk, 0, &key, &len), 1);
	CHECK(len == 64 && memcmp(key, first, 64) == 0);
	secretkey_release(&sk);
	stat(path, &after);
	CHECK(before.st_ino == after.st_ino && before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);

	/* SINDRI_BUILD_SECRET_KEY wins, and leaves the environment so that no task sees it */
	setenv(SECRET_KEY_ENV, "a shared key for every CI runner", 1);
	secretkey_init(&sk, path);
	CHECK(getenv(SECRET_KEY_ENV) == NULL);
	CHECK_INT(secretkey_get(&sk, 0, &key, &len), 1);
	CHECK_STR(key, "a shared key for every CI runner");
	secretkey_release(&sk);
	/* the file's text as SINDRI_BUILD_SECRET_KEY gives the same key */
	setenv(SECRET_KEY_ENV, first, 1);
	secretkey_init(&sk, path);
	CHECK_INT(secretkey_get(&sk, 1, &key, &len), 1);
	CHECK(len == 64 && memcmp(key, first, 64) == 0);
	secretkey_release(&sk);

	/* a damaged file is an error, never a silent new key */
	CHECK_INT(write_file_atomic(path, "short\n", 6), 0);
	secretkey_init(&sk, path);
	CHECK_INT(secretkey_get(&sk, 0, &key, &len), -1);
	secretkey_release(&sk);

	/* two runs making the key at once end up with one key */
	unlink(path);
	int fds[2];
	if (pipe(fds) < 0)
		fatal("pipe:");
	for (int i = 0; i < 4; i++) {
		if (fork() == 0) {
			secretkey_init(&sk, path);
			int ok = secretkey_get(&sk, 0, &key, &len) == 1 && len == 64;
			if (ok && write(fds[1], key, 64) != 64)
				ok = 0;
			_exit(ok ? 0 : 1);
		}
	}
	close(fds[1]);
	int status, bad = 0;
	while (wait(&status) > 0)
		bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	CHECK(!bad);
	char got[4][64];
	int count = 0;
	while (count < 4 && read(fds[0], got[count], 64) == 64)
		count++;
	close(fds[0]);
	CHECK_INT(count, 4);
	for (int i = 1; i < count; i++)
		CHECK(memcmp(got[0], got[i], 64) == 0);
	buf_release(&b);

	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	free(path);
}

/* a task's secret parts: named by the secret, no text, and the key follows the value */
static void test_parts(void)
{
	char *dir = tmpdir();
	char *path = xasprintf("%s/secret-key", dir);
	struct secretkey sk;
	struct keyenv ke = {.rootfd = AT_FDCWD, .secrets = &sk};
	struct task *t = task_new("t");
	struct keyparts *kp = keyparts_new();

	secretkey_init(&sk, path);
	strv_push(&t->secrets, "SB_TEST_SECRET");
	setenv("SB_TEST_SECRET", "hunter2", 1);
	CHECK_INT(secret_add_parts(t, kp, &ke), 0);
	CHECK_INT(kp->n, 1);
	CHECK_STR(keyparts_name(kp, 0), "secret:SB_TEST_SECRET");
	CHECK(keyparts_value(kp, 0) == NULL);
	struct buf enc = BUF_INIT;
	keyparts_encode(kp, &enc);
	CHECK(strstr(enc.data, "hunter2") == NULL);
	struct hash128 first = kp->v[0].h;
	setenv("SB_TEST_SECRET", "hunter3", 1);
	CHECK_INT(secret_add_parts(t, kp, &ke), 0);
	CHECK(!hash_eq(&first, &kp->v[1].h));
	unsetenv("SB_TEST_SECRET");
	CHECK_INT(secret_add_parts(t, kp, &ke), 0);
	CHECK(!hash_eq(&first, &kp->v[2].h) && !hash_eq(&kp->v[1].h, &kp->v[2].h));
	/* and explain names it without a value */
	struct keyparts *a = keyparts_new(), *b = keyparts_new();
	keyparts_add(a, "secret:SB_TEST_SECRET", &kp->v[0].h, NULL);
	keyparts_add(b, "secret:SB_TEST_SECRET", &kp->v[1].h, NULL);
	struct buf why = BUF_INIT;
	CHECK_INT(keyparts_explain(a, b, &why, 10), 1);
	CHECK_STR(why.data, "secret SB_TEST_SECRET changed\n");
	/* a variable that looks secret but is not declared one keeps no text either */
	keyparts_addstr(a, "env:GITHUB_TOKEN", "ghp_value");
	keyparts_addstr(a, "env:FLAVOR", "vanilla");
	CHECK(keyparts_value(a, 1) == NULL);
	CHECK_STR(keyparts_value(a, 2), "vanilla");
	keyparts_free(a);
	keyparts_free(b);
	buf_release(&why);
	buf_release(&enc);
	/* no key to hash with: an error, not a plain hash */
	ke.secrets = NULL;
	CHECK_INT(secret_add_parts(t, kp, &ke), -1);
	keyparts_free(kp);
	task_free(t);
	secretkey_release(&sk);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	free(path);
}

int main(void)
{
	alarm(60);
	test_names();
	test_digest();
	test_keyfile();
	test_parts();
	return t_done("engine_secret");
}
