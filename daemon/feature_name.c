/*
 * feature_name: feature names, parsed and checked (the grammar is in
 * feature.h): the kind, its parameters in range, k canonical, the output
 * named, and the instance that computes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "feature_int.h"

int
trd__nfields(const struct kind *k)
{
	int n = 0;

	if (k->fields == NULL)
		return 1;
	while (k->fields[n])
		n++;
	return n;
}

#define FAIL(...)                                                          \
	do {                                                               \
		if (errlen) {                                              \
			int o_ = snprintf(err, errlen, "feature \"%s\": ",  \
					  name);                           \
			if (o_ >= 0 && (size_t)o_ < errlen)                \
				snprintf(err + o_, errlen - (size_t)o_,    \
					 __VA_ARGS__);                     \
		}                                                          \
		return -1;                                                 \
	} while (0)

/* k: digits with an optional fraction (no sign, exponent, or bare point),
 * at most 12 decimals, > 0; canon is its shortest spelling ("2.50" and
 * "02.5" give "2.5"), so equal k name one instance. */
#define K_DP 12
static int
parse_k(const char *s, size_t len, double *out, char *canon)
{
	int64_t v;

	if (len == 0 || s[0] < '0' || s[0] > '9' || s[len - 1] < '0' ||
	    s[len - 1] > '9' || trd_dec_parse(s, len, K_DP, &v) != 0 || v <= 0)
		return -1;
	*out = trd_dec_to_double(v, K_DP);
	trd_dec_format_short(v, K_DP, canon);
	return 0;
}

