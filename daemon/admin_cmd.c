/*
 * admin_cmd: the admin command line, the keyword table and the commands
 * that act (see admin.h for the protocol).
 *
 * The table is the only list of commands: dispatch, the level checks,
 * help and traderctl's completion (help's list) all read it.  A command
 * is matched by its words (longest first), then its handler checks its
 * own arguments.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"
#include "engine.h"
#include "host.h"
#include "log.h"
#include "session.h"

/* ---- the line ---- */

int
trd_admin_parse(const char *line, size_t len, struct trd_admin_line *out,
		char *err, size_t errlen)
{
	char *w = out->buf;
	int quote = 0, in_word = 0;

	out->ncmd = 0;
	if (len > TRD_ADMIN_LINE_MAX) {
		snprintf(err, errlen, "line longer than %d bytes",
			 TRD_ADMIN_LINE_MAX);
		return -1;
	}
	out->cmd[0].argc = 0;
	for (size_t i = 0; i <= len; i++) {
		unsigned char ch = i < len ? (unsigned char)line[i] : '\0';
		int end_cmd = 0;

		if (i < len && (ch < 0x20 || ch == 0x7f) && ch != '\t') {
			snprintf(err, errlen, "control byte 0x%02x at column "
				 "%zu", ch, i + 1);
			return -1;
		}
		if (i == len) {
			if (quote) {
				snprintf(err, errlen, "unterminated quote");
				return -1;
			}
			end_cmd = 1;
		} else if (ch == '\\') {
			if (++i == len) {
				snprintf(err, errlen, "a '\\' ends the line");
				return -1;
			}
			ch = (unsigned char)line[i];
			if (ch < 0x20 || ch == 0x7f) {
				snprintf(err, errlen, "control byte 0x%02x at "
					 "column %zu", ch, i + 1);
				return -1;
			}
			goto byte;
		} else if (ch == '"') {
			quote = !quote;
			if (!in_word)
				goto start_word; /* "" is an empty word */
			continue;
		} else if (!quote && (ch == ' ' || ch == '\t')) {
			if (in_word) {
				*w++ = '\0';
				in_word = 0;
			}
			continue;
		} else if (!quote && ch == ';') {
			end_cmd = 1;
		} else {
			goto byte;
		}
		if (end_cmd) {
			if (in_word) {
				*w++ = '\0';
				in_word = 0;
			}
			if (out->cmd[out->ncmd].argc > 0) {
				if (++out->ncmd == TRD_ADMIN_MAX_CMDS &&
				    i < len) {
					snprintf(err, errlen, "more than %d "
						 "commands on a line",
						 TRD_ADMIN_MAX_CMDS);
					return -1;
				}
				if (out->ncmd < TRD_ADMIN_MAX_CMDS)
					out->cmd[out->ncmd].argc = 0;
			}
			continue;
		}
		continue;
byte:
		if (!in_word) {
start_word:
			if (out->cmd[out->ncmd].argc == TRD_ADMIN_MAX_ARGS) {
				snprintf(err, errlen, "more than %d words in "
					 "a command", TRD_ADMIN_MAX_ARGS);
				return -1;
			}
			out->cmd[out->ncmd].argv[out->cmd[out->ncmd].argc++] =
				w;
			in_word = 1;
			if (ch == '"')
				continue;
		}
		*w++ = (char)ch;
	}
	return 0;
}

/* ---- answers ---- */

void
trd__admin_err(struct cmd *c, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->failed = 1;
	if (c->ss->json) {
		wf_puts(c->w, "{\"error\":");
		wf_json_str(c->w, code);
		wf_puts(c->w, ",\"message\":");
		wf_json_str(c->w, msg);
		wf_puts(c->w, "}\n");
		return;
	}
	wf_printf(c->w, "ERR %s ", code);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	wf_puts(c->w, msg);
	wf_puts(c->w, "\n");
}

