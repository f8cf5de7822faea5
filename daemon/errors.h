/*
 * errors: the project's return-code space.
 *
 * Functions return 0 on success, a negative errno for system errors, and
 * the negative codes below (well away from errno and LMDB's -30800 range)
 * for project errors.  trd_strerror() names any of them.
 */
#ifndef TRD_ERRORS_H
#define TRD_ERRORS_H

enum {
	TRD_E_BASE = -20000,
	TRD_ESYNTAX,    /* malformed text: number, time, CSV field */
	TRD_ERANGE,     /* value outside what the field allows */
	TRD_EPRECISION, /* more decimals than the scale can hold exactly */
	TRD_ENOTFOUND,  /* no such symbol, key, record */
	TRD_EVERSION,   /* on-disk or ABI version not supported */
	TRD_EFULL,      /* store reached its configured maximum size */
	TRD_ECONFIG,    /* configuration invalid */
	TRD_ECONFLICT,  /* differs from what is already stored */
	TRD_ESTOPPED,   /* stopped before the end (signal, operator) */
	TRD_EPROTO,     /* a peer broke its protocol (HTTP, WebSocket, JSON) */
	TRD_ERATELIMIT, /* the venue asked us to wait (429, 418) */
	TRD_ETLS,       /* TLS handshake or certificate check failed */
	TRD_EAUTH,      /* the venue refused our credentials */
	TRD_E_LAST,
};

/* Returns a static string for any return code; never NULL. */
const char *trd_strerror(int code);

#endif
