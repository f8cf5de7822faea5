/* traderctl report diff: see report_diff.c. */
#ifndef TRD_REPORT_DIFF_H
#define TRD_REPORT_DIFF_H

#include <stdio.h>

/* 0: the same, 1: they differ, 2: a report could not be read (logged). */
int trd_report_diff(const char *a, const char *b, FILE *out);

#endif
