/*
 * cli.h — the `sluice` subcommands. Each takes the arguments after its own
 * name and returns the process exit status:
 *   0 success, 1 the run failed, 2 usage or validation error.
 */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stdio.h>

enum { SL_EXIT_OK = 0, SL_EXIT_FAILED = 1, SL_EXIT_USAGE = 2 };

int sl_cmd_run(int argc, char **argv);
int sl_cmd_validate(int argc, char **argv);
int sl_cmd_schema(int argc, char **argv);
int sl_cmd_search(int argc, char **argv);
int sl_cmd_help(int argc, char **argv);
int sl_cmd_cp(int argc, char **argv);
int sl_cmd_catalog(int argc, char **argv);
int sl_cmd_crawl(int argc, char **argv);

/* Print an error the way every command does ("sluice: ..."). */
struct sl_error;
void sl_cli_print_error(const struct sl_error *err);

/* Top-level usage text. */
void sl_cli_usage(FILE *out);

#endif
