/*
 * goregexp_prog: what goregexp.c compiles an expression to and goregexp_vm.c runs: character classes and a small
 * program of Thompson-NFA instructions. Internal to those two files.
 */
#ifndef SB_GOREGEXP_PROG_H
#define SB_GOREGEXP_PROG_H

#include <stddef.h>

enum { E_BEGIN, E_END, E_WORDB, E_NWORDB };
enum { I_CLASS, I_ANYNL, I_EMPTY, I_SPLIT, I_JMP, I_MATCH };

/* A class: the characters in lo..hi of any of its pairs. */
struct cls {
	unsigned long *r; /* lo, hi pairs */
	size_t n, cap;
};

/* One instruction: I_CLASS reads a character of class cls, I_ANYNL any but a newline, I_EMPTY checks assertion kind
 * (E_*), I_SPLIT goes on at x and at y, I_JMP at x, I_MATCH is the end. */
struct inst {
	int op, kind, x, y;
	size_t cls;
};

struct goregexp {
	struct cls *cls;
	size_t ncls, capcls;
	struct inst *prog;
	size_t nprog;
};


#endif
