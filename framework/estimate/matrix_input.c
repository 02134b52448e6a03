/* DATA arguments of `infoplane entropy` and `mi`: CSV or FILE.h5:/dataset (see matrix_input.h). */
#include "matrix_input.h"

#include "core/status.h"
#include "core/csv.h"
#include "record/run.h"

#include <stdio.h>
#include <string.h>

int ip_read_data_matrix(const char *spec, double **data, int *rows, int *cols)
{
    static const char *const exts[] = {".h5:", ".hdf5:"};
    for (size_t e = 0; e < sizeof exts / sizeof exts[0]; e++) {
        const char *hit = strstr(spec, exts[e]);
        if (!hit) continue;
        size_t flen = (size_t)(hit - spec) + strlen(exts[e]) - 1;
        char file[4096];
        if (flen >= sizeof file) return ip_fail(IP_ERR, "%s: path too long", spec);
        memcpy(file, spec, flen);
        file[flen] = '\0';
        const char *ds = spec + flen + 1;
        if (!*ds) return ip_fail(IP_ERR, "%s: name a dataset after the colon, as in %s:/x", spec, file);
        return ip_h5_read_matrix(file, ds, data, rows, cols);
    }
    size_t n = strlen(spec);
    if ((n > 3 && !strcmp(spec + n - 3, ".h5")) || (n > 5 && !strcmp(spec + n - 5, ".hdf5")))
        return ip_fail(IP_ERR, "%s: an HDF5 file needs a dataset: %s:/DATASET", spec, spec);
    return ip_csv_read_matrix(spec, data, rows, cols);
}
