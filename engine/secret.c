/* secret: the machine's HMAC key, the keyed digest of secret values, and telling secret-looking names apart. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "graph.h"
#include "key.h"
#include "secret.h"
#include "sha256.h"
#include "util.h"

#define RAW_LEN 32
#define HEX_LEN (2 * RAW_LEN)
/* shorter than this, an offline guess of SINDRI_BUILD_SECRET_KEY is within reach */
#define ENV_KEY_MIN 16

/* what to say about SINDRI_BUILD_SECRET_KEY, once a secret first needs the key */
enum { NOTE_NONE, NOTE_EMPTY, NOTE_SHORT };

void secretkey_init(struct secretkey *sk, const char *path)
{
	char *v = getenv(SECRET_KEY_ENV);

	memset(sk, 0, sizeof(*sk));
	sk->path = xstrdup(path);
	if (!v)
		return;
	sk->note = !*v ? NOTE_EMPTY : strlen(v) < ENV_KEY_MIN ? NOTE_SHORT : NOTE_NONE;
	if (*v) {
		sk->keylen = strlen(v);
		sk->key = xstrdup(v);
	}
	/* the value in the process's initial environment block is what /proc/PID/environ shows: blank it too */
	wipe(v, strlen(v));
	unsetenv(SECRET_KEY_ENV);
}

void secretkey_release(struct secretkey *sk)
{
	if (sk->key)
		wipe(sk->key, sk->keylen);
	free(sk->key);
	free(sk->path);
	memset(sk, 0, sizeof(*sk));
}

/* buf_wipe: zero a buffer that held key material, then free it; errno is kept. */
static void buf_wipe(struct buf *b)
{
	int saved = errno;

	if (b->data)
		wipe(b->data, b->cap);
	buf_release(b);
	errno = saved;
}

static int is_hexkey(const char *s, size_t n)
{
	if (n != HEX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* load: the key file: 1 read, 0 there is none, -1 error printed. */
static int load(struct secretkey *sk)
{
	struct buf b = BUF_INIT;

	if (read_file(sk->path, &b) < 0) {
		buf_wipe(&b);
		if (errno == ENOENT)
			return 0;
		return error("cannot read the secret key file '%s':", sk->path);
	}
	if (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (!b.data || !is_hexkey(b.data, b.len)) {
		buf_wipe(&b);
		return error("the secret key file '%s' is damaged (not 64 hex digits); remove it: tasks with secrets then "
		             "run once more, under a new key", sk->path);
	}
	sk->key = xstrndup(b.data, b.len);
	sk->keylen = b.len;
	buf_wipe(&b);
	return 1;
}

/* make: a new key file, whole or not at all: written to a temporary file, then linked to its name, which fails
 * when another run made one meanwhile (then that one is used). -1 after printing an error. */
static int make(struct secretkey *sk)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[RAW_LEN];
	char text[HEX_LEN + 1];
	char *tmp = xasprintf("%s.tmp.%ld", sk->path, (long)getpid());
	size_t got = 0;
	int fd, ret = -1;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno != EINTR) {
			error("cannot make a secret key: getrandom:");
			goto out;
		}
		got += n > 0 ? (size_t)n : 0;
	}
	for (size_t i = 0; i < RAW_LEN; i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 15];
	}
	text[HEX_LEN] = '\n';
	unlink(tmp); /* left by a run killed with our pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		error("cannot create the secret key file '%s':", tmp);
		goto out;
	}
	if (write_all(fd, text, sizeof(text)) < 0 || fsync(fd) < 0) {
		error("cannot write the secret key file '%s':", tmp);
		close(fd);
		goto unlink;
	}
	close(fd);
	if (link(tmp, sk->path) < 0 && errno != EEXIST) {
		error("cannot create the secret key file '%s':", sk->path);
		goto unlink;
	}
	ret = 0;
unlink:
	unlink(tmp);
out:
	wipe(raw, sizeof(raw));
	wipe(text, sizeof(text));
	free(tmp);
	return ret;
}

int secretkey_get(struct secretkey *sk, int readonly, const char **key, size_t *len)
{
	int r;

	if (sk->note == NOTE_EMPTY)
		warn("%s is set but empty; using this machine's key in '%s'", SECRET_KEY_ENV, sk->path);
	else if (sk->note == NOTE_SHORT)
		warn("%s is shorter than %d characters, so an offline guess could find it; use 32 random bytes "
		     "(openssl rand -hex 32)", SECRET_KEY_ENV, ENV_KEY_MIN);
	sk->note = NOTE_NONE;
	if (!sk->key) {
		if ((r = load(sk)) < 0)
			return -1;
		if (r == 0 && readonly) {
			if (!sk->told)
				warn("no secret key yet in '%s': the keys of tasks with secrets are provisional until a build "
				     "makes one (or %s gives one)", sk->path, SECRET_KEY_ENV);
			sk->told = 1;
			return 0;
		}
		if (r == 0) {
			if (make(sk) < 0 || (r = load(sk)) < 0)
				return -1;
			if (r == 0)
				return error("the secret key file '%s' went away as soon as it was made", sk->path);
		}
	}
	*key = sk->key;
	*len = sk->keylen;
	return 1;
}

struct hash128 secret_digest(const char *key, size_t keylen, const char *name, const char *value)
{
	static const char domain[] = "sindri-build secret 1";
	unsigned char mac[SHA256_LEN];
	struct hmac m;
	struct hash128 h = {0, 0};

	/* domain, name and a set/unset byte are NUL-separated; neither a name nor an environment value holds a NUL */
	hmac_init(&m, key, keylen);
	hmac_add(&m, domain, sizeof(domain));
	hmac_add(&m, name, strlen(name) + 1);
	hmac_add(&m, value ? "\1" : "\0", 1);
	if (value)
		hmac_add(&m, value, strlen(value));
	hmac_final(&m, mac);
	for (int i = 0; i < 8; i++) {
		h.lo |= (uint64_t)mac[i] << (8 * i);
		h.hi |= (uint64_t)mac[8 + i] << (8 * i);
	}
	wipe(mac, sizeof(mac));
	return h;
}

