/* The three entropies behind a mutual information, shared by the estimators that have them
 * (binning, KDE, Renyi; KSG estimates I directly and leaves them NaN). */
#ifndef IP_MI_TERMS_H
#define IP_MI_TERMS_H

typedef struct {
    double h_a, h_b, h_ab, mi; /* nats; mi = h_a + h_b - h_ab where the entropies exist, else NaN */
} ip_mi_terms;

#endif
