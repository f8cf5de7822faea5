/*
 * traderctl_ml: the model workflow's subcommands (dataset, train,
 * predict, validate), offline, on the store and on files.
 */
#ifndef TRD_TRADERCTL_ML_H
#define TRD_TRADERCTL_ML_H

/* Whether cmd is one of them. */
int trd_ctl_is_ml(const char *cmd);
/* Run one: argv[0] is the command.  Returns the exit status. */
int trd_ctl_ml(int argc, char **argv);
/* traderctl sweep (traderctl_sweep.c): argv[0] is "sweep". */
int trd_ctl_sweep(int argc, char **argv);

/* traderctl models (traderctl_models.c): argv[0] is "models". */
int trd_ctl_models(int argc, char **argv);

/* Their part of traderctl's usage. */
extern const char trd_ctl_ml_usage[];

#endif
