/* Expands the model section of a config into layer specs: the named architectures of
 * the literature live in models/ (tishby, mnist_fnn, mnist_cnn), plus generic mlp/cnn
 * and an explicit custom layer list. */
#ifndef IP_MODEL_H
#define IP_MODEL_H

#include "../config/config.h"
#include "layer.h"

/* Writes up to IP_MAX_LAYERS specs into specs and their count into *n. The last layer is a
 * dense layer with n_classes units, recorded (the logits). Returns an error naming the
 * architecture when it does not fit the input. */
int ip_model_build(const ip_model_config *m, ip_shape input, int n_classes, ip_layer_spec *specs, int *n);

#endif
