/* lazygit: the libgit2 functions git/ calls, forwarded to libgit2 loaded on first use (see lazylib.h).
 * One forwarder per function, with libgit2's own prototype: a new call in git/ fails to link until it
 * is added here, and a prototype that does not match the header fails to compile. */
#include <git2.h>
#include <stdarg.h>

#include "lazylib.h"
#include "util.h"

#ifndef SB_LIBGIT2_SONAME
#define SB_LIBGIT2_SONAME "libgit2.so.1.5"
#endif

struct lazylib lazy_git = {SB_LIBGIT2_SONAME, "libgit2-1.5", NULL};

#define GITFN(name) LAZYFN(lazy_git, name)

/* Only the options that take one int are forwarded: those are the ones sindri-build sets. */
int git_libgit2_opts(int option, ...)
{
	int (*fn)(int, ...) = GITFN(git_libgit2_opts);
	va_list ap;
	int r;

	if (option != GIT_OPT_ENABLE_FSYNC_GITDIR && option != GIT_OPT_ENABLE_STRICT_OBJECT_CREATION &&
	    option != GIT_OPT_ENABLE_CACHING)
		fatal("git_libgit2_opts: option %d is not forwarded by lazygit.c", option);
	va_start(ap, option);
	r = fn(option, va_arg(ap, int));
	va_end(ap);
	return r;
}

/* git_libgit2_shutdown: only when loaded; a run that never used git must not load it to shut it down. */
int git_libgit2_shutdown(void)
{
	return lazy_git.handle ? GITFN(git_libgit2_shutdown)() : 0;
}

void git_buf_dispose(git_buf *buffer)
{
	GITFN(git_buf_dispose)(buffer);
}

int git_checkout_options_init(git_checkout_options *opts, unsigned int version)
{
	return GITFN(git_checkout_options_init)(opts, version);
}

int git_checkout_tree(git_repository *repo, const git_object *treeish, const git_checkout_options *opts)
{
	return GITFN(git_checkout_tree)(repo, treeish, opts);
}

void git_commit_free(git_commit *commit)
{
	GITFN(git_commit_free)(commit);
}

int git_commit_lookup(git_commit **commit, git_repository *repo, const git_oid *id)
{
	return GITFN(git_commit_lookup)(commit, repo, id);
}

void git_config_free(git_config *cfg)
{
	GITFN(git_config_free)(cfg);
}

int git_config_get_string_buf(git_buf *out, const git_config *cfg, const char *name)
{
	return GITFN(git_config_get_string_buf)(out, cfg, name);
}

int git_config_set_string(git_config *cfg, const char *name, const char *value)
{
	return GITFN(git_config_set_string)(cfg, name, value);
}

int git_credential_ssh_key_from_agent(git_credential **out, const char *username)
{
	return GITFN(git_credential_ssh_key_from_agent)(out, username);
}

int git_credential_username_new(git_credential **out, const char *username)
{
	return GITFN(git_credential_username_new)(out, username);
}

int git_credential_userpass_plaintext_new(git_credential **out, const char *username, const char *password)
{
	return GITFN(git_credential_userpass_plaintext_new)(out, username, password);
}

const git_error * git_error_last(void)
{
	return GITFN(git_error_last)();
}

int git_fetch_options_init(git_fetch_options *opts, unsigned int version)
{
	return GITFN(git_fetch_options_init)(opts, version);
}

int git_libgit2_init(void)
{
	return GITFN(git_libgit2_init)();
}

void git_object_free(git_object *object)
{
	GITFN(git_object_free)(object);
}

const git_oid * git_object_id(const git_object *obj)
{
	return GITFN(git_object_id)(obj);
}

int git_object_lookup_prefix(git_object **object_out, git_repository *repo, const git_oid *id, size_t len, git_object_t type)
{
	return GITFN(git_object_lookup_prefix)(object_out, repo, id, len, type);
}

int git_object_peel(git_object **peeled, const git_object *object, git_object_t target_type)
{
	return GITFN(git_object_peel)(peeled, object, target_type);
}

