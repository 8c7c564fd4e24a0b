/* secret: secrets in keys. A secret's value reaches a key only as an HMAC-SHA-256 under a key of this machine (or
 * SINDRI_BUILD_SECRET_KEY), so nothing sindri-build writes or prints can be reversed offline to the value. */
#ifndef SB_SECRET_H
#define SB_SECRET_H

#include <stddef.h>

#include "hash.h"

struct keyenv;
struct keyparts;
struct task;

#define SECRET_KEY_ENV "SINDRI_BUILD_SECRET_KEY"

/* The HMAC key of a run: SINDRI_BUILD_SECRET_KEY's value, else the key file's text (64 hex digits, 32 random
 * bytes), made on first need. Owner calls secretkey_release. */
struct secretkey {
	char *path;         /* the key file in the state directory */
	char *key;          /* the key once known (NUL-terminated text), wiped when released; NULL until then */
	size_t keylen;
	int note;           /* a warning about SINDRI_BUILD_SECRET_KEY to give when the key is first needed */
	int told;           /* the warning that keys are provisional (read-only, no key yet) was given */
};

/* secretkey_init: a key kept in the file path; takes SINDRI_BUILD_SECRET_KEY now and removes it from the
 * environment, so that no task, docker client or helper process inherits it. */
void secretkey_init(struct secretkey *sk, const char *path);
/* secretkey_release: wipe and free the key. */
void secretkey_release(struct secretkey *sk);
/* secretkey_get: the key: *key and *len set and 1; 0 when there is none yet and readonly forbids making the file
 * (a warning is printed once: keys with secrets are then provisional); -1 after printing an error. The file is
 * made atomically with mode 0600 (link of a complete temporary file), so two runs never use two keys. */
int secretkey_get(struct secretkey *sk, int readonly, const char **key, size_t *len);

/* secret_digest: the key part's hash for secret name holding value (NULL: unset, keyed apart from ""): the first
 * 128 bits of HMAC-SHA-256 under key over a versioned, unambiguous encoding of name and value. */
struct hash128 secret_digest(const char *key, size_t keylen, const char *name, const char *value);
/* secret_add_parts: add one part "secret:NAME" per secret of t (value from the environment, no text kept), sorted
 * by name. With no key yet in read-only mode, a fixed stand-in no run ever records. -1 after printing an error. */
int secret_add_parts(struct task *t, struct keyparts *kp, const struct keyenv *ke);
/* secret_name_ok: 1 when name can be a secret's name (an environment variable name: [A-Za-z_][A-Za-z0-9_]*). */
int secret_name_ok(const char *name);
/* secret_name_like: 1 when a variable's name says it holds a secret: TOKEN, PASSWORD (PASSWD), SECRET or KEY
 * (plurals, trailing digits and any case too) as a whole word between '_' (or other non-alphanumerics), or one
 * word ending in TOKEN, PASSWORD or SECRET (NPMTOKEN), or APIKEY-like compounds; never KEYBOARD_LAYOUT or MONKEY. */
int secret_name_like(const char *name);

#endif
