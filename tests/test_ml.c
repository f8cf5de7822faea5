/*
 * The model workflow end to end, as a user runs it, on the AVAXUSDT month
 * of 1m futures bars: traderctl dataset, train, predict and validate, and
 * traderd replays with plugins/ml_logit:
 *
 *   - the same commands twice give the same bytes (dataset, manifest,
 *     model, validation.json);
 *   - the model in the loop is the model offline: every prediction the
 *     replay logs equals traderctl predict on the same row to 1e-12;
 *   - no lookahead in the loop: a store whose bars after t differ gives
 *     the same predictions and orders up to t;
 *   - validation with backtests of ml_logit and sma_cross on the folds;
 *   - bad input: a corrupt or truncated model, features that do not match,
 *     a model without probabilities, a dataset whose manifest does not
 *     match; each refused with a clear message.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#define MONTH "binance_futures_klines/um/AVAXUSDT-1m-2024-02.csv"
#define FEATURES "rsi(14),bb(20,2).pctb,zscore(50),roc(5),roc(30),vol(30)," \
		 "regime(14,200).vol_pct,er(14),adx(14).adx,macd(12,26,9).hist"

static char *dir;

static void
setup(void)
{
	dir = th_tmpdir();
}

static void
teardown(void)
{
	th_rmtree(dir);
	free(dir);
}

TestSuite(ml, .init = setup, .fini = teardown, .timeout = 300);

static void
import(const char *db, const char *csv)
{
	th_expect(0, "%s --data-dir %s/%s import --symbol AVAXUSDT "
		  "--timeframe 1m %s", th_bin("traderctl"), dir, db, csv);
}

static void
dataset(const char *db, const char *out)
{
	th_expect(0, "%s --data-dir %s/%s dataset --symbol AVAXUSDT "
		  "--timeframe 1m --features '" FEATURES "' --label 'sign(10)' "
		  "-o %s/%s", th_bin("traderctl"), dir, db, dir, out);
}

static void
write_conf(const char *name, const char *db, const char *plugin,
	   const char *params)
{
	char path[4200], body[8192];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(body, sizeof(body),
		 "data_dir: %s/%s\n"
		 "report_dir: %s/report\n"
		 "plugin_dir: %s\n"
		 "log_level: info\n"
		 "instruments:\n"
		 "  - { symbol: AVAXUSDT, tick_size: 0.001, lot_size: 1, "
		 "shortable: true }\n"
		 "replay: { speed: max, timeframe: 1m }\n"
		 "account: { cash: 100000 }\n"
		 "venue: { kind: sim, fee_bps: 5, slippage_bps: 1 }\n"
		 "strategies:\n"
		 "  - name: ml\n"
		 "    plugin: %s\n"
		 "    symbols: [AVAXUSDT]\n"
		 "    params: %s\n",
		 dir, db, dir, th_bin("plugins"), plugin, params);
	cr_assert_eq(th_write_file(path, body), 0);
}

static char *
slurp(const char *rel)
{
	char path[4200];
	char *s;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	s = th_read_file(path, NULL);
	cr_assert_not_null(s, "%s", path);
	return s;
}

/* The predictions a replay logged ("p T P"), by T (Unix seconds). */
struct preds {
	long long *t;
	double    *p;
	size_t     n;
};

static void
parse_log(const char *log, struct preds *out)
{
	const char *s = log;
	size_t cap = 0;

	*out = (struct preds){ 0 };
	while ((s = strstr(s, "strategy ml: p ")) != NULL) {
		long long t;
		double p;
		s += strlen("strategy ml: p ");
		if (sscanf(s, "%lld %lf", &t, &p) != 2)
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 65536;
			out->t = realloc(out->t, cap * sizeof(*out->t));
			out->p = realloc(out->p, cap * sizeof(*out->p));
		}
		out->t[out->n] = t;
		out->p[out->n++] = p;
	}
}

/* A number in the manifest ("key":\tN). */
static double
num(const char *json, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(json, k);
	cr_assert_not_null(p, "no %s", key);
	return strtod(p + strlen(k), NULL);
}

