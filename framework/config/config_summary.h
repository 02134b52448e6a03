/* One readable paragraph of a config (architecture, data, optimizer, schedule). The trainer
 * stores it in the run file (ip_run_provenance.summary), so `info` never parses YAML and record/
 * never sees the config's struct. */
#ifndef IP_CONFIG_SUMMARY_H
#define IP_CONFIG_SUMMARY_H

#include <stddef.h>

#include "config.h"

/* Writes the paragraph into buf (n bytes, cut to fit, NUL-terminated). */
void ip_config_summary(const ip_config *c, char *buf, size_t n);

#endif
