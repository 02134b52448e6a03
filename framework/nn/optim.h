/* Optimizers over a flat parameter vector: SGD (momentum, weight decay) and Adam, with
 * PyTorch's update rules so that one step matches torch.optim exactly. */
#ifndef IP_OPTIM_H
#define IP_OPTIM_H

#include <stddef.h>
#include <stdint.h>
#include "../config/config.h"

typedef struct {
    ip_optimizer_kind kind;
    double lr, momentum, weight_decay, beta1, beta2, eps;
    size_t n;
    float *m, *v;     /* SGD: m is the momentum buffer; Adam: first and second moments */
    int64_t step;     /* number of steps taken */
} ip_optimizer;

/* Allocates the state for n parameters from the train section. Release with ip_optimizer_free. */
int ip_optimizer_create(ip_optimizer *opt, const ip_train_config *cfg, size_t n);
void ip_optimizer_step(ip_optimizer *opt, float *params, const float *grads);
void ip_optimizer_free(ip_optimizer *opt);

#endif