Test(ml, same_commands_same_bytes_and_the_loop_equals_predict)
{
	char *a, *b, *out, *log, *csv, *line;
	struct preds pr;
	size_t matched = 0, i = 0, nrows = 0;
	double worst = 0;
	int rc;

	import("db", th_shared(MONTH));
	dataset("db", "d1.bin");
	dataset("db", "d2.bin");
	{
		size_t la, lb;

		a = th_read_file(th_msg("%s/d1.bin", dir), &la);
		b = th_read_file(th_msg("%s/d2.bin", dir), &lb);
		cr_assert(a && b);
		cr_assert(la > 1000 && la == lb && memcmp(a, b, la) == 0,
			  "datasets differ");
	}
	free(a);
	free(b);
	a = slurp("d1.bin.manifest.json");
	b = slurp("d2.bin.manifest.json");
	{
		double rows = num(a, "rows"), nr = num(a, "dropped_not_ready");
		cr_assert_eq(num(a, "dropped_no_label"), 10, "%s", a);
		cr_assert_eq(rows + nr + 10, 41760, "%s", a);
		/* regime(14,200): vol(14) from bar 14, then 200 of them. */
		cr_assert_eq(nr, 213, "%s", a);
		nrows = (size_t)rows;
	}
	b[strstr(b, "d2.bin") - b + 1] = '1'; /* its "file" */
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	for (int k = 0; k < 2; k++)
		th_expect(0, "%s train --dataset %s/d1.bin --solver lr_l2_dual "
			  "--C 0.1 --seed 9 --class-weight balanced -o %s/%s",
			  th_bin("traderctl"), dir, dir,
			  k ? "new/dir/m1" : "m0");
	a = slurp("m0");
	b = slurp("new/dir/m1"); /* -o made the directories */
	cr_assert_str_eq(a, b);
	cr_assert(strstr(a, "solver lr_l2_dual\nC 0.1\n") != NULL, "%s", a);
	free(a);
	free(b);

	write_conf("ml.yaml", "db", "ml_logit",
		   "{ model: m0, log_predictions: true, enter: 0.52 }");
	/* The model path is relative to the daemon's working directory:
	 * give it whole. */
	rc = th_run(&log, "cd %s && %s -c ml.yaml --replay --param "
		    "ml.model=%s/m0", dir, th_bin("traderd"), dir);
	th_assert_outf(rc == 0, log, "exit %d", rc);
	parse_log(log, &pr);
	free(log);
	cr_assert_gt(pr.n, 41000, "%zu predictions logged", pr.n);
	rc = th_run(&csv, "%s predict --model %s/m0 --dataset %s/d1.bin",
		    th_bin("traderctl"), dir, dir);
	th_assert_out(rc == 0, csv);
	/* Both in time order: walk them together. */
	line = strchr(csv, '\n') + 1;
	while (*line) {
		long long t = strtoll(line, &line, 10);
		double p;
		line = strchr(line + 1, ',') + 1;
		p = strtod(line, &line);
		line++;
		while (i < pr.n && pr.t[i] < t)
			i++;
		cr_assert(i < pr.n && pr.t[i] == t, "row %lld not predicted "
			  "in the replay", t);
		if (fabs(pr.p[i] - p) > worst)
			worst = fabs(pr.p[i] - p);
		matched++;
	}
	cr_log_info("%zu rows: in-loop vs offline differ by at most %g",
		    matched, worst);
	cr_assert_eq(matched, nrows);
	cr_assert_leq(worst, 1e-12);
	free(csv);
	free(pr.t);
	free(pr.p);

	/* The shadow's figures are in the report. */
	th_expect(0, "%s -c %s/ml.yaml --replay --param ml.model=%s/m0 "
		  "--param ml.shadow=%s/new/dir/m1", th_bin("traderd"), dir, dir, dir);
	out = slurp("report/report.json");
	cr_assert(strstr(out, "\"name\": \"shadow_agreement\", \"value\": 1 }")
		  != NULL, "the same model as shadow agrees always: %s",
		  strstr(out, "\"recorded\""));
	cr_assert(strstr(out, "\"name\": \"model_hyp_return\"") != NULL);
	{
		/* The same model twice: the same hypothetical book. */
		const char *a1 = strstr(out, "\"model_hyp_return\", \"value\": ");
		const char *b1 = strstr(out, "\"shadow_hyp_return\", \"value\": ");
		char *html;

		cr_assert(a1 && b1);
		a1 += strlen("\"model_hyp_return\", \"value\": ");
		b1 += strlen("\"shadow_hyp_return\", \"value\": ");
		cr_assert(strtod(a1, NULL) != 0 &&
			  strtod(a1, NULL) == strtod(b1, NULL), "%s", a1);
		html = slurp("report/report.html");
		cr_assert(strstr(html, "<h2>Recorded by the strategies</h2>"));
		cr_assert(strstr(html, "<tr><td class=\"txt\">ml</td><td "
				 "class=\"txt\">shadow_agreement</td><td>1</td>"
				 "</tr>"), "%s", strstr(html, "Recorded"));
		free(html);
	}
	free(out);

	/* Drift: a model trained on the first week, against the month (its
	 * last days are far more volatile): warned, recorded, and flat. */
	th_expect(0, "%s train --dataset %s/d1.bin --to 2024-02-08 -o %s/wk",
		  th_bin("traderctl"), dir, dir);
	rc = th_run(&log, "%s -c %s/ml.yaml --replay --param ml.model=%s/wk "
		    "--param ml.log_predictions=false --param ml.drift_psi=0.25 "
		    "--param ml.drift_action=flat", th_bin("traderd"), dir, dir);
	th_assert_outf(rc == 0 && strstr(log, "model drift: PSI ") &&
		       strstr(log, "is past 0.25; going flat"),
		       log, "exit %d", rc);
	free(log);
	out = slurp("report/report.json");
	cr_assert(strstr(out, "\"name\": \"drift_psi_max\"") != NULL);
	free(out);
}

