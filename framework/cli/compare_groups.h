/* How `infoplane plot` groups several runs for ip_plot_compare: by their configuration (each
 * run's config.yaml with the --set overrides its run.h5 stored), runs the same apart from the
 * seed forming one group (config/config_compare.h), each group named by what sets it apart. */
#ifndef IP_CLI_COMPARE_GROUPS_H
#define IP_CLI_COMPARE_GROUPS_H

#include "plot/plot.h"

typedef struct {
    ip_plot_groups groups;  /* what ip_plot_compare takes; points into the arrays below */
    int *group;             /* per run */
    char (*label)[256];     /* per group: "activation: tanh (seeds 1, 2, 3)", "seeds 1, 2", a run's name */
    const char **labels;    /* label[g] as pointers */
} cli_run_groups;

/* Load the configurations of the n run directories and group them into *g (release with
 * cli_run_groups_free, also after a failure). A run without config.yaml, or whose config does
 * not load (then a note on stderr says why), is a group of its own. Fails only when out of memory. */
int cli_group_runs(int n, const char *const *runs, cli_run_groups *g);
void cli_run_groups_free(cli_run_groups *g);

#endif