struct trd_session *
trd__admin_session(struct cmd *c)
{
	if (c->env->session == NULL)
		trd__admin_err(c, "NOT_AVAILABLE", "no trading session (a "
			       "replay without strategies)");
	return c->env->session;
}

int
trd__admin_instr(struct cmd *c, const char *sym)
{
	struct trd_session *t = c->env->session;

	for (size_t i = 0; t && i < t->ninstr; i++)
		if (strcmp(t->reg.v[i].symbol, sym) == 0)
			return (int)i;
	trd__admin_err(c, "BAD_ARGUMENT", "unknown symbol '%.64s'", sym);
	return -1;
}

const char *
trd__admin_side(int side)
{
	return side == TRD_SIDE_BUY ? "buy" : side == TRD_SIDE_SELL ? "sell"
								    : "?";
}

const char *
trd__admin_status(int st)
{
	static const char *const n[] = { "?", "new", "accepted", "partial",
					 "filled", "canceled", "rejected",
					 "expired" };
	return st >= 0 && st <= TRD_ORDER_EXPIRED ? n[st] : "?";
}

const char *
trd__admin_type(int type)
{
	static const char *const n[] = { "?", "market", "limit", "stop",
					 "stop_limit", "trailing_stop" };
	return type >= 0 && type <= TRD_ORDER_TRAILING_STOP ? n[type] : "?";
}

/* The words after the command as one reason ("operator" if none). */
static void
join_words(char *buf, size_t len, int argc, char **argv)
{
	size_t o = 0;

	snprintf(buf, len, "operator");
	for (int i = 0; i < argc && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " " : "",
				      argv[i]);
}

static void
ok(struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A one-line success: "OK text", or {"ok":true,"message":text}. */
static void
ok(struct cmd *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->ss->json) {
		wf_puts(c->w, "{\"ok\":true,\"message\":");
		wf_json_str(c->w, msg);
		wf_puts(c->w, "}\n");
	} else {
		wf_printf(c->w, "OK %s\n", msg);
	}
}

/* ---- the commands that act ---- */

static void
cmd_halt(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t = trd__admin_session(c);
	char why[TRD_RISK_REASON_MAX];
	uint64_t before;

	if (t == NULL)
		return;
	join_words(why, sizeof(why), argc, argv);
	if (t->risk.halted) {
		ok(c, "already halted: %s", t->risk.ntrips
		   ? t->risk.trips[t->risk.ntrips - 1].reason : "?");
		return;
	}
	before = t->oms.nopen;
	log_warn("halt from the admin socket: %s", why);
	trd_session_halt(t, why);
	ok(c, "halted (%s); %" PRIu64 " open order(s) canceled or being "
	   "canceled; entries are refused until resume", why, before);
}

static void
cmd_resume(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t = trd__admin_session(c);

	(void)argv;
	if (t == NULL)
		return;
	if (argc > 0) {
		trd__admin_err(c, "BAD_ARGUMENT", "resume takes no argument");
		return;
	}
	if (!t->risk.halted) {
		ok(c, "not halted");
		return;
	}
	trd_session_resume(t);
	ok(c, "trading resumed");
}