int secret_add_parts(struct task *t, struct keyparts *kp, const struct keyenv *ke)
{
	struct buf name = BUF_INIT;
	const char *key = NULL;
	size_t keylen = 0;
	int r;

	if (!t->secrets.n)
		return 0;
	if (!ke->secrets)
		return error("task '%s' has secrets, and this command has no key to hash them with", t->name);
	r = secretkey_get(ke->secrets, ke->readonly, &key, &keylen);
	if (r < 0)
		return error("task '%s': cannot key its secrets", t->name);
	strv_sort(&t->secrets);
	for (size_t i = 0; i < t->secrets.n; i++) {
		/* without a key (read-only, none made yet) a stand-in no recorded run or image label can carry */
		struct hash128 h = {0x6e6f206b6579ULL, 0x7365637265740000ULL};
		if (r == 1)
			h = secret_digest(key, keylen, t->secrets.v[i], getenv(t->secrets.v[i]));
		buf_reset(&name);
		buf_addf(&name, "secret:%s", t->secrets.v[i]);
		keyparts_add(kp, name.data, &h, NULL);
	}
	buf_release(&name);
	return 0;
}

int secret_name_ok(const char *name)
{
	if (!*name || isdigit((unsigned char)*name))
		return 0;
	for (const char *p = name; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_') || (unsigned char)*p > 127)
			return 0;
	return 1;
}

/* word_like: whether one word of a name (upper case, trailing digits gone) says "secret". */
static int word_like(const char *w, size_t n)
{
	static const char *const whole[] = {"TOKEN", "PASSWORD", "PASSWD", "SECRET", "KEY"};
	/* KEY ends too many words (MONKEY, TURKEY, HOCKEY) to count at the end of any: only these compounds */
	static const char *const keyed[] = {"API", "ACCESS", "PRIVATE", "SECRET", "AUTH", "SIGNING", "ENCRYPTION",
	                                    "MASTER", "SESSION", "LICENSE"};

	if (n > 1 && w[n - 1] == 'S')
		n--; /* TOKENS, SECRETS, KEYS */
	for (size_t i = 0; i < LEN(whole); i++) {
		size_t m = strlen(whole[i]);
		if (n == m && memcmp(w, whole[i], m) == 0)
			return 1;
		/* NPMTOKEN, DBPASSWORD, CLIENTSECRET: a word ending in a long one */
		if (i < 4 && n > m && memcmp(w + n - m, whole[i], m) == 0)
			return 1;
	}
	for (size_t i = 0; i < LEN(keyed); i++) {
		size_t m = strlen(keyed[i]);
		if (n == m + 3 && memcmp(w, keyed[i], m) == 0 && memcmp(w + m, "KEY", 3) == 0)
			return 1;
	}
	return 0;
}

int secret_name_like(const char *name)
{
	char w[64];

	for (const char *p = name; *p;) {
		size_t n = 0;
		while (*p && !isalnum((unsigned char)*p))
			p++;
		/* a word: letters and digits; camelCase (npmToken) is one word, which the suffix rule covers */
		while (*p && isalnum((unsigned char)*p)) {
			if (n < sizeof(w))
				w[n] = (char)toupper((unsigned char)*p);
			n++;
			p++;
		}
		if (n > sizeof(w))
			continue;
		while (n && isdigit((unsigned char)w[n - 1]))
			n--;
		if (n && word_like(w, n))
			return 1;
	}
	return 0;
}