/* A CSV with every close after t scaled: the store of what did not
 * happen. */
static void
altered_month(const char *out, long long t_ms)
{
	FILE *in = fopen(th_shared(MONTH), "r"), *o;
	char path[4200], line[512];

	snprintf(path, sizeof(path), "%s/%s", dir, out);
	o = fopen(path, "w");
	cr_assert(in && o);
	while (fgets(line, sizeof(line), in)) {
		long long ts;
		double v[5];
		char rest[400];
		if (sscanf(line, "%lld,%lf,%lf,%lf,%lf,%lf,%399s", &ts, &v[0],
			   &v[1], &v[2], &v[3], &v[4], rest) != 7 ||
		    ts < t_ms) {
			fputs(line, o);
			continue;
		}
		fprintf(o, "%lld,%.3f,%.3f,%.3f,%.3f,%.0f,%s\n", ts,
			v[0] * 1.3, v[1] * 1.4, v[2] * 1.2, v[3] * 1.3,
			v[4] * 3 + 1, rest);
	}
	fclose(in);
	fclose(o);
}

/* The rows of orders.csv submitted before t (field 8, Unix seconds). */
static char *
orders_before(const char *csv, long long t)
{
	char *out = calloc(1, strlen(csv) + 1), *o = out;
	const char *line = strchr(csv, '\n');

	cr_assert_not_null(out);
	while (line && line[1]) {
		const char *p = line + 1, *end = strchr(p, '\n');
		const char *f = p;
		size_t len = end ? (size_t)(end - p) : strlen(p);
		for (int k = 0; k < 7 && f; k++)
			f = memchr(f, ',', len - (size_t)(f - p)) ? strchr(f, ',') + 1
								   : NULL;
		if (f && strtoll(f, NULL, 10) < t) {
			memcpy(o, p, len);
			o += len;
			*o++ = '\n';
		}
		line = end;
	}
	*o = '\0';
	return out;
}

