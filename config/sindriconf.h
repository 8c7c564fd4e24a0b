/* sindriconf: read a Sindri deployment file (sindri.yaml) into the few fields a build needs.
 *
 * Two shapes are accepted, and may be mixed: the maintainer guide's (workspace.name, deployment.{provider, image,
 * buildFromSource.{enabled, gitRef}}, extensions as a list of names) and the Sindri CLI's (top-level name,
 * deployment.{provider, image, image_config, buildFromSource}, extensions.{profile, active, additional}). Keys this
 * module does not know are ignored; known keys with a value of the wrong type are errors. Plain scalars are typed
 * as YAML does: 1.2 core integers, floats and nulls, and the YAML 1.1 booleans (true/false, yes/no, on/off, in
 * lower, Capitalised or UPPER case); quoted scalars are strings; explicit tags (!!str, !!bool...) are honoured; an
 * empty value counts as absent. Anchors, aliases and "<<" merge keys work. A file holds one YAML document (a
 * trailing empty one is allowed). image_config and every other key are left to the Sindri CLI.
 *
 * Ownership: sindriconf_parse and sindriconf_load return a struct the caller frees with sindriconf_free; every
 * string and array in it belongs to it. Errors are appended to err as one line "path:line:col: what; what to do"
 * (1-based, columns in characters), and nothing is printed. */
#ifndef SB_SINDRICONF_H
#define SB_SINDRICONF_H

#include <stddef.h>

#include "hash.h"

struct buf;

/* Where a field was found: 1-based line and column of its value; 0:0 when the field was absent (defaulted). */
struct sindriconf_pos {
	size_t line, col;
};

struct sindriconf {
	char *path;        /* the file name given to sindriconf_load / sindriconf_parse */
	char *name;        /* workspace name (workspace.name or name), a valid container name; never NULL */
	char *provider;    /* deployment.provider; "docker" when absent; never NULL */
	char *image;       /* deployment.image, or NULL */
	int from_source;   /* deployment.buildFromSource.enabled; 0 when absent */
	char *git_ref;     /* deployment.buildFromSource.gitRef, or NULL */
	char *profile;     /* extensions.profile, or NULL */
	char **extensions; /* the extension list, or extensions.active then extensions.additional, in file order */
	size_t nextensions, capextensions; /* capextensions: of extensions and extension_at alike */
	struct hash128 hash; /* XXH3-128 of the file's bytes */
	struct sindriconf_pos name_at, provider_at, image_at, from_source_at, git_ref_at, profile_at, extensions_at;
	struct sindriconf_pos *extension_at; /* one per extensions[i] */
};

/* sindriconf_parse: parse len bytes of YAML text; path is used in messages. NULL with one line appended to err. */
struct sindriconf *sindriconf_parse(const char *path, const char *text, size_t len, struct buf *err);
/* sindriconf_load: read the file at path and parse it; NULL with "cannot read 'path': ..." or a parse error in err. */
struct sindriconf *sindriconf_load(const char *path, struct buf *err);
/* sindriconf_free: free conf and everything in it; NULL is fine. */
void sindriconf_free(struct sindriconf *conf);
/* sindriconf_dump: append a stable, line-per-field text of conf to out (for golden tests and debugging). */
void sindriconf_dump(const struct sindriconf *conf, struct buf *out);
/* sindriconf_valid_name: 1 when s is a valid Docker container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*), else 0. */
int sindriconf_valid_name(const char *s);

#endif