int
trd__parse_name(const char *name, struct spec *sp, char *err, size_t errlen)
{
	const char *s = name, *e;
	size_t len, np = 0, nreq, nopt;
	char pb[TRD_FEATURE_NAME_MAX], known[512];
	int o;

	memset(sp, 0, sizeof(*sp));
	sp->field = -1;
	if (name == NULL || *name == '\0') {
		snprintf(err, errlen, "empty feature name");
		return -1;
	}
	if (strlen(name) >= sizeof(sp->base))
		FAIL("longer than %zu bytes", sizeof(sp->base) - 1);
	for (e = s; (*e >= 'a' && *e <= 'z') || *e == '_'; e++)
		;
	len = (size_t)(e - s);
	if (len == 0)
		FAIL("not a feature name (expected name(params)[.field], "
		     "e.g. rsi(14) or bb(20,2).upper)");
	for (size_t i = 0; trd__kind_at(i) != NULL; i++) {
		const char *kn = trd__kind_at(i)->name;
		if (kn[0] != '_' && strlen(kn) == len &&
		    memcmp(kn, s, len) == 0)
			sp->k = trd__kind_at(i);
	}
	if (sp->k == NULL) {
		size_t ko = 0;
		for (size_t i = 0; trd__kind_at(i) != NULL &&
				   ko < sizeof(known); i++)
			if (trd__kind_at(i)->name[0] != '_')
				ko += (size_t)snprintf(known + ko,
						       sizeof(known) - ko,
						       "%s%s", ko ? ", " : "",
						       trd__kind_at(i)->name);
		FAIL("unknown feature '%.*s' (known: %s)", (int)len, s, known);
	}
	nreq = strlen(sp->k->params);
	nopt = strlen(sp->k->opt);
	s = e;
	if (*s == '(' && nreq + nopt == 0 && !sp->k->seedable)
		FAIL("%s takes no parameters: write %s", sp->k->name,
		     sp->k->name);
	if (*s == '(') {
		const char *q = ++s;
		for (;;) {
			const char *c = q, *t;
			size_t l;
			while (*c == ' ')
				c++;
			t = c;
			while (*t && *t != ',' && *t != ')')
				t++;
			if (*t == '\0')
				FAIL("missing ')'");
			l = (size_t)(t - c);
			while (l > 0 && c[l - 1] == ' ')
				l--;
			if (l == 0)
				FAIL("empty parameter %zu", np + 1);
			if (l >= sizeof(pb))
				FAIL("parameter %zu too long", np + 1);
			memcpy(pb, c, l);
			pb[l] = '\0';
			if (strncmp(pb, "seed=", 5) == 0) {
				if (!sp->k->seedable)
					FAIL("%s takes no seed option",
					     sp->k->name);
				if (strcmp(pb + 5, "first") == 0)
					sp->first = 1;
				else if (strcmp(pb + 5, "sma") != 0)
					FAIL("seed must be sma or first, "
					     "found '%s'", pb + 5);
			} else {
				char ty;
				if (np >= nreq + nopt)
					FAIL("%s takes %s%zu parameter%s (%s), "
					     "found more", sp->k->name,
					     nopt ? "at most " : "",
					     nreq + nopt,
					     nreq + nopt == 1 ? "" : "s",
					     sp->k->pnames);
				ty = np < nreq ? sp->k->params[np]
					       : sp->k->opt[np - nreq];
				if (ty == P_K) {
					if (parse_k(pb, l, &sp->kf,
						    sp->ktext) != 0)
						FAIL("parameter %zu of %s (%s) "
						     "must be a decimal > 0, "
						     "found '%s'", np + 1,
						     sp->k->name,
						     sp->k->pnames, pb);
					sp->p[np] = 0;
				} else {
					char *end;
					long long v;
					errno = 0;
					v = strtoll(pb, &end, 10);
					if (*end != '\0' || errno ||
					    pb[0] == '+' || pb[0] == '-' ||
					    v < 1 || v > TRD_FEATURE_MAX_N)
						FAIL("parameter %zu of %s (%s) "
						     "must be an integer from "
						     "1 to %d, found '%s'",
						     np + 1, sp->k->name,
						     sp->k->pnames,
						     TRD_FEATURE_MAX_N, pb);
					sp->p[np] = v;
				}
				np++;
			}
			q = t + 1;
			if (*t == ')')
				break;
		}
		s = q;
	}
	if (np < nreq)
		FAIL("%s takes %zu parameter%s (%s), found %zu", sp->k->name,
		     nreq, nreq == 1 ? "" : "s", sp->k->pnames, np);
	if (*s == '.') {
		const char *f = ++s;
		int nf = trd__nfields(sp->k);
		if (sp->k->fields == NULL)
			FAIL("%s has one output and no fields", sp->k->name);
		for (int i = 0; i < nf; i++)
			if (strcmp(sp->k->fields[i], f) == 0)
				sp->field = i;
		if (sp->field < 0) {
			size_t ko = 0;
			for (int i = 0; i < nf; i++)
				ko += (size_t)snprintf(known + ko,
						       sizeof(known) - ko,
						       "%s.%s", i ? ", " : "",
						       sp->k->fields[i]);
			FAIL("unknown field '%s' (%s has %s)", f, sp->k->name,
			     known);
		}
	} else if (*s != '\0') {
		FAIL("unexpected '%s'", s);
	}
	/* Cross-parameter rules. */
	if (strcmp(sp->k->name, "macd") == 0 && sp->p[0] >= sp->p[1])
		FAIL("the fast period must be below the slow one");
	if (strcmp(sp->k->name, "vol") == 0 && sp->p[0] < 2)
		FAIL("vol needs n >= 2 (a sample deviation)");
	if (strcmp(sp->k->name, "keltner") == 0 && np == 2)
		sp->p[1] = sp->p[0]; /* ATR period defaults to n */
	else if (strcmp(sp->k->name, "keltner") == 0)
		sp->p[1] = sp->p[2];
	/* Canonical base name. */
	o = snprintf(sp->base, sizeof(sp->base), "%s", sp->k->name);
	if (nreq + nopt > 0) {
		o += snprintf(sp->base + o, sizeof(sp->base) - (size_t)o, "(");
		for (size_t i = 0; i < nreq; i++) {
			if (sp->k->params[i] == P_K)
				o += snprintf(sp->base + o,
					      sizeof(sp->base) - (size_t)o,
					      "%s%s", i ? "," : "", sp->ktext);
			else
				o += snprintf(sp->base + o,
					      sizeof(sp->base) - (size_t)o,
					      "%s%lld", i ? "," : "",
					      (long long)sp->p[i]);
		}
		/* keltner's ATR period only when it differs from n. */
		if (strcmp(sp->k->name, "keltner") == 0 && sp->p[1] != sp->p[0])
			o += snprintf(sp->base + o,
				      sizeof(sp->base) - (size_t)o, ",%lld",
				      (long long)sp->p[1]);
		if (sp->first)
			o += snprintf(sp->base + o,
				      sizeof(sp->base) - (size_t)o,
				      ",seed=first");
		snprintf(sp->base + o, sizeof(sp->base) - (size_t)o, ")");
	}
	if (strcmp(sp->k->name, "keltner") == 0)
		sp->p[2] = 0;
	sp->ik = sp->k;
	sp->out = sp->field < 0 ? 0 : sp->field;
	memcpy(sp->inst, sp->base, sizeof(sp->inst));
	if (sp->k->alias) {
		const char *paren = strchr(sp->base, '(');
		sp->ik = trd__kind_find(sp->k->alias);
		sp->out = sp->k->alias_out;
		snprintf(sp->inst, sizeof(sp->inst), "%s%s", sp->ik->name,
			 paren ? paren : "");
	}
	return 0;
}

#undef FAIL

int
trd_feature_expand(const char *name, char (*outputs)[TRD_FEATURE_NAME_MAX],
		   size_t max, char *err, size_t errlen)
{
	struct spec sp;
	int nf;

	if (trd__parse_name(name, &sp, err, errlen) != 0)
		return -1;
	if (sp.field >= 0 || sp.k->fields == NULL) {
		if (outputs && max > 0) {
			if (sp.field >= 0)
				snprintf(outputs[0], TRD_FEATURE_NAME_MAX,
					 "%s.%s", sp.base,
					 sp.k->fields[sp.field]);
			else
				snprintf(outputs[0], TRD_FEATURE_NAME_MAX,
					 "%s", sp.base);
		}
		return 1;
	}
	nf = trd__nfields(sp.k);
	for (int i = 0; outputs && i < nf && (size_t)i < max; i++)
		snprintf(outputs[i], TRD_FEATURE_NAME_MAX, "%s.%s", sp.base,
			 sp.k->fields[i]);
	return nf;
}

