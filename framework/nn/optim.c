/* SGD (momentum, weight decay, no dampening or Nesterov) and Adam (bias-corrected, not amsgrad)
 * with torch.optim's update rules. Like torch on the CPU, the per-element arithmetic is float32
 * with the hyper-parameters rounded to float, and Adam's bias corrections are computed in double
 * and rounded once, so one step agrees with torch to a few ulps. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/mem.h"
#include "../core/parallel.h"
#include "../core/status.h"

/* The update is element-wise, so it is split between the thread pool's workers in chunks
 * (results do not depend on the split); networks under MIN_CHUNKS_PER_WORKER chunks per worker
 * (Tishby's 300 parameters) stay on one thread. */
#define CHUNK 4096
#define MIN_CHUNKS_PER_WORKER 8

const char *const ip_optimizer_names[] = {"sgd", "adam", NULL};
const char *const ip_lr_schedule_names[] = {"constant", "cosine", NULL};

int ip_optimizer_create(ip_optimizer *opt, const ip_optimizer_settings *cfg, size_t n)
{
    memset(opt, 0, sizeof *opt);
    if (cfg->optimizer != IP_OPT_SGD && cfg->optimizer != IP_OPT_ADAM)
        return ip_fail(IP_ERR_FORMAT, "optimizer: unknown kind %d", (int)cfg->optimizer);
    if (!(cfg->lr > 0) || !(cfg->momentum >= 0) || !(cfg->weight_decay >= 0))
        return ip_fail(IP_ERR_FORMAT, "optimizer: need lr > 0, momentum >= 0, weight_decay >= 0 (got %g, %g, %g)",
                       cfg->lr, cfg->momentum, cfg->weight_decay);
    if (cfg->optimizer == IP_OPT_ADAM &&
        !(cfg->beta1 >= 0 && cfg->beta1 < 1 && cfg->beta2 >= 0 && cfg->beta2 < 1 && cfg->eps >= 0))
        return ip_fail(IP_ERR_FORMAT, "optimizer: adam needs 0 <= beta1, beta2 < 1 and eps >= 0 (got %g, %g, %g)",
                       cfg->beta1, cfg->beta2, cfg->eps);
    opt->kind = cfg->optimizer;
    opt->lr = cfg->lr;
    opt->momentum = cfg->momentum;
    opt->weight_decay = cfg->weight_decay;
    opt->beta1 = cfg->beta1;
    opt->beta2 = cfg->beta2;
    opt->eps = cfg->eps;
    if (cfg->lr_schedule != IP_LR_CONSTANT && cfg->lr_schedule != IP_LR_COSINE)
        return ip_fail(IP_ERR_FORMAT, "optimizer: unknown lr schedule %d", (int)cfg->lr_schedule);
    opt->schedule = cfg->lr_schedule;
    opt->n = n;
    opt->m = ip_aligned_alloc(n * sizeof(float));
    if (opt->kind == IP_OPT_ADAM) opt->v = ip_aligned_alloc(n * sizeof(float));
    if (!opt->m || (opt->kind == IP_OPT_ADAM && !opt->v)) {
        ip_optimizer_free(opt);
        return IP_ERR_NOMEM;
    }
    return IP_OK;
}

void ip_optimizer_free(ip_optimizer *opt)
{
    free(opt->m);
    free(opt->v);
    opt->m = opt->v = NULL;
}

void ip_optimizer_set_total_steps(ip_optimizer *opt, int64_t total_steps)
{
    opt->total_steps = total_steps > 0 ? total_steps : 0;
}

double ip_optimizer_lr(const ip_optimizer *opt)
{
    if (opt->schedule != IP_LR_COSINE || opt->total_steps <= 0) return opt->lr;
    int64_t t = opt->step < opt->total_steps ? opt->step : opt->total_steps;
    return opt->lr * 0.5 * (1.0 + cos(M_PI * (double)t / (double)opt->total_steps));
}

/* torch.optim.SGD: g += wd p; buf = g on the first step, else buf = momentum buf + g;
 * p -= lr buf (p -= lr g when momentum is 0). */
typedef struct {
    ip_optimizer *opt;
    float *p;
    const float *grads;
    double lr; /* this step's learning rate (ip_optimizer_lr) */
} step_job;

static void sgd_range(step_job *job, size_t begin, size_t end)
{
    ip_optimizer *opt = job->opt;
    float *p = job->p;
    const float *grads = job->grads;
    float lr = (float)job->lr, mom = (float)opt->momentum, wd = (float)opt->weight_decay;
    float *buf = opt->m;
    int first = opt->step == 0;
    for (size_t i = begin; i < end; i++) {
        float g = grads[i];
        if (wd != 0.0f) g = g + wd * p[i];
        if (mom != 0.0f) {
            buf[i] = first ? g : mom * buf[i] + g;
            g = buf[i];
        }
        p[i] = p[i] - lr * g;
    }
}

/* torch.optim.Adam (amsgrad off): g += wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps). */
static void adam_range(step_job *job, size_t begin, size_t end)
{
    ip_optimizer *opt = job->opt;
    float *p = job->p;
    const float *grads = job->grads;
    double t = (double)opt->step + 1;
    double bc1 = 1.0 - pow(opt->beta1, t), bc2_sqrt = sqrt(1.0 - pow(opt->beta2, t));
    float b1 = (float)opt->beta1, b2 = (float)opt->beta2, wd = (float)opt->weight_decay;
    float omb1 = (float)(1.0 - opt->beta1), omb2 = (float)(1.0 - opt->beta2);
    float step_size = (float)(job->lr / bc1), bc2s = (float)bc2_sqrt, eps = (float)opt->eps;
    float *m = opt->m, *v = opt->v;
    for (size_t i = begin; i < end; i++) {
        float g = grads[i];
        if (wd != 0.0f) g = g + wd * p[i];
        m[i] = b1 * m[i] + omb1 * g;
        v[i] = b2 * v[i] + omb2 * (g * g);
        float denom = sqrtf(v[i]) / bc2s + eps;
        p[i] = p[i] - step_size * (m[i] / denom);
    }
}

static void step_chunks(void *ctx, int begin, int end, int worker)
{
    step_job *job = ctx;
    size_t from = (size_t)begin * CHUNK, to = (size_t)end * CHUNK;
    if (to > job->opt->n) to = job->opt->n;
    if (job->opt->kind == IP_OPT_ADAM)
        adam_range(job, from, to);
    else
        sgd_range(job, from, to);
}

void ip_optimizer_step(ip_optimizer *opt, float *params, const float *grads)
{
    step_job job = {opt, params, grads, ip_optimizer_lr(opt)};
    ip_parallel_for((int)((opt->n + CHUNK - 1) / CHUNK), MIN_CHUNKS_PER_WORKER, step_chunks, &job);
    opt->step++;
}