Test(ml, no_lookahead_in_the_loop)
{
	/* 2024-02-15T00:00:00Z: bars opening from then on differ. */
	const long long t = 1707955200LL;
	char *la, *lb, *oa, *ob, path[4200];
	struct preds pa, pb;
	size_t n = 0;
	int rc;

	import("db", th_shared(MONTH));
	altered_month("alt.csv", t * 1000);
	snprintf(path, sizeof(path), "%s/alt.csv", dir);
	import("db-alt", path);
	dataset("db", "d.bin");
	th_expect(0, "%s train --dataset %s/d.bin --to 2024-02-10 -o %s/m",
		  th_bin("traderctl"), dir, dir);
	write_conf("a.yaml", "db", "ml_logit",
		   "{ model: m, log_predictions: true, enter: 0.51, "
		   "sizing: fraction }");
	write_conf("b.yaml", "db-alt", "ml_logit",
		   "{ model: m, log_predictions: true, enter: 0.51, "
		   "sizing: fraction }");
	rc = th_run(&la, "cd %s && %s -c a.yaml --replay --report ra",
		    dir, th_bin("traderd"));
	th_assert_out(rc == 0, la);
	rc = th_run(&lb, "cd %s && %s -c b.yaml --replay --report rb",
		    dir, th_bin("traderd"));
	th_assert_out(rc == 0, lb);
	parse_log(la, &pa);
	parse_log(lb, &pb);
	free(la);
	free(lb);
	/* A bar opening before t closes at or before t. */
	for (; n < pa.n && pa.t[n] <= t; n++) {
		cr_assert(n < pb.n && pa.t[n] == pb.t[n]);
		cr_assert(pa.p[n] == pb.p[n], "prediction at %lld changed",
			  pa.t[n]);
	}
	cr_assert_gt(n, 18000, "%zu predictions before t", n);
	cr_assert(pa.p[n + 100] != pb.p[n + 100], "the change is seen later");
	/* Orders filled before t are the same: those submitted at a close
	 * before t's last bar (they fill at the next open). */
	oa = slurp("ra/orders.csv");
	ob = slurp("rb/orders.csv");
	{
		char *ka = orders_before(oa, t - 60), *kb = orders_before(ob, t - 60);
		cr_assert_gt(th_count_lines(ka), 10, "%s", ka);
		cr_assert_str_eq(ka, kb, "orders before t differ");
		free(ka);
		free(kb);
	}
	free(oa);
	free(ob);
	free(pa.t);
	free(pa.p);
	free(pb.t);
	free(pb.p);
}

Test(ml, walk_forward_with_backtests_against_sma_cross)
{
	char *a, *b;

	import("db", th_shared(MONTH));
	dataset("db", "d.bin");
	write_conf("ml.yaml", "db", "ml_logit",
		   "{ model: none, enter: 0.52, sizing: fraction }");
	write_conf("sma.yaml", "db", "sma_cross",
		   "{ fast: 10, slow: 30, sizing: fraction, fraction: 0.5 }");
	for (int k = 0; k < 2; k++)
		th_expect(0, "%s validate --dataset %s/d.bin --cv "
			  "walk_forward:train=10000,test=6000 --C 0.1 "
			  "--backtest %s/ml.yaml --baseline %s/sma.yaml "
			  "--warmup 300 -o %s/v%d",
			  th_bin("traderctl"), dir, dir, dir, dir, k);
	a = slurp("v0/validation.json");
	b = slurp("v1/validation.json");
	cr_assert_str_eq(a, b, "validation differs between runs");
	cr_assert_eq(th_count_lines(a) > 0, 1);
	{
		size_t folds = 0, bts = 0;
		for (const char *p = a; (p = strstr(p, "\"fold\":")); p++)
			folds++;
		for (const char *p = a; (p = strstr(p, "\"sharpe\":")); p++)
			bts++;
		cr_assert_eq(folds, 5, "%s", a);
		cr_assert_eq(bts, 12, "model and baseline per fold, means");
	}
	{
		/* The summary is the mean of the folds. */
		cJSON *j = cJSON_Parse(a), *f, *mean;
		double ll = 0, ret = 0;
		int beat = 0;

		cr_assert_not_null(j);
		f = cJSON_GetObjectItem(j, "folds");
		mean = cJSON_GetObjectItem(j, "mean");
		cr_assert(cJSON_GetArraySize(f) == 5 && mean != NULL);
		for (int k = 0; k < 5; k++) {
			cJSON *o = cJSON_GetArrayItem(f, k);
			double mr = cJSON_GetObjectItem(cJSON_GetObjectItem(
					o, "backtest"), "total_return")->valuedouble;
			double br = cJSON_GetObjectItem(cJSON_GetObjectItem(
					o, "baseline"), "total_return")->valuedouble;
			ll += cJSON_GetObjectItem(o, "logloss")->valuedouble;
			ret += mr;
			beat += mr > br;
		}
		cr_assert_float_eq(cJSON_GetObjectItem(mean, "logloss")
				   ->valuedouble, ll / 5, 1e-12);
		cr_assert_float_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(
				   mean, "backtest"), "total_return")->valuedouble,
				   ret / 5, 1e-9);
		cr_assert_eq(cJSON_GetObjectItem(mean, "model_beat_baseline")
			     ->valueint, beat);
		cJSON_Delete(j);
		free(b);
		b = slurp("v0/validation.html");
		cr_assert(strstr(b, th_msg("baseline's in %d of 5 folds", beat)),
			  "%s", b);
		cr_assert(strstr(b, "<tr class=\"mean\"><td>mean</td>"));
	}
	free(a);
	a = slurp("v0/validation.html");
	cr_assert(strstr(a, "baseline Sharpe") != NULL);
	free(a);
	free(b);
}

