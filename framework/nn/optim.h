/* Optimizers over a flat parameter vector: SGD (momentum, weight decay) and Adam, with
 * PyTorch's update rules so that one step matches torch.optim exactly, and an optional
 * learning-rate schedule (train.lr_schedule) that depends only on the step count. */
#ifndef IP_OPTIM_H
#define IP_OPTIM_H

#include <stddef.h>
#include <stdint.h>

typedef enum { IP_OPT_SGD = 0, IP_OPT_ADAM } ip_optimizer_kind;
typedef enum { IP_LR_CONSTANT = 0, IP_LR_COSINE } ip_lr_schedule; /* train.lr_schedule */

/* The name tables, indexed by the enums: "sgd", "adam"; "constant", "cosine". */
extern const char *const ip_optimizer_names[];
extern const char *const ip_lr_schedule_names[];

/* What the train section of a config says about the optimizer (config/ fills it). */
typedef struct {
    ip_optimizer_kind optimizer;
    double lr, momentum, weight_decay;
    double beta1, beta2, eps;        /* adam */
    ip_lr_schedule lr_schedule;      /* constant, or cosine decay to 0 over the run's steps */
} ip_optimizer_settings;

typedef struct {
    ip_optimizer_kind kind;
    double lr, momentum, weight_decay, beta1, beta2, eps;
    size_t n;
    float *m, *v;     /* SGD: m is the momentum buffer; Adam: first and second moments */
    int64_t step;     /* number of steps taken */
    ip_lr_schedule schedule;
    int64_t total_steps; /* T of the cosine schedule: the steps of the whole run */
} ip_optimizer;

/* Allocates the state for n parameters from the settings. Release with ip_optimizer_free. */
int ip_optimizer_create(ip_optimizer *opt, const ip_optimizer_settings *cfg, size_t n);
void ip_optimizer_step(ip_optimizer *opt, float *params, const float *grads);

/* The number of steps the whole run takes (epochs * ceil(n_train / batch)), which the cosine
 * schedule decays over. Until it is set (0) a cosine optimizer keeps the base lr. */
void ip_optimizer_set_total_steps(ip_optimizer *opt, int64_t total_steps);

/* The learning rate of the next step (the one after opt->step steps), in double: the base lr
 * (constant), or with cosine lr * 0.5 * (1 + cos(pi * t / T)), t = opt->step clamped to T. It
 * depends only on the step count, which the run file saves, so a resumed run continues the same
 * schedule. As torch.optim with the lr set before each step, the step then uses it as it would
 * its param_group lr (Adam: lr / (1 - beta1^t) rounded once to float). */
double ip_optimizer_lr(const ip_optimizer *opt);
void ip_optimizer_free(ip_optimizer *opt);

#endif