int git_oid_cpy(git_oid *out, const git_oid *src)
{
	return GITFN(git_oid_cpy)(out, src);
}

int git_oid_equal(const git_oid *a, const git_oid *b)
{
	return GITFN(git_oid_equal)(a, b);
}

int git_oid_fromstrn(git_oid *out, const char *str, size_t length)
{
	return GITFN(git_oid_fromstrn)(out, str, length);
}

char * git_oid_tostr(char *out, size_t n, const git_oid *id)
{
	return GITFN(git_oid_tostr)(out, n, id);
}

char * git_oid_tostr_s(const git_oid *oid)
{
	return GITFN(git_oid_tostr_s)(oid);
}

void git_reference_free(git_reference *ref)
{
	GITFN(git_reference_free)(ref);
}

void git_reference_iterator_free(git_reference_iterator *iter)
{
	GITFN(git_reference_iterator_free)(iter);
}

int git_reference_iterator_glob_new(git_reference_iterator **out, git_repository *repo, const char *glob)
{
	return GITFN(git_reference_iterator_glob_new)(out, repo, glob);
}

int git_reference_lookup(git_reference **out, git_repository *repo, const char *name)
{
	return GITFN(git_reference_lookup)(out, repo, name);
}

int git_reference_name_to_id(git_oid *out, git_repository *repo, const char *name)
{
	return GITFN(git_reference_name_to_id)(out, repo, name);
}

int git_reference_next_name(const char **out, git_reference_iterator *iter)
{
	return GITFN(git_reference_next_name)(out, iter);
}

int git_reference_peel(git_object **out, const git_reference *ref, git_object_t type)
{
	return GITFN(git_reference_peel)(out, ref, type);
}

int git_remote_create_options_init(git_remote_create_options *opts, unsigned int version)
{
	return GITFN(git_remote_create_options_init)(opts, version);
}

int git_remote_create_with_opts(git_remote **out, const char *url, const git_remote_create_options *opts)
{
	return GITFN(git_remote_create_with_opts)(out, url, opts);
}

int git_remote_fetch(git_remote *remote, const git_strarray *refspecs, const git_fetch_options *opts, const char *reflog_message)
{
	return GITFN(git_remote_fetch)(remote, refspecs, opts, reflog_message);
}

void git_remote_free(git_remote *remote)
{
	GITFN(git_remote_free)(remote);
}

int git_repository_config(git_config **out, git_repository *repo)
{
	return GITFN(git_repository_config)(out, repo);
}

void git_repository_free(git_repository *repo)
{
	GITFN(git_repository_free)(repo);
}

int git_repository_head_detached(git_repository *repo)
{
	return GITFN(git_repository_head_detached)(repo);
}

int git_repository_init(git_repository **out, const char *path, unsigned is_bare)
{
	return GITFN(git_repository_init)(out, path, is_bare);
}

int git_repository_open_ext(git_repository **out, const char *path, unsigned int flags, const char *ceiling_dirs)
{
	return GITFN(git_repository_open_ext)(out, path, flags, ceiling_dirs);
}

int git_repository_set_head_detached(git_repository *repo, const git_oid *committish)
{
	return GITFN(git_repository_set_head_detached)(repo, committish);
}

int git_status_options_init(git_status_options *opts, unsigned int version)
{
	return GITFN(git_status_options_init)(opts, version);
}

int git_status_list_new(git_status_list **out, git_repository *repo, const git_status_options *opts)
{
	return GITFN(git_status_list_new)(out, repo, opts);
}

size_t git_status_list_entrycount(git_status_list *statuslist)
{
	return GITFN(git_status_list_entrycount)(statuslist);
}

const git_status_entry * git_status_byindex(git_status_list *statuslist, size_t idx)
{
	return GITFN(git_status_byindex)(statuslist, idx);
}

void git_status_list_free(git_status_list *statuslist)
{
	GITFN(git_status_list_free)(statuslist);
}
