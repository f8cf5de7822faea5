/*
 * traderctl_client: traderctl as the admin socket's client.
 *
 *   traderctl [-s SOCKET] [--json] CMD...   one command line, its answers
 *                                           on stdout; exit 0, 1 when an
 *                                           answer is an error, 2 when the
 *                                           daemon cannot be reached
 *   traderctl [-s SOCKET] shell             an interactive shell (libedit):
 *                                           history in ~/.traderctl_history,
 *                                           completion of commands and
 *                                           symbols
 *
 * The words of CMD are quoted for the daemon's parser, so
 * `traderctl halt "fat finger"` sends one reason; a lone ';' word
 * separates commands (`traderctl halt \; show orders`).  A command line may hold
 * several commands (';'); trd_admin_parse counts them, so the client
 * knows how many answers (each ending with an empty line) to wait for.
 * subscribe prints its events until interrupted.
 */
#include <cjson/cJSON.h>
#include <editline/readline.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin.h"
#include "traderctl_client.h"

#define ANSWER_TIMEOUT_MS 30000

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "traderctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "traderctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int e = errno;
		fprintf(stderr, "traderctl: cannot reach traderd at %s: %s%s\n",
			path, strerror(e),
			e == ENOENT || e == ECONNREFUSED
				? " (is it running, with admin.socket set?)"
			: e == EACCES ? " (not allowed: are you in its group?)"
				      : "");
		close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A buffered reader of the daemon's lines. */
struct rd {
	int    fd;
	char   buf[65536];
	size_t len, off;
};

/* The next line (without its newline) into line; 1, 0 at the end, -1 on
 * an error or timeout (timeout_ms < 0: none; an interrupt ends a wait
 * with no timeout). */
static int
read_line(struct rd *r, char *line, size_t cap, int timeout_ms)
{
	size_t n = 0;

	for (;;) {
		while (r->off < r->len) {
			char ch = r->buf[r->off++];
			if (ch == '\n') {
				line[n] = '\0';
				return 1;
			}
			if (n + 1 < cap)
				line[n++] = ch;
		}
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		int rc = poll(&p, 1, timeout_ms);
		if (rc < 0 && errno == EINTR) {
			if (interrupted)
				return -1;
			continue;
		}
		if (rc == 0) {
			fprintf(stderr, "traderctl: no answer within %d s\n",
				timeout_ms / 1000);
			return -1;
		}
		ssize_t k = recv(r->fd, r->buf, sizeof(r->buf), 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			line[n] = '\0';
			return n > 0 ? 1 : 0;
		}
		r->len = (size_t)k;
		r->off = 0;
	}
}

/* Commands on a line, as the daemon will count them (a line it will
 * refuse gets one answer). */
static int
count_commands(const char *line)
{
	static struct trd_admin_line pl;
	char err[160];

	if (trd_admin_parse(line, strlen(line), &pl, err, sizeof(err)) != 0)
		return 1;
	return pl.ncmd;
}

/* Whether the line subscribes (then the events follow its answer). */
static int
subscribes(const char *line)
{
	static struct trd_admin_line pl;
	char err[160];

	if (trd_admin_parse(line, strlen(line), &pl, err, sizeof(err)) != 0)
		return 0;
	for (int i = 0; i < pl.ncmd; i++) {
		char **v = pl.cmd[i].argv;
		int k = strcmp(v[0], "json") == 0 && pl.cmd[i].argc > 1;
		if (strcmp(v[k], "subscribe") == 0)
			return 1;
	}
	return 0;
}

/*
 * Send line, print its answers to out; with a subscription, then its
 * events until interrupted or the daemon leaves.  0, 1 if an answer was
 * an error, 2 if the daemon went away.
 */
static int
run(int fd, struct rd *r, const char *line, FILE *out)
{
	static char buf[TRD_ADMIN_LINE_MAX * 2];
	int want = count_commands(line), status = 0, first = 1;
	int stream = subscribes(line);

	if (want == 0)
		return 0;
	if (send_all(fd, line, strlen(line)) != 0 || send_all(fd, "\n", 1)) {
		fprintf(stderr, "traderctl: the daemon closed the connection\n");
		return 2;
	}
	while (want > 0) {
		int rc = read_line(r, buf, sizeof(buf), ANSWER_TIMEOUT_MS);
		if (rc <= 0) {
			if (rc == 0)
				fprintf(stderr, "traderctl: the daemon closed "
						"the connection\n");
			return 2;
		}
		if (buf[0] == '\0') {
			want--;
			first = 1;
			continue;
		}
		if (first && (strncmp(buf, "ERR ", 4) == 0 ||
			      strncmp(buf, "{\"error\":", 9) == 0))
			status = 1;
		first = 0;
		fprintf(out, "%s\n", buf);
	}
	fflush(out);
	if (!stream || status)
		return status;
	while (!interrupted) {
		int rc = read_line(r, buf, sizeof(buf), -1);
		if (rc <= 0)
			break;
		fprintf(out, "%s\n", buf);
		fflush(out);
	}
	if (interrupted) {
		/* Leave the stream; what arrives meanwhile is dropped. */
		interrupted = 0;
		send_all(fd, "unsubscribe\n", 12);
		while (read_line(r, buf, sizeof(buf), 2000) > 0 &&
		       strcmp(buf, "OK unsubscribed") != 0)
			;
		read_line(r, buf, sizeof(buf), 2000);
	}
	return status;
}

