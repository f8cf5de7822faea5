/*
 * errors: names for return codes.  LMDB's own codes are passed through to
 * mdb_strerror() so a store error reads the same wherever it surfaces.
 */
#include <lmdb.h>
#include <string.h>

#include "errors.h"

const char *
trd_strerror(int code)
{
	static const char *names[] = {
		[TRD_ESYNTAX - TRD_E_BASE]    = "malformed value",
		[TRD_ERANGE - TRD_E_BASE]     = "value out of range",
		[TRD_EPRECISION - TRD_E_BASE] = "too many decimal places",
		[TRD_ENOTFOUND - TRD_E_BASE]  = "not found",
		[TRD_EVERSION - TRD_E_BASE]   = "unsupported format version",
		[TRD_EFULL - TRD_E_BASE]      = "store is full",
		[TRD_ECONFIG - TRD_E_BASE]    = "invalid configuration",
		[TRD_ECONFLICT - TRD_E_BASE]  = "conflicts with stored data",
		[TRD_ESTOPPED - TRD_E_BASE]   = "stopped",
		[TRD_EPROTO - TRD_E_BASE]     = "protocol error from the peer",
		[TRD_ERATELIMIT - TRD_E_BASE] = "rate limited by the venue",
		[TRD_ETLS - TRD_E_BASE]       = "TLS failure",
		[TRD_EAUTH - TRD_E_BASE]      = "authentication refused by the venue",
	};

	if (code == 0)
		return "success";
	if (code > TRD_E_BASE && code < TRD_E_LAST)
		return names[code - TRD_E_BASE];
	if (code <= MDB_KEYEXIST && code >= MDB_LAST_ERRCODE)
		return mdb_strerror(code);
	if (code < 0 && code > -4096)
		return strerror(-code);
	if (code > 0 && code < 4096) /* LMDB passes errno through positive */
		return strerror(code);
	return "unknown error";
}