static void
cmd_cancel(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t = trd__admin_session(c);
	int64_t ins = -1;
	char *end;
	uint64_t id;

	if (t == NULL)
		return;
	if (argc < 1 || argc > 2 || (argc == 2 && strcmp(argv[0], "all"))) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: cancel ORDER_ID | "
			       "cancel all [SYMBOL]");
		return;
	}
	if (strcmp(argv[0], "all") == 0) {
		size_t n;
		if (argc == 2 && (ins = trd__admin_instr(c, argv[1])) < 0)
			return;
		n = trd_session_cancel_all(t, ins, "canceled by the operator");
		ok(c, "%zu order(s) canceled or being canceled", n);
		return;
	}
	errno = 0;
	id = strtoull(argv[0], &end, 10);
	if (errno || *end || end == argv[0] || argv[0][0] == '-') {
		/* A client id is accepted too. */
		const struct trd_order *o;
		for (o = t->oms.open_head; o; o = o->next_open)
			if (strcmp(o->client_id, argv[0]) == 0)
				break;
		if (o == NULL) {
			trd__admin_err(c, "BAD_ARGUMENT", "no open order with "
				       "id or client id '%.64s'", argv[0]);
			return;
		}
		id = o->id;
	}
	if (trd_session_cancel_id(t, id, "canceled by the operator") != 0) {
		trd__admin_err(c, "BAD_ARGUMENT", "order %" PRIu64 " is not "
			       "open (or a cancel is already on its way)", id);
		return;
	}
	ok(c, "order %" PRIu64 " canceled or being canceled", id);
}

static void
cmd_flatten(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t = trd__admin_session(c);
	int64_t ins = -1;
	size_t n;

	if (t == NULL)
		return;
	if (argc > 1) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: flatten [SYMBOL]");
		return;
	}
	if (argc == 1 && (ins = trd__admin_instr(c, argv[0])) < 0)
		return;
	log_warn("flatten %s from the admin socket",
		 argc ? argv[0] : "(every symbol)");
	n = trd_session_flatten(t, ins);
	ok(c, "%zu closing order(s) sent", n);
}

static void
cmd_strategy(struct cmd *c, int argc, char **argv)
{
	struct trd_session *t = trd__admin_session(c);
	int pause;

	if (t == NULL)
		return;
	if (argc != 2 || (strcmp(argv[0], "pause") && strcmp(argv[0], "resume"))) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: strategy pause|resume "
			       "NAME");
		return;
	}
	pause = strcmp(argv[0], "pause") == 0;
	for (size_t k = 0; k < t->nstrat; k++) {
		if (strcmp(t->strats[k].name, argv[1]) != 0)
			continue;
		if (t->strats[k].paused == pause) {
			ok(c, "strategy %s already %s", argv[1],
			   pause ? "paused" : "running");
			return;
		}
		trd_session_pause(t, k, pause);
		log_warn("strategy %s %s from the admin socket", argv[1],
			 pause ? "paused" : "resumed");
		ok(c, "strategy %s %s", argv[1], pause ? "paused" : "resumed");
		return;
	}
	trd__admin_err(c, "BAD_ARGUMENT", "no strategy named '%.64s'", argv[1]);
}

static void
cmd_speed(struct cmd *c, int argc, char **argv)
{
	struct trd_engine *e = c->env->engine;
	double v;
	char *end;

	if (argc != 1) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: speed N|max");
		return;
	}
	if (e == NULL || e->mode != TRD_ENGINE_REPLAY ||
	    e->state != TRD_ENGINE_RUNNING) {
		trd__admin_err(c, "NOT_AVAILABLE", "speed applies to a running "
			       "replay");
		return;
	}
	if (strcmp(argv[0], "max") == 0) {
		v = 0;
	} else {
		errno = 0;
		v = strtod(argv[0], &end);
		if (errno || *end || end == argv[0] || !(v > 0) || v > 1e6) {
			trd__admin_err(c, "BAD_ARGUMENT", "expected a number "
				       "in (0, 1000000] or max, found "
				       "'%.32s'", argv[0]);
			return;
		}
	}
	trd_engine_set_speed(e, v);
	if (v == 0)
		ok(c, "replay speed max");
	else
		ok(c, "replay speed %gx", v);
}

static void
cmd_reload(struct cmd *c, int argc, char **argv)
{
	struct trd_admin_env *env = c->env;

	(void)argv;
	if (argc > 0) {
		trd__admin_err(c, "BAD_ARGUMENT", "reload takes no argument");
		return;
	}
	if (env->reload == NULL) {
		trd__admin_err(c, "NOT_AVAILABLE", "nothing to reload");
		return;
	}
	if (env->reload(env->reload_arg) != 0) {
		trd__admin_err(c, "FAILED", "%s", env->reload_error);
		return;
	}
	ok(c, "configuration generation %" PRIu64 " in effect",
	   env->conf->generation);
}