/* argv as one line, each word quoted as the parser reads it back. */
static int
join_args(int argc, char **argv, char *out, size_t cap)
{
	size_t o = 0;

	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		int plain = *w != '\0';
		/* A lone ";" separates commands: traderctl halt \; show info. */
		if (strcmp(w, ";") == 0) {
			if (o + 3 >= cap)
				return -1;
			memcpy(out + o, i ? " ;" : ";", i ? 2 : 1);
			o += i ? 2 : 1;
			continue;
		}
		for (const char *p = w; *p; p++)
			if (strchr(" \t;\"\\", *p))
				plain = 0;
		if (o + 2 >= cap)
			return -1;
		if (i)
			out[o++] = ' ';
		if (!plain)
			out[o++] = '"';
		for (const char *p = w; *p; p++) {
			if (o + 3 >= cap)
				return -1;
			if (*p == '"' || *p == '\\')
				out[o++] = '\\';
			out[o++] = *p;
		}
		if (!plain)
			out[o++] = '"';
	}
	if (o >= cap)
		return -1;
	out[o] = '\0';
	return 0;
}

int
trd_ctl_command(const char *sock, int json, int argc, char **argv)
{
	static char line[TRD_ADMIN_LINE_MAX + 8];
	struct rd *r;
	int fd, rc;
	size_t o = 0;

	if (json)
		o = (size_t)snprintf(line, sizeof(line), "json ");
	if (join_args(argc, argv, line + o, sizeof(line) - o) != 0 ||
	    strlen(line) > TRD_ADMIN_LINE_MAX) {
		fprintf(stderr, "traderctl: command line too long\n");
		return 2;
	}
	if ((fd = connect_to(sock)) < 0)
		return 2;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		close(fd);
		return 2;
	}
	r->fd = fd;
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	rc = run(fd, r, line, stdout);
	free(r);
	close(fd);
	return rc;
}

/* ---- the shell ---- */

#define MAX_WORDS 256

static char *words[MAX_WORDS]; /* commands' words, then symbols */
static size_t nwords;

static void
add_word(const char *w, size_t n)
{
	for (size_t i = 0; i < nwords; i++)
		if (strlen(words[i]) == n && strncmp(words[i], w, n) == 0)
			return;
	if (nwords < MAX_WORDS && (words[nwords] = strndup(w, n)) != NULL)
		nwords++;
}

/* The words of a usage line ("show orders [open|all] [SYMBOL]"): each
 * run of lowercase letters and '_' (not the placeholders). */
static void
add_usage_words(const char *u)
{
	while (*u) {
		const char *e = u;
		while ((*e >= 'a' && *e <= 'z') || *e == '_')
			e++;
		if (e > u)
			add_word(u, (size_t)(e - u));
		u = *e ? e + 1 : e;
	}
}

/* Ask the daemon for its commands and symbols: the words to complete. */
static void
learn_words(int fd, struct rd *r)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return;
	run(fd, r, "json help; json show symbols", f);
	fclose(f);
	for (char *p = buf, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		cJSON *j, *v, *e;
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if ((j = cJSON_Parse(p)) == NULL)
			continue;
		if ((v = cJSON_GetObjectItem(j, "commands")))
			cJSON_ArrayForEach(e, v) {
				cJSON *c = cJSON_GetObjectItem(e, "command");
				if (cJSON_IsString(c))
					add_usage_words(c->valuestring);
			}
		if ((v = cJSON_GetObjectItem(j, "symbols")))
			cJSON_ArrayForEach(e, v) {
				cJSON *c = cJSON_GetObjectItem(e, "symbol");
				if (cJSON_IsString(c))
					add_word(c->valuestring,
						 strlen(c->valuestring));
			}
		cJSON_Delete(j);
	}
	free(buf);
}

static char *
complete_word(const char *text, int state)
{
	static size_t i, n;

	if (state == 0) {
		i = 0;
		n = strlen(text);
	}
	while (i < nwords) {
		const char *w = words[i++];
		if (strncmp(w, text, n) == 0)
			return strdup(w);
	}
	return NULL;
}

static char **
complete(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	return rl_completion_matches(text, complete_word);
}

int
trd_ctl_shell(const char *sock, int json)
{
	char hist[4096];
	const char *home = getenv("HOME");
	struct rd *r;
	int fd, last = 0;
	char *line;

	if ((fd = connect_to(sock)) < 0)
		return 2;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		close(fd);
		return 2;
	}
	r->fd = fd;
	signal(SIGINT, on_sigint);
	learn_words(fd, r);
	if (json)
		run(fd, r, "json on", stdout);
	rl_attempted_completion_function = complete;
	hist[0] = '\0';
	if (home && snprintf(hist, sizeof(hist), "%s/.traderctl_history",
			     home) < (int)sizeof(hist)) {
		using_history();
		read_history(hist);
	}
	printf("traderctl: connected to %s; help lists the commands, quit "
	       "or ^D leaves\n", sock);
	while ((line = readline("traderd> ")) != NULL) {
		interrupted = 0;
		if (*line) {
			add_history(line);
			last = run(fd, r, line, stdout);
			putchar('\n');
		}
		if (last == 2 || strcmp(line, "quit") == 0) {
			free(line);
			break;
		}
		free(line);
	}
	if (hist[0])
		write_history(hist);
	for (size_t i = 0; i < nwords; i++)
		free(words[i]);
	free(r);
	close(fd);
	return last == 2 ? 2 : 0;
}
