/*
 * csv: one record of RFC 4180 CSV split into fields, in place: a field
 * may be quoted ("a, b"), a quote inside one is doubled ("say ""hi""").
 * For reading files traderd wrote or a user edited (traderctl report
 * diff), so malformed input is an error, never a crash.
 */
#ifndef TRD_CSV_H
#define TRD_CSV_H

#include <stddef.h>

/*
 * Split line (NUL-terminated, no line break) into at most max fields,
 * unquoting them in place; fields[i] point into line.  Returns the
 * number of fields, or -1 when the line is not CSV (a quote left open, a
 * character after a closing quote) or has more than max fields.
 */
int trd_csv_split(char *line, char **fields, int max);

#endif
