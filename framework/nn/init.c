/* Parameter initialisation: PyTorch's defaults, Tishby's truncated normal, Xavier/Glorot.
 * Draw order (fixed, so a seed gives bit-identical weights): layers in order; within a layer
 * every weight in storage order, then every bias in order. Layers without parameters draw
 * nothing; zero biases draw nothing. Values are drawn in double and rounded to float once. */
#include <math.h>
#include <string.h>

#include "network.h"

/* U(-bound, bound) with one 53-bit uniform per value. */
static float uniform(ip_rng *rng, double bound) { return (float)((2.0 * ip_rng_uniform(rng) - 1.0) * bound); }

/* N(0, std^2) cut at +-2 std by redrawing (as torch.nn.init.trunc_normal_ with a = -2 std,
 * b = 2 std, though torch uses the inverse CDF: the distribution is the same, the stream is ours). */
static float truncnorm(ip_rng *rng, double std)
{
    double z;
    do z = ip_rng_normal(rng);
    while (fabs(z) > 2.0);
    return (float)(z * std);
}

/* PYTORCH: nn.Linear / nn.Conv2d reset_parameters: kaiming_uniform(a = sqrt 5) on the weight is
 * U(+-1/sqrt(fan_in)), and the bias is U(+-1/sqrt(fan_in)) too.
 * TRUNCNORM: weights N(0, 1/fan_in) truncated at 2 std, bias 0 (Shwartz-Ziv & Tishby).
 * XAVIER: weights U(+-sqrt(6 / (fan_in + fan_out))), bias 0 (Glorot & Bengio). */
void ip_network_init(ip_network *net, ip_init_kind kind, ip_rng *rng)
{
    for (int i = 0; i < net->n_layers; i++) {
        ip_layer *l = &net->layers[i];
        if (l->n_params == 0) continue;
        float *w = l->params, *b = l->params + l->n_weights;
        size_t nb = l->n_params - l->n_weights;
        double fan_in = l->fan_in > 0 ? l->fan_in : 1;
        switch (kind) {
        case IP_INIT_PYTORCH: {
            double bound = 1.0 / sqrt(fan_in);
            for (size_t j = 0; j < l->n_weights; j++) w[j] = uniform(rng, bound);
            for (size_t j = 0; j < nb; j++) b[j] = uniform(rng, bound);
            break;
        }
        case IP_INIT_TRUNCNORM: {
            double std = 1.0 / sqrt(fan_in);
            for (size_t j = 0; j < l->n_weights; j++) w[j] = truncnorm(rng, std);
            memset(b, 0, nb * sizeof *b);
            break;
        }
        case IP_INIT_XAVIER: {
            double bound = sqrt(6.0 / ((double)l->fan_in + l->fan_out));
            for (size_t j = 0; j < l->n_weights; j++) w[j] = uniform(rng, bound);
            memset(b, 0, nb * sizeof *b);
            break;
        }
        }
    }
}