static const struct {
	const char *name;
	unsigned    bit;
} topics[] = {
	{ "orders", TRD_ADMIN_SUB_ORDERS },
	{ "fills", TRD_ADMIN_SUB_FILLS },
	{ "risk", TRD_ADMIN_SUB_RISK },
	{ "log", TRD_ADMIN_SUB_LOG },
};

static void
cmd_subscribe(struct cmd *c, int argc, char **argv)
{
	unsigned bits = 0;

	if (argc < 1) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: subscribe "
			       "orders|fills|risk|log ...");
		return;
	}
	for (int i = 0; i < argc; i++) {
		size_t k;
		for (k = 0; k < sizeof(topics) / sizeof(topics[0]); k++)
			if (strcmp(argv[i], topics[k].name) == 0)
				break;
		if (k == sizeof(topics) / sizeof(topics[0])) {
			trd__admin_err(c, "BAD_ARGUMENT", "unknown stream "
				       "'%.32s': expected orders, fills, risk "
				       "or log", argv[i]);
			return;
		}
		bits |= topics[k].bit;
	}
	c->ss->subs |= bits;
	ok(c, "subscribed; events follow, one per line, until unsubscribe");
}

static void
cmd_unsubscribe(struct cmd *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	c->ss->subs = 0;
	ok(c, "unsubscribed");
}

static void
cmd_json(struct cmd *c, int argc, char **argv)
{
	if (argc != 1 || (strcmp(argv[0], "on") && strcmp(argv[0], "off"))) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: json on|off, or json "
			       "COMMAND");
		return;
	}
	c->ss->json = strcmp(argv[0], "on") == 0;
	ok(c, "json %s", argv[0]);
}

static const char *const level_names[] = { "?", "user", "operator",
					   "admin" };

static void
cmd_level(struct cmd *c, int argc, char **argv)
{
	int want = 0;

	if (argc == 0) {
		ok(c, "level %s", level_names[c->ss->level]);
		return;
	}
	for (int l = TRD_LEVEL_USER; l <= TRD_LEVEL_ADMIN; l++)
		if (argc == 1 && strcmp(argv[0], level_names[l]) == 0)
			want = l;
	if (want == 0) {
		trd__admin_err(c, "BAD_ARGUMENT", "usage: level "
			       "[user|operator|admin]");
		return;
	}
	if (want > c->ss->level) {
		trd__admin_err(c, "PERMISSION", "a session can only lower its "
			       "level (it is %s)", level_names[c->ss->level]);
		return;
	}
	c->ss->level = want;
	ok(c, "level %s", level_names[want]);
}

static void
cmd_quit(struct cmd *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	c->ss->quit = 1;
	ok(c, "bye");
}

static void cmd_help(struct cmd *c, int argc, char **argv);

/* ---- the table ---- */

