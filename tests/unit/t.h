/* t.h: the unit-test harness: CHECK macros and a closing "N passed, N failed" line. */
#ifndef SB_T_H
#define SB_T_H

#include <stdio.h>
#include <string.h>

static int t_passed, t_failed;

#define CHECK(cond) \
	do { \
		if (cond) \
			t_passed++; \
		else { \
			t_failed++; \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_STR(a, b) \
	do { \
		const char *t_a = (a), *t_b = (b); \
		if (t_a && t_b && strcmp(t_a, t_b) == 0) \
			t_passed++; \
		else { \
			t_failed++; \
			fprintf(stderr, "%s:%d: check failed: %s == %s ('%s' vs '%s')\n", __FILE__, __LINE__, #a, #b, \
			        t_a ? t_a : "(null)", t_b ? t_b : "(null)"); \
		} \
	} while (0)

#define CHECK_INT(a, b) \
	do { \
		long long t_a = (long long)(a), t_b = (long long)(b); \
		if (t_a == t_b) \
			t_passed++; \
		else { \
			t_failed++; \
			fprintf(stderr, "%s:%d: check failed: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b, t_a, \
			        t_b); \
		} \
	} while (0)

static int t_done(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, t_passed, t_failed);
	return t_failed != 0;
}

#endif
