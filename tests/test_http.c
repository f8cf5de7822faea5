/*
 * The REST client over TLS against `openssl s_server` with a CA made in
 * the test: the certificate chain and the host name are checked (a
 * server the CA did not sign is refused with the reason), the request
 * and answer go through the memory BIOs and llhttp.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "helpers.h"
#include "http.h"

struct answer {
	struct trd_http *h;
	int   err, status;
	char  why[512];
	char *body;
};

static void
cb(void *arg, int err, const struct trd_http_msg *m, const char *why)
{
	struct answer *a = arg;

	a->err = err;
	if (err == 0) {
		a->status = m->status;
		a->body = strdup(m->body);
	} else {
		snprintf(a->why, sizeof(a->why), "%s", why);
	}
	trd_http_free(a->h);
}

static void
get(const char *url, const char *ca, struct answer *a)
{
	uv_loop_t loop;
	struct trd_http_opts o = { .ca_file = ca, .timeout_ms = 5000 };

	memset(a, 0, sizeof(*a));
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(trd_http_new(&a->h, &loop, url, &o), 0);
	cr_assert_eq(trd_http_request(a->h, "GET", "/", NULL, NULL, 0, cb, a),
		     0);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0, "handles left on the loop");
}

static pid_t
server(const char *dir, int *port)
{
	char cmd[2048], log[600];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/s_server.log", dir);
	snprintf(cmd, sizeof(cmd), "cd %s && exec openssl s_server -accept 0 "
		 "-cert srv.pem -key srv.key -www > %s 2>&1", dir, log);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		char *s = th_read_file(log, NULL), *p;
		if (s && (p = strstr(s, "ACCEPT ")) && (p = strrchr(p, ':')) &&
		    strchr(p, '\n')) {
			*port = atoi(p + 1);
			free(s);
			return pid;
		}
		free(s);
		usleep(10000);
	}
	cr_assert_fail("openssl s_server did not start");
	return -1;
}

Test(http, tls_with_a_test_ca)
{
	char *dir = th_tmpdir(), url[128], ca[600], *out = NULL;
	struct answer a;
	int port, rc, st;
	pid_t pid;

	rc = th_run(&out, "cd %s && openssl req -x509 -newkey rsa:2048 -nodes "
		    "-keyout ca.key -out ca.pem -days 2 -subj /CN=traderd-test-ca "
		    "&& openssl req -newkey rsa:2048 -nodes -keyout srv.key -out "
		    "srv.csr -subj /CN=localhost && printf 'subjectAltName=DNS:"
		    "localhost\\n' > ext && openssl x509 -req -in srv.csr -CA "
		    "ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 "
		    "-extfile ext", dir);
	th_assert_outf(rc == 0, out, "making the CA: exit %d", rc);
	free(out);
	pid = server(dir, &port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);

	/* Signed by the CA given, for the name asked: the page comes. */
	snprintf(url, sizeof(url), "https://localhost:%d", port);
	get(url, ca, &a);
	cr_assert_eq(a.err, 0, "%s", a.why);
	cr_assert_eq(a.status, 200);
	cr_assert(a.body && strstr(a.body, "s_server"), "%s", a.body);
	free(a.body);

	/* The system CAs do not know it: refused, saying why. */
	get(url, NULL, &a);
	cr_assert_eq(a.err, TRD_ETLS, "%d %s", a.err, a.why);
	cr_assert(strstr(a.why, "certificate"), "%s", a.why);

	/* The right CA, another name (the certificate is for localhost). */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
	get(url, ca, &a);
	cr_assert_eq(a.err, TRD_ETLS, "%d %s", a.err, a.why);

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	th_rmtree(dir);
	free(dir);
}
