/*
 * oms_int: what oms.c (the table and the state machine) and oms_links.c
 * (OCO and bracket rules) share.  Private to the order manager.
 */
#ifndef TRD_OMS_INT_H
#define TRD_OMS_INT_H

#include "oms.h"

/* How an order closed other than by a fill. */
enum trd__close_how { TRD__CLOSE_CANCEL, TRD__CLOSE_EXPIRE, TRD__CLOSE_REJECT };

/* Close open order o (no-op if closed): the transition, then its links
 * (trd__oms_links_closed).  code: enum trd_reject for a rejection. */
void trd__oms_close(struct trd_oms *oms, struct trd_order *o, int how,
		    int code, const char *reason, int64_t now);
/* A transition of o to status with reason (NULL: none): subscribers are
 * told; a closed order leaves the open lists for the recent ring. */
void trd__oms_set_status(struct trd_oms *oms, struct trd_order *o, int status,
			 const char *reason, int64_t now);
/* Send o to the venue with flags (TRD_VENUE_CONTINGENT). */
int trd__oms_route(struct trd_oms *oms, struct trd_order *o, unsigned flags,
		   int64_t now);

/* Link rules (oms_links.c). */
void trd__oms_links_closed(struct trd_oms *oms, struct trd_order *o, int how,
			   int64_t now);
void trd__oms_links_filled(struct trd_oms *oms, struct trd_order *o,
			   int64_t qty, int first, int64_t now);
/* A held exit's price changed by an amend (0 keeps it).  0 or -EINVAL. */
int trd__oms_amend_held(struct trd_oms *oms, struct trd_order *o,
			int64_t price, int64_t now);

#endif
