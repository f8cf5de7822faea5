/*
 * admin_int: what the admin files share.  Private to admin.
 *
 *   admin.c       the sockets, clients, limits and event streams
 *   admin_cmd.c   the parser, the keyword table, the commands that act
 *   admin_show.c  the show commands
 *   admin_out.c   answers as text or JSON
 */
#ifndef TRD_ADMIN_INT_H
#define TRD_ADMIN_INT_H

#include "admin.h"
#include "admin_out.h"

#define TRD_ADMIN_FILLS 1024 /* kept for show fills */

/* A fill as show fills and the fills stream give it. */
struct trd_admin_fill {
	int64_t  ts_ns;
	uint64_t order_id, exec_id;
	uint32_t strat, ins;
	int      side;
	int64_t  qty, price, fee;
};

struct admin_client;

struct trd_admin {
	uv_loop_t            *loop;
	struct trd_admin_env *env;
	struct trd_session   *session;
	struct {
		uv_pipe_t pipe;
		int       open, ro;
		char      path[108];
		size_t    nclients;
	} sock[2];
	struct admin_client  *clients;
	size_t                nclients;
	uv_timer_t            idle;
	int                   idle_open;
	struct trd_admin_fill fills[TRD_ADMIN_FILLS];
	uint64_t              nfills;  /* ever; the ring holds the last */
	unsigned              subs_any; /* some client wants these */
	int                   closing;
	int                   handles; /* open; the last to close frees */
};

/* One command's context: where the answer goes. */
struct cmd {
	struct trd_admin      *a;
	struct trd_admin_env  *env;
	struct trd_admin_sess *ss;
	struct trd_out         o;
	struct wfile          *w;
	int                    failed;
};

/* The answer is an error: "ERR CODE message" (or its JSON). */
void trd__admin_err(struct cmd *c, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* show ... (admin_show.c); argv[0] is the word after "show". */
void trd__admin_show_info(struct cmd *c, int argc, char **argv);
void trd__admin_show_positions(struct cmd *c, int argc, char **argv);
void trd__admin_show_orders(struct cmd *c, int argc, char **argv);
void trd__admin_show_fills(struct cmd *c, int argc, char **argv);
void trd__admin_show_pnl(struct cmd *c, int argc, char **argv);
void trd__admin_show_risk(struct cmd *c, int argc, char **argv);
void trd__admin_show_strategies(struct cmd *c, int argc, char **argv);
void trd__admin_show_models(struct cmd *c, int argc, char **argv);
void trd__admin_show_features(struct cmd *c, int argc, char **argv);
void trd__admin_show_feeds(struct cmd *c, int argc, char **argv);
void trd__admin_show_symbols(struct cmd *c, int argc, char **argv);

/* The session's instrument named sym, or -1 (an error answered). */
int trd__admin_instr(struct cmd *c, const char *sym);
/* The session, or NULL with ERR NOT_AVAILABLE answered. */
struct trd_session *trd__admin_session(struct cmd *c);

/* Order side / status / type names. */
const char *trd__admin_side(int side);
const char *trd__admin_status(int status);
const char *trd__admin_type(int type);

#endif
