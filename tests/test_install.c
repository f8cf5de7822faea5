/*
 * make install into a DESTDIR installs what the issue names (binaries,
 * plugins, the plugin header, man pages, configs, units, dashboard,
 * alerts); the installed traderd checks the installed config, the
 * installed man pages read without warnings (man --warnings), and make
 * uninstall takes it all away again but the operator's config.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"

/* The make flags that reuse the build the tests run from. */
static const char *
san(void)
{
	const char *b = getenv("TRD_BIN_DIR");

	return b && strstr(b, "build/san") ? "SANITIZE=address,undefined" : "";
}

Test(install, destdir_install_check_man_uninstall, .timeout = 600)
{
	char *dir = th_tmpdir(), p[1024];
	static const char *const want[] = {
		"usr/local/bin/traderd", "usr/local/bin/traderctl",
		"usr/local/lib/traderd/plugins/sma_cross.so",
		"usr/local/lib/traderd/plugins/bollinger_revert.so",
		"usr/local/include/traderd/plugin.h",
		"usr/local/include/traderd/types.h",
		"usr/local/share/man/man8/traderd.8",
		"usr/local/share/man/man8/traderctl.8",
		"usr/local/share/man/man5/traderd.yaml.5",
		"etc/traderd/traderd.yaml", "etc/traderd/examples/demo.yaml",
		"etc/traderd/alerts.yml", "etc/traderd/grafana/traderd.json",
		"lib/systemd/system/traderd.service",
		"lib/systemd/system/traderd@.service",
		"lib/systemd/system/traderd-retrain@.service",
		"lib/systemd/system/traderd-retrain@.timer",
		"usr/local/bin/traderd-retrain",
		"usr/lib/sysusers.d/traderd.conf",
	};
	struct stat st;

	th_expect(0, "env -u MAKEFLAGS -u MAKELEVEL make -s --no-print-directory %s install DESTDIR=%s "
		  "UNITDIR=/lib/systemd/system SYSUSERSDIR=/usr/lib/sysusers.d "
		  "2>&1", san(), dir);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, want[i]);
		cr_assert_eq(stat(p, &st), 0, "not installed: %s", want[i]);
	}
	/* The unit runs the installed binary. */
	th_expect(0, "grep -q '^ExecStart=/usr/local/bin/traderd -c "
		  "/etc/traderd/traderd.yaml$' %s/lib/systemd/system/"
		  "traderd.service", dir);
	/* The installed traderd checks the installed config (its plugin
	 * directory moved under DESTDIR; the traderd group is made by
	 * systemd-sysusers, which a DESTDIR install does not run). */
	th_expect(0, "sed -e 's#/usr/local/lib#%s/usr/local/lib#' "
		  "-e 's#group: traderd#group: root#' "
		  "%s/etc/traderd/traderd.yaml > %s/check.yaml && "
		  "%s/usr/local/bin/traderd -n -c %s/check.yaml 2>&1 | "
		  "grep -qx 'configuration OK'", dir, dir, dir, dir, dir);
	th_expect(0, "%s/usr/local/bin/traderd --version | grep -q '^traderd '",
		  dir);
	th_expect(0, "%s/usr/local/bin/traderctl --version | grep -q "
		  "'^traderctl '", dir);
	/* man finds the pages there and reads them without warnings. */
	for (int i = 0; i < 3; i++) {
		static const char *const pg[] = { "traderd", "traderctl",
						  "traderd.yaml" };
		char *out = NULL;
		int rc = th_run(&out, "MANPATH=%s/usr/local/share/man "
				"MANWIDTH=80 man --warnings %s 2>&1 >/dev/null",
				dir, pg[i]);
		th_assert_outf(rc == 0 && (out == NULL || out[0] == '\0'), out,
			       "man --warnings %s", pg[i]);
		free(out);
	}
	th_expect(0, "MANPATH=%s/usr/local/share/man MANWIDTH=80 man "
		  "traderd.yaml 2>/dev/null | grep -q 'risk.max_drawdown_pct'",
		  dir);
	/* The operator's config stays; everything else goes. */
	th_expect(0, "env -u MAKEFLAGS -u MAKELEVEL make -s --no-print-directory %s uninstall DESTDIR=%s "
		  "UNITDIR=/lib/systemd/system SYSUSERSDIR=/usr/lib/sysusers.d "
		  "2>&1", san(), dir);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, want[i]);
		if (strcmp(want[i], "etc/traderd/traderd.yaml") == 0)
			cr_assert_eq(stat(p, &st), 0, "the config was removed");
		else
			cr_assert_neq(stat(p, &st), 0, "left behind: %s",
				      want[i]);
	}
	th_rmtree(dir);
	free(dir);
}
