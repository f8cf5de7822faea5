/*
 * admin: the Unix-socket admin shell, on the daemon's loop.
 *
 * admin.socket (0660) and, optionally, admin.socket_ro (0666, every peer
 * at the user level) take a line protocol in the manner of HAProxy's
 * stats socket:
 *
 *   - one command per line, several separated by ';' (a '\' escapes the
 *     next byte, "..." quotes a word);
 *   - every answer ends with an empty line, and answers never contain
 *     one, so a script reads up to the empty line;
 *   - an error answer is one line "ERR CODE message", CODE one of
 *     UNKNOWN_COMMAND, PERMISSION, BAD_ARGUMENT, NOT_AVAILABLE, FAILED,
 *     LINE_TOO_LONG, BUSY;
 *   - "json CMD" answers that command in JSON (one line), "json on|off"
 *     sets it for the session; errors are then {"error":CODE,...};
 *   - "subscribe orders|fills|risk|log" streams events, one line each
 *     ("EVENT ..." or a JSON object with "event"), until the client
 *     leaves or sends "unsubscribe".
 *
 * Levels: user (show, help, subscribe), operator (also strategy
 * pause/resume, speed, reload), admin (also halt, resume, cancel,
 * flatten).  A peer's level comes from its credentials (SO_PEERCRED,
 * SO_PEERGROUPS): root and the daemon's own user are admin; otherwise the
 * highest admin.access entry naming its uid or one of its groups, else
 * admin.default_level.  "level user|operator" lowers a session's level.
 *
 * A client cannot block the loop or grow memory without bound: a line is
 * at most TRD_ADMIN_LINE_MAX bytes (longer: ERR LINE_TOO_LONG and the
 * connection is closed), at most admin.max_clients per socket (more are
 * told ERR BUSY and closed), reading stops while a client has unread
 * answers queued, a client with more than admin.max_output_kb unread is
 * dropped, and an idle one (admin.idle_timeout_s) is closed.
 */
#ifndef TRD_ADMIN_H
#define TRD_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "wfile.h"

#define TRD_ADMIN_LINE_MAX 16384
#define TRD_ADMIN_MAX_ARGS 16
#define TRD_ADMIN_MAX_CMDS 32

struct trd_engine;
struct trd_session;
struct trd_source;
struct trd_admin;

/* What the commands act on.  The owner (main) fills it and keeps it
 * current; pointers may be NULL (no session in a bare replay, no feed in
 * a replay). */
struct trd_admin_env {
	const struct trd_config *conf;      /* the generation in effect */
	struct trd_engine       *engine;
	struct trd_session      *session;
	struct trd_source       *feed;      /* the live feed */
	const char              *mode;      /* "replay", "paper", "tape" */
	int64_t                  start_wall_ns, start_mono_ns;
	/* Reloads: counts, and the last failure's reason ("" if the last
	 * one succeeded). */
	uint64_t                 reloads, reload_failures;
	int64_t                  reload_wall_ns;
	char                     reload_error[512];
	/* Reload the config now (the reload command, SIGHUP): 0 or -1, the
	 * reason in reload_error. */
	int                    (*reload)(void *arg);
	void                    *reload_arg;
	/* Where the metrics are served ("" none): the bound address, which
	 * tells the port when metrics.listen asked for any (port 0). */
	char                     metrics_addr[80];
};

/* A command line split into commands and words (trd_admin_parse). */
struct trd_admin_line {
	int ncmd;
	struct {
		int   argc;
		char *argv[TRD_ADMIN_MAX_ARGS];
	} cmd[TRD_ADMIN_MAX_CMDS];
	char buf[TRD_ADMIN_LINE_MAX + 1];
};

/*
 * Split line[0..len) (no newline) into commands at unquoted, unescaped
 * ';' and each into words at spaces and tabs; empty commands are dropped.
 * 0, or -1 with the reason in err: a control byte, an unterminated quote,
 * a trailing '\', too many words or commands, a line too long.
 */
int trd_admin_parse(const char *line, size_t len, struct trd_admin_line *out,
		    char *err, size_t errlen);

/* One client's settings. */
struct trd_admin_sess {
	int      level;  /* enum trd_admin_level */
	int      json;   /* answers in JSON */
	unsigned subs;   /* TRD_ADMIN_SUB_* */
	int      quit;   /* "quit": close after this answer */
};

enum {
	TRD_ADMIN_SUB_ORDERS = 1 << 0,
	TRD_ADMIN_SUB_FILLS = 1 << 1,
	TRD_ADMIN_SUB_RISK = 1 << 2,
	TRD_ADMIN_SUB_LOG = 1 << 3,
};

/*
 * Run one command (argv[0..argc), argc >= 1) for a session at its level,
 * appending the answer and its empty line to out.  Returns 0, or 1 when
 * the answer is an error.  a may be NULL (tests, no socket): show fills
 * then has nothing.
 */
int trd_admin_exec(struct trd_admin *a, struct trd_admin_env *env,
		   struct trd_admin_sess *ss, int argc, char **argv,
		   struct wfile *out);

/* The usage line of every command, in table order (traderctl's completion
 * and man page); returns how many were written. */
size_t trd_admin_commands(const char **out, size_t max);

/*
 * Listen on conf's sockets (none configured: *out is NULL and 0 is
 * returned).  A stale socket file left by a crash is replaced; one a
 * running traderd answers on is not (-EADDRINUSE).  0 or a negative
 * error, logged.
 */
int trd_admin_open(struct trd_admin **out, uv_loop_t *loop,
		   struct trd_admin_env *env);
/* The session started (or is gone: NULL): follow its orders and fills. */
void trd_admin_attach(struct trd_admin *a, struct trd_session *t);
/* A new generation is in effect: access, limits, idle timeout. */
void trd_admin_reconfigure(struct trd_admin *a);
/* Close every client and the sockets (their files are removed); the loop
 * must run once more to finish.  NULL is a no-op. */
void trd_admin_close(struct trd_admin *a);
/* Clients connected now. */
size_t trd_admin_nclients(const struct trd_admin *a);

#endif
