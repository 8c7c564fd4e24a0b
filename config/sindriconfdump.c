/* sindriconfdump: the stable text form of a parsed sindri.yaml, one line a field with where it was found (for the
 * golden tests and debugging). */
#include "hash.h"
#include "sindriconf.h"
#include "util.h"

/* dump_quoted: s in single quotes, with \\, \' and control characters escaped so one value stays on one line. */
static void dump_quoted(struct buf *out, const char *s)
{
	buf_addc(out, '\'');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\\' || ch == '\'')
			buf_addc(out, '\\'), buf_addc(out, (char)ch);
		else if (ch == '\n')
			buf_adds(out, "\\n");
		else if (ch == '\t')
			buf_adds(out, "\\t");
		else if (ch < 0x20 || ch == 0x7f)
			buf_addf(out, "\\x%02x", ch);
		else
			buf_addc(out, (char)ch);
	}
	buf_addc(out, '\'');
}

static void dump_pos(struct buf *out, const struct sindriconf_pos *at)
{
	if (at->line)
		buf_addf(out, " at %zu:%zu\n", at->line, at->col);
	else
		buf_adds(out, " (default)\n");
}

static void dump_field(struct buf *out, const char *field, const char *v, const struct sindriconf_pos *at)
{
	buf_adds(out, field);
	if (!v) {
		buf_adds(out, " none\n");
		return;
	}
	buf_addc(out, ' ');
	dump_quoted(out, v);
	dump_pos(out, at);
}

void sindriconf_dump(const struct sindriconf *conf, struct buf *out)
{
	char hex[HASH_HEX_LEN + 1];

	buf_adds(out, "path ");
	dump_quoted(out, conf->path);
	buf_addc(out, '\n');
	dump_field(out, "name", conf->name, &conf->name_at);
	dump_field(out, "provider", conf->provider, &conf->provider_at);
	dump_field(out, "image", conf->image, &conf->image_at);
	buf_addf(out, "from_source %s", conf->from_source ? "true" : "false");
	dump_pos(out, &conf->from_source_at);
	dump_field(out, "git_ref", conf->git_ref, &conf->git_ref_at);
	dump_field(out, "profile", conf->profile, &conf->profile_at);
	buf_addf(out, "extensions %zu", conf->nextensions);
	dump_pos(out, &conf->extensions_at);
	for (size_t i = 0; i < conf->nextensions; i++) {
		buf_adds(out, "  ");
		dump_quoted(out, conf->extensions[i]);
		dump_pos(out, &conf->extension_at[i]);
	}
	hash_hex(&conf->hash, hex);
	buf_addf(out, "hash %s\n", hex);
}
