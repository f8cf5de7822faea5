/*
 * traderctl_client: traderctl's admin commands and shell (see
 * traderctl_client.c).  Both return traderctl's exit status.
 */
#ifndef TRD_TRADERCTL_CLIENT_H
#define TRD_TRADERCTL_CLIENT_H

#define TRD_CTL_DEFAULT_SOCKET "/run/traderd/traderd.sock"

int trd_ctl_command(const char *sock, int json, int argc, char **argv);
int trd_ctl_shell(const char *sock, int json);

#endif