static void
refused(const char *conf, const char *extra, const char *want)
{
	char *out;
	int rc = th_run(&out, "cd %s && %s -c %s --replay %s", dir,
			th_bin("traderd"), conf, extra);

	th_assert_outf(rc == 1, out, "want exit 1, got %d", rc);
	th_assert_outf(strstr(out, want) != NULL, out, "want '%s'", want);
	free(out);
}

Test(ml, bad_models_and_datasets_are_refused)
{
	char *m, path[4200], *out;
	FILE *f;
	int rc;

	import("db", th_shared(MONTH));
	dataset("db", "d.bin");
	th_expect(0, "%s train --dataset %s/d.bin -o %s/good",
		  th_bin("traderctl"), dir, dir);
	th_expect(0, "%s train --dataset %s/d.bin --solver svm_l2 -o %s/svm",
		  th_bin("traderctl"), dir, dir);
	m = slurp("good");
	snprintf(path, sizeof(path), "%s/trunc", dir);
	f = fopen(path, "w");
	fwrite(m, 1, strlen(m) / 2, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/corrupt", dir);
	f = fopen(path, "w");
	*strstr(m, "\nbias ") = '!';
	fputs(m, f);
	fclose(f);
	free(m);
	write_conf("ml.yaml", "db", "ml_logit", "{ model: good }");
	refused("ml.yaml", "--param ml.model=trunc",
		"model trunc: line 30: no newline at the end (truncated?)");
	refused("ml.yaml", "--param ml.model=corrupt", "model corrupt: line");
	refused("ml.yaml", "--param ml.model=svm", "gives no probabilities");
	refused("ml.yaml", "--param ml.model=nothere",
		"model nothere: No such file");
	refused("ml.yaml", "--param 'ml.features=rsi(14);er(14)'",
		"uses feature bb(20,2).pctb, which is not among the "
		"strategy's features");
	/* The list as --features wrote it (commas outside parentheses), or
	 * with ';' and blanks: accepted. */
	{
		char *log;
		int rc2 = th_run(&log, "cd %s && %s -c ml.yaml --replay "
				 "--param 'ml.features=" FEATURES "'", dir,
				 th_bin("traderd"));
		th_assert_out(rc2 == 0, log);
		free(log);
		rc2 = th_run(&log, "cd %s && %s -c ml.yaml --replay --param "
			     "'ml.features=rsi(14); bb(20,2).pctb ;zscore(50),"
			     "roc(5),roc(30),vol(30),regime(14,200).vol_pct;"
			     "er(14),adx(14).adx,macd(12,26,9).hist'", dir,
			     th_bin("traderd"));
		th_assert_out(rc2 == 0, log);
		free(log);
	}
	refused("ml.yaml", "--param 'ml.features=" FEATURES ",sma(5)'",
		"has 10 features; the strategy expects 11");
	refused("ml.yaml", "--param ml.enter=0.4", "enter must be");
	refused("ml.yaml", "--param nosuch.model=x", "no strategy 'nosuch'");
	/* A dataset changed after its manifest was written. */
	snprintf(path, sizeof(path), "%s/d.bin", dir);
	f = fopen(path, "r+");
	fseek(f, 9000, SEEK_SET);
	fputc(0x55, f);
	fclose(f);
	rc = th_run(&out, "%s train --dataset %s/d.bin -o %s/x",
		    th_bin("traderctl"), dir, dir);
	th_assert_outf(rc == 1 && strstr(out, "changed since it was made"),
		       out, "exit %d", rc);
	free(out);
}

Test(ml, registry_entries_are_the_same_bytes_and_promote_writes_the_file)
{
	char *a, *b, *out, *m;
	int rc;

	import("db", th_shared(MONTH));
	dataset("db", "d.bin");
	for (int k = 0; k < 2; k++) {
		th_expect(0, "%s validate --dataset %s/d.bin --cv "
			  "purged_kfold:k=5,embargo=20 -o %s/v%d",
			  th_bin("traderctl"), dir, dir, k);
		th_expect(0, "%s --data-dir %s/reg%d models add %s/v%d/fold-05.model "
			  "--validation %s/v%d/validation.json",
			  th_bin("traderctl"), dir, k, dir, k, dir, k);
		/* Again: the same entry, nothing changes, and it says so. */
		rc = th_run(&out, "%s --data-dir %s/reg%d models add "
			    "%s/v%d/fold-05.model --validation "
			    "%s/v%d/validation.json", th_bin("traderctl"), dir,
			    k, dir, k, dir, k);
		th_assert_out(rc == 0 && strstr(out, "registered already"),
			      out);
		free(out);
	}
	rc = th_run(&out, "%s --data-dir %s/reg0 models list", th_bin("traderctl"),
		    dir);
	th_assert_out(rc == 0 && th_count_lines(out) == 2, out);
	free(out);
	m = slurp("v0/fold-05.model");
	{
		char id[13];
		rc = th_run(&out, "sha256sum %s/v0/fold-05.model", dir);
		th_assert_out(rc == 0, out);
		memcpy(id, out, 12);
		id[12] = '\0';
		free(out);
		rc = th_run(&a, "%s --data-dir %s/reg0 models show %s",
			    th_bin("traderctl"), dir, id);
		th_assert_out(rc == 0, a);
		rc = th_run(&b, "%s --data-dir %s/reg1 models show %s",
			    th_bin("traderctl"), dir, id);
		th_assert_out(rc == 0, b);
		cr_assert_str_eq(a, b, "registry entries differ");
		cr_assert(strstr(a, "\"validation_cv\":\t\"purged_kfold:k=5,"
				 "embargo=20\""), "%s", a);
		cr_assert(strstr(a, "\"embargoed\":\t20"), "%s", a);
		free(a);
		free(b);
		th_expect(0, "%s --data-dir %s/reg0 models promote %s --name "
			  "avax --to %s/live.model", th_bin("traderctl"), dir, id,
			  dir);
		a = slurp("live.model");
		cr_assert_str_eq(a, m, "promote wrote another file");
		free(a);
		rc = th_run(&out, "%s --data-dir %s/reg0 models list",
			    th_bin("traderctl"), dir);
		th_assert_out(rc == 0 && strstr(out, " avax\n"), out);
		free(out);
		th_expect(0, "%s --data-dir %s/reg0 models diff %s %s",
			  th_bin("traderctl"), dir, id, id);
		/* The same model with other metrics is refused. */
		rc = th_run(&out, "%s --data-dir %s/reg0 models add "
			    "%s/v0/fold-05.model", th_bin("traderctl"), dir, dir);
		th_assert_outf(rc == 1 && strstr(out, "another record"), out,
			       "exit %d", rc);
		free(out);
		rc = th_run(&out, "%s --data-dir %s/reg0 models show 0000000",
			    th_bin("traderctl"), dir);
		th_assert_outf(rc == 1 && strstr(out, "no model 0000000"), out,
			       "exit %d", rc);
		free(out);
	}
	free(m);
	rc = th_run(&out, "%s --data-dir %s/reg0 models add %s/d.bin",
		    th_bin("traderctl"), dir, dir);
	th_assert_outf(rc == 1 && strstr(out, "line 1"), out, "exit %d", rc);
	free(out);
}

/* tools/traderd-retrain (what traderd-retrain@.timer runs): the first run
 * promotes (there is no model yet), the second keeps the current model,
 * logging why; both register. */
Test(ml, retrain_promotes_only_a_better_model)
{
	char path[4200], body[4096], ctl[4200], *out, *m;
	int rc;

	/* th_bin's buffer is static: one at a time. */
	snprintf(ctl, sizeof(ctl), "%s", th_bin("traderctl"));
	import("db", th_shared(MONTH));
	write_conf("ml.yaml", "db", "ml_logit", "{ model: live.model }");
	snprintf(path, sizeof(path), "%s/acct.retrain", dir);
	snprintf(body, sizeof(body),
		 "CONF=%s/ml.yaml\nSYMBOL=AVAXUSDT\nTIMEFRAME=1m\n"
		 "FEATURES='rsi(14),bb(20,2).pctb,zscore(50),roc(30),er(14)'\n"
		 "LABEL='sign(10)'\nDAYS=29\nNOW=2024-03-01T00:00:00Z\n"
		 "CV='walk_forward:train=8000,test=6000'\n"
		 "TRAIN_OPTS='--C 0.1 --seed 1'\nNAME=avax\n"
		 "MODEL_FILE=%s/live.model\nWORK=%s/work\n", dir, dir, dir);
	cr_assert_eq(th_write_file(path, body), 0);
	rc = th_run(&out, "TRADERCTL=%s %s %s", ctl, th_bin("traderd-retrain"),
		    path);
	th_assert_outf(rc == 0 && strstr(out, "promoted ") &&
		       strstr(out, " as avax into "),
		       out, "exit %d", rc);
	free(out);
	m = slurp("live.model");
	rc = th_run(&out, "TRADERCTL=%s %s %s", ctl, th_bin("traderd-retrain"),
		    path);
	th_assert_outf(rc == 0 && strstr(out, "kept the current model") &&
		       strstr(out, "current on the same window"),
		       out, "exit %d", rc);
	free(out);
	out = slurp("live.model");
	cr_assert_str_eq(out, m, "the kept model was rewritten");
	free(out);
	free(m);
	rc = th_run(&out, "%s --data-dir %s/db models list", th_bin("traderctl"),
		    dir);
	th_assert_out(rc == 0 && strstr(out, " avax\n"), out);
	free(out);
	/* The daemon takes the promoted file. */
	th_expect(0, "%s -c %s/ml.yaml --replay --from 2024-02-20 ",
		  th_bin("traderd"), dir);
}

/* Hyperparameter search by successive halving: the same search twice is
 * the same table, the winner has every fold, the others fewer. */
Test(ml, search_halves_deterministically)
{
	char *a, *b, *out;
	int rc;

	import("db", th_shared(MONTH));
	for (int k = 0; k < 2; k++)
		th_expect(0, "%s --data-dir %s/db search --symbol AVAXUSDT "
			  "--timeframe 1m --features 'rsi(14),zscore(50)|"
			  "rsi(14),roc(30),er(14)' --label 'sign(5)|sign(20)' "
			  "--Cs 0.1,1 --cv walk_forward:train=8000,test=6000 "
			  "--eta 2 -o %s/s%d", th_bin("traderctl"), dir, dir, k);
	a = slurp("s0/search.csv");
	b = slurp("s1/search.csv");
	cr_assert_str_eq(a, b, "the search is not deterministic");
	cr_assert_eq(th_count_lines(a), 9, "%s", a);
	/* 8 candidates: rungs of 8, 4, 2, 1; the winner saw all 5 folds. */
	cr_assert(strstr(a, "\n1,\"") && strstr(strstr(a, "\n1,\""), ",4,5,"),
		  "%s", a);
	cr_assert(strstr(a, ",1,1,") != NULL, "some stopped at rung 1: %s", a);
	free(a);
	free(b);
	rc = th_run(&out, "%s --data-dir %s/db search --symbol AVAXUSDT "
		    "--timeframe 1m --features 'rsi(14)' --label 'sign(5)' "
		    "--enters 0.52,0.6 --cv walk_forward:train=8000,test=6000 "
		    "-o %s/s2", th_bin("traderctl"), dir, dir);
	th_assert_outf(rc == 1 && strstr(out, "--enters needs --backtest"), out,
		       "exit %d", rc);
	free(out);
	/* Scored by the replays: an entry threshold no prediction reaches
	 * never trades, scores Sharpe 0 (not NaN) and ranks above a losing
	 * one. */
	write_conf("mls.yaml", "db", "ml_logit",
		   "{ model: none, enter: 0.53, exit: 0.5, sizing: fraction, "
		   "fraction: 0.5 }");
	th_expect(0, "%s --data-dir %s/db search --symbol AVAXUSDT "
		  "--timeframe 1m --features 'rsi(14),zscore(50)' --label "
		  "'sign(10)' --Cs 0.1 --enters 0.52,0.9 --backtest %s/mls.yaml "
		  "--cv walk_forward:train=8000,test=6000 -o %s/s3",
		  th_bin("traderctl"), dir, dir, dir);
	a = slurp("s3/search.csv");
	{
		char *l1 = strchr(a, '\n') + 1, *l2 = strchr(l1, '\n') + 1;
		char *c1, *c2;

		l2[-1] = '\0';
		if (strchr(l2, '\n'))
			*strchr(l2, '\n') = '\0';
		c1 = strrchr(l1, ',');
		c2 = strrchr(l2, ',');
		cr_assert(strncmp(l1, "1,", 2) == 0 && strstr(l1, ",0.9,") &&
			  strcmp(c1, ",0") == 0, "%s", l1);
		cr_assert(strstr(l2, ",0.52,") && strtod(c2 + 1, NULL) < 0,
			  "%s", l2);
	}
	free(a);
}