struct keyword {
	const char *words[2]; /* the command's words; [1] may be NULL */
	int         level;
	void      (*fn)(struct cmd *c, int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct keyword table[] = {
	{ { "help", NULL }, TRD_LEVEL_USER, cmd_help, "help [COMMAND]",
	  "list the commands, or tell one" },
	{ { "show", "info" }, TRD_LEVEL_USER, trd__admin_show_info,
	  "show info", "version, mode, uptime, config generation, clock, "
	  "feed state, last reload" },
	{ { "show", "positions" }, TRD_LEVEL_USER, trd__admin_show_positions,
	  "show positions", "open positions by strategy and symbol, marked "
	  "at the last price" },
	{ { "show", "orders" }, TRD_LEVEL_USER, trd__admin_show_orders,
	  "show orders [open|all] [SYMBOL]", "orders (open ones by default; "
	  "all: with the recently closed)" },
	{ { "show", "fills" }, TRD_LEVEL_USER, trd__admin_show_fills,
	  "show fills [N]", "the last N fills (20; at most 1024 are kept)" },
	{ { "show", "pnl" }, TRD_LEVEL_USER, trd__admin_show_pnl, "show pnl",
	  "equity, cash, realized and unrealized PnL, fees, drawdown, the "
	  "day's PnL, per strategy" },
	{ { "show", "risk" }, TRD_LEVEL_USER, trd__admin_show_risk,
	  "show risk", "limits, how much of each is used, the kill switch "
	  "and its trips" },
	{ { "show", "strategies" }, TRD_LEVEL_USER,
	  trd__admin_show_strategies, "show strategies",
	  "each strategy: plugin, state, orders, trades, PnL" },
	{ { "show", "models" }, TRD_LEVEL_USER, trd__admin_show_models,
	  "show models", "each strategy's models: id, label, drift (PSI of "
	  "the score and the worst feature over the last 1440 bars)" },
	{ { "show", "features" }, TRD_LEVEL_USER, trd__admin_show_features,
	  "show features SYMBOL", "the current value of every feature "
	  "computed on SYMBOL" },
	{ { "show", "feeds" }, TRD_LEVEL_USER, trd__admin_show_feeds,
	  "show feeds", "each connection and symbol of the live feed: "
	  "state, last message age, reconnects, gaps" },
	{ { "show", "symbols" }, TRD_LEVEL_USER, trd__admin_show_symbols,
	  "show symbols", "the instruments: tick, lot, last price" },
	{ { "subscribe", NULL }, TRD_LEVEL_USER, cmd_subscribe,
	  "subscribe orders|fills|risk|log ...", "stream those events, one "
	  "line each, until the client leaves or unsubscribes" },
	{ { "unsubscribe", NULL }, TRD_LEVEL_USER, cmd_unsubscribe,
	  "unsubscribe", "end every stream of this session" },
	{ { "json", NULL }, TRD_LEVEL_USER, cmd_json, "json on|off",
	  "answer in JSON from now on (or prefix one command: json show "
	  "info)" },
	{ { "level", NULL }, TRD_LEVEL_USER, cmd_level,
	  "level [user|operator|admin]", "show, or lower, this session's "
	  "access level" },
	{ { "quit", NULL }, TRD_LEVEL_USER, cmd_quit, "quit",
	  "close the connection" },
	{ { "strategy", NULL }, TRD_LEVEL_OPERATOR, cmd_strategy,
	  "strategy pause|resume NAME", "stop or restart a strategy's market "
	  "data and timers (its orders stay; order updates still reach it)" },
	{ { "speed", NULL }, TRD_LEVEL_OPERATOR, cmd_speed, "speed N|max",
	  "the pace of a running replay" },
	{ { "reload", NULL }, TRD_LEVEL_OPERATOR, cmd_reload, "reload",
	  "load the configuration again, as SIGHUP does" },
	{ { "halt", NULL }, TRD_LEVEL_ADMIN, cmd_halt, "halt [REASON]",
	  "the kill switch: cancel every open order and refuse entries "
	  "until resume" },
	{ { "resume", NULL }, TRD_LEVEL_ADMIN, cmd_resume, "resume",
	  "turn the kill switch off" },
	{ { "cancel", NULL }, TRD_LEVEL_ADMIN, cmd_cancel,
	  "cancel ORDER_ID|all [SYMBOL]", "cancel one open order (by id or "
	  "client id), or all of them (on SYMBOL)" },
	{ { "flatten", NULL }, TRD_LEVEL_ADMIN, cmd_flatten,
	  "flatten [SYMBOL]", "close every position (on SYMBOL) with "
	  "reduce-only market orders" },
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

/* The entry for argv, and how many words it took; NULL if none. */
static const struct keyword *
lookup(int argc, char **argv, int *nwords)
{
	for (size_t i = 0; i < NTABLE; i++) {
		const struct keyword *k = &table[i];
		if (strcmp(argv[0], k->words[0]) != 0)
			continue;
		if (k->words[1] == NULL) {
			*nwords = 1;
			return k;
		}
		if (argc >= 2 && strcmp(argv[1], k->words[1]) == 0) {
			*nwords = 2;
			return k;
		}
	}
	return NULL;
}

static void
cmd_help(struct cmd *c, int argc, char **argv)
{
	if (argc > 0) {
		int nw;
		const struct keyword *k = lookup(argc, argv, &nw);
		if (k == NULL) {
			trd__admin_err(c, "UNKNOWN_COMMAND", "no command "
				       "'%.64s'", argv[0]);
			return;
		}
		trd_out_str(&c->o, "usage", k->usage);
		trd_out_str(&c->o, "level", level_names[k->level]);
		trd_out_str(&c->o, "help", k->help);
		return;
	}
	trd_out_list(&c->o, "commands");
	for (size_t i = 0; i < NTABLE; i++) {
		trd_out_rec(&c->o);
		trd_out_str(&c->o, "command", table[i].usage);
		trd_out_str(&c->o, "level", level_names[table[i].level]);
		trd_out_str(&c->o, "help", table[i].help);
	}
	trd_out_list_end(&c->o);
}

/* Commands that answer through trd_out (the rest write one line). */
static int
uses_out(const struct keyword *k)
{
	return k->fn == cmd_help || strcmp(k->words[0], "show") == 0;
}

int
trd_admin_exec(struct trd_admin *a, struct trd_admin_env *env,
	       struct trd_admin_sess *ss, int argc, char **argv,
	       struct wfile *out)
{
	struct cmd c = { .a = a, .env = env, .ss = ss, .w = out };
	const struct keyword *k;
	int json0 = ss->json, nw = 0;

	if (argc >= 2 && strcmp(argv[0], "json") == 0 &&
	    strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0) {
		ss->json = 1;
		argc--;
		argv++;
	}
	if ((k = lookup(argc, argv, &nw)) == NULL) {
		if (strcmp(argv[0], "show") == 0)
			trd__admin_err(&c, "UNKNOWN_COMMAND", "show what? "
				       "info, positions, orders, fills, pnl, "
				       "risk, strategies, features, feeds, "
				       "symbols");
		else
			trd__admin_err(&c, "UNKNOWN_COMMAND", "no command "
				       "'%.64s' (try help)", argv[0]);
	} else if (k->level > ss->level) {
		trd__admin_err(&c, "PERMISSION", "'%s%s%s' needs the %s level; "
			       "this session has %s", k->words[0],
			       k->words[1] ? " " : "",
			       k->words[1] ? k->words[1] : "",
			       level_names[k->level], level_names[ss->level]);
	} else if (!uses_out(k)) {
		k->fn(&c, argc - nw, argv + nw);
	} else {
		/* The answer is built aside: an error found half-way is
		 * then the whole answer. */
		struct wfile body;
		if (wf_mem_open(&body) != 0) {
			trd__admin_err(&c, "FAILED", "out of memory");
		} else {
			trd_out_init(&c.o, &body, ss->json);
			k->fn(&c, argc - nw, argv + nw);
			trd_out_end(&c.o);
			if (c.o.err && !c.failed)
				trd__admin_err(&c, "FAILED", "out of memory");
			if (!c.failed && body.err == 0)
				wf_write(out, body.buf, body.len);
			wf_discard(&body);
		}
	}
	if (k == NULL || k->fn != cmd_json)
		ss->json = json0;
	wf_puts(out, "\n");
	return c.failed;
}

size_t
trd_admin_commands(const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < NTABLE && n < max; i++)
		out[n++] = table[i].usage;
	return n;
}
