/* main.c — `sluice` entry point: dispatch to a subcommand (cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        sl_cli_usage(stderr);
        return SL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("sluice %s\n", SL_VERSION);
        return SL_EXIT_OK;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        sl_cli_usage(stdout);
        return SL_EXIT_OK;
    }
    if (!strcmp(cmd, "run")) return sl_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "validate")) return sl_cmd_validate(argc - 1, argv + 1);
    if (!strcmp(cmd, "schema")) return sl_cmd_schema(argc - 1, argv + 1);
    if (!strcmp(cmd, "search")) return sl_cmd_search(argc - 1, argv + 1);
    if (!strcmp(cmd, "help")) return sl_cmd_help(argc - 1, argv + 1);
    if (!strcmp(cmd, "cp")) return sl_cmd_cp(argc - 1, argv + 1);
    if (!strcmp(cmd, "catalog")) return sl_cmd_catalog(argc - 1, argv + 1);
    if (!strcmp(cmd, "crawl")) return sl_cmd_crawl(argc - 1, argv + 1);
    fprintf(stderr, "sluice: unknown command '%s'\n", cmd);
    sl_cli_usage(stderr);
    return SL_EXIT_USAGE;
}
