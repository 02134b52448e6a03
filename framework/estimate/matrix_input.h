/* Where the estimator commands get a matrix from: DATA is a CSV file (one sample per row) or
 * FILE.h5:/dataset (any 1-D or 2-D numeric HDF5 dataset, read through record/run.h). */
#ifndef IP_MATRIX_INPUT_H
#define IP_MATRIX_INPUT_H

/* Read DATA into *data (rows x cols, row-major doubles, malloc'd, owned by the caller).
 * "X.h5:/ds" or "X.hdf5:/ds" selects HDF5; anything else is CSV. Errors name the file. */
int ip_read_data_matrix(const char *spec, double **data, int *rows, int *cols);

#endif
