/*
 * dockerfile: read a Dockerfile the way BuildKit does, as far as deciding what a build reads: its stages, the
 * build-context paths that COPY, ADD and RUN --mount=type=bind read, the remote sources it fetches, the images it
 * starts from and the build args it consumes. Every stage is listed; everything else only for the stages the
 * target stage depends on (FROM a stage, COPY --from, RUN --mount from=).
 */
#ifndef SB_DOCKERFILE_H
#define SB_DOCKERFILE_H

#include <stddef.h>

struct buf;

/* A build argument, as given with --build-arg NAME=VALUE; value NULL counts as not given. */
struct dfarg {
	const char *name, *value;
};

enum dfread_kind {
	DFREAD_COPY,
	DFREAD_ADD,
	DFREAD_BIND, /* RUN --mount=type=bind without from= */
};

/* dfread_kind_name: "COPY", "ADD" or "RUN --mount". */
const char *dfread_kind_name(enum dfread_kind k);

/* One read from the build context by a stage the target needs. */
struct dfread {
	size_t stage;
	int line;
	enum dfread_kind kind;
	char *src;      /* context-relative and cleaned: no "./", leading '/' or ".."; "." is the whole context */
	int wildcard;   /* src holds '*', '?' or '[': Go filepath.Match per segment */
	char **excl;    /* --exclude patterns, cleaned; relative to the source or to each wildcard match */
	size_t nexcl;
	int chmod;      /* an octal --chmod: the copies get that mode, whatever the sources' modes are */
};

/* A source fetched from outside the context (ADD URL or git repository): the task must always run unless pinned. */
struct dfremote {
	size_t stage;
	int line;
	char *url;
	char *checksum; /* ADD --checksum, or NULL */
	int git;
};

/* An image a needed stage starts from or reads (FROM, COPY --from, RUN --mount from=) that is not a stage. */
struct dfimage {
	size_t stage;
	int line;
	char *ref;
};

/* A RUN step of a needed stage that mounts a secret: BuildKit's layer cache does not key the step on its value. */
struct dfsecret {
	size_t stage;
	int line;       /* the first line of the RUN instruction */
	char *id;       /* the secret's id: source=, else id=, else the last part of target= (BuildKit's order) */
};

struct dfstage {
	char *name;      /* the "AS" name, lowercased, or NULL */
	char *base;      /* the FROM reference after substitution */
	long base_stage; /* the stage that base names, or -1 for an image */
	char *platform;  /* --platform after substitution, or NULL */
	int line;
	int needed;      /* the target stage depends on it (or is it) */
};

/* A parsed Dockerfile. Owned by the caller of dockerfile_parse, freed with dockerfile_free. */
struct dockerfile {
	char *path;
	char *syntax;    /* the "# syntax=" parser directive, or NULL */
	char escape;     /* '\\' or '`' */
	struct dfstage *stages;
	size_t nstages;
	size_t target;
	/* These five cover the needed stages only; the first four are in file order. */
	struct dfread *reads;
	size_t nreads;
	struct dfremote *remotes;
	size_t nremotes;
	struct dfimage *images;     /* "scratch" is not an image */
	size_t nimages;
	struct dfsecret *secrets;
	size_t nsecrets;
	/* The build args that can change the build, sorted: ARGs the needed stages declare, the global ARGs their FROM
	 * lines use or they redeclare, and the global ARGs those defaults were made from. */
	char **args;
	size_t nargs;
	/* keyed[i]: line i + 1 can change what the build does: every line but blank ones and comments (not parser
	 * directives) outside here-document bodies. nlines lines. */
	unsigned char *keyed;
	size_t nlines;
};

/*
 * dockerfile_parse: parse text (len bytes, no NUL needed at the end) read from path, with build args
 * args[0..nargs) and the target stage (NULL: the last). Builtin platform args (TARGETPLATFORM, BUILDARCH, ...) have
 * values only when given in args. Returns NULL with "path:line: what" appended to err on the first error.
 */
struct dockerfile *dockerfile_parse(const char *path, const char *text, size_t len, const struct dfarg *args,
                                    size_t nargs, const char *target, struct buf *err);
/* dockerfile_free: frees df and everything it owns; NULL is fine. */
void dockerfile_free(struct dockerfile *df);
/* dockerfile_dump: append a stable line-per-fact text form of df (the golden tests' format) to out. */
void dockerfile_dump(const struct dockerfile *df, struct buf *out);

#endif
