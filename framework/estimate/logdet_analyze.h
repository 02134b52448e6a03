/* `infoplane analyze` for the LogDet estimator: every recorded epoch of a run file, streamed one
 * epoch at a time through the block route, results into the run file and into CSV files. */
#ifndef IP_LOGDET_ANALYZE_H
#define IP_LOGDET_ANALYZE_H

#include <stddef.h>

#include "logdet.h"

typedef struct {
    ip_logdet_mode mode;
    double beta;       /* 0: 100 * d_X, the paper's code */
    double layer_beta; /* for I(T_l;T_l+1); 0: 100 * (d_l + d_l+1), the paper's code */
    int bits;          /* 1: results in bits, 0: nats */
    int progress;      /* on stderr: 0 none, 1 one line rewritten in place (a terminal), 2 a line at
                        * every tenth of the epochs (a log; only when it all takes 10 s or more) */
} ip_logdet_analyze_options;

/* Analyze the run file `run_path` (opened writable). Writes
 *   /analysis/logdet_<mode>_beta<B>[_lbeta<B2>]/layers: rows epoch, layer, i_xt, i_ty, h_t
 *   /analysis/logdet_<mode>_beta<B>[_lbeta<B2>]/pairs:  rows epoch, layer, i_tt, beta
 * (layer numbers from 1; attributes: estimator, mode, beta, layer_beta, unit, h_x, h_y, layers),
 * DIR/analysis/logdet.csv (estimator,mode,beta,epoch,layer,i_xt,i_ty,unit) and
 * DIR/analysis/logdet_layers.csv (estimator,mode,beta,epoch,layer_a,layer_b,mi,layer_beta,unit),
 * DIR being the directory of run_path. Rows of other settings already in those CSV files are
 * kept (when the file has this header; a file of another layout is replaced); each file is
 * written to a temporary name and renamed, so it is never seen half-written.
 * The table group name is returned in group (if not NULL, size >= 128). */
int ip_logdet_analyze(const char *run_path, const ip_logdet_analyze_options *opt, char *group);

/* Where ip_logdet_analyze puts the CSV files of `run_path`: DIR/analysis, DIR being the
 * directory of run_path ("." when it has none). */
void ip_logdet_analyze_dir(const char *run_path, char *dir, size_t cap);

#endif
