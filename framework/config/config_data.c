/* The data section: which data set, where its files are, how much of it, the synthetic
 * Gaussians' parameters and the input scaling (the loaders are in framework/data/). */
#include "config_fields.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/status.h"

CFG_INT_SIZED_ENUM(ip_data_scale);

static const cfg_field data_fields[] = {
    NAME_F(ip_config, "dataset", data.dataset, ip_dataset_names),
    PATH_F(ip_config, "path", data.path),
    PATH_F(ip_config, "train_images", data.train_images),
    PATH_F(ip_config, "train_labels", data.train_labels),
    PATH_F(ip_config, "test_images", data.test_images),
    PATH_F(ip_config, "test_labels", data.test_labels),
    INT_F(ip_config, "train_size", data.train_size, 0, INT_MAX),
    INT_F(ip_config, "test_size", data.test_size, 0, INT_MAX),
    REAL_F(ip_config, "train_fraction", data.train_fraction, 0, 1, 1, 0),
    INT_F(ip_config, "gaussian_samples", data.gaussian_samples, 2, INT_MAX),
    INT_F(ip_config, "gaussian_dim", data.gaussian_dim, 1, INT_MAX),
    INT_F(ip_config, "gaussian_classes", data.gaussian_classes, 2, INT_MAX),
    REAL_F(ip_config, "gaussian_separation", data.gaussian_separation, 0, HUGE_VAL, 0, 0),
    ENUM_F(ip_config, "scale", data.scale, ip_data_scale_names),
    REAL_F(ip_config, "label_noise", data.label_noise, 0, 1, 0, 1),
    BOOL_F(ip_config, "generate", data.generate),
};

/* The idx dataset has no directory convention: its files must be named. The Gaussian generator
 * gives every class at least one sample. */
static int check_data(ip_config *cfg, const cfg_node *section)
{
    const ip_data_config *d = &cfg->data;
    const cfg_node *ds = cfg_map_get(section, "dataset", NULL);
    if (strcmp(d->dataset, "idx") == 0 && (!d->train_images[0] || !d->train_labels[0]))
        return cfg_node_fail(ds ? ds : section, "data.dataset: idx needs data.train_images and data.train_labels");
    if (!d->test_images[0] != !d->test_labels[0]) {
        const cfg_node *v = cfg_map_get(section, d->test_images[0] ? "test_images" : "test_labels", NULL);
        return cfg_node_fail(v ? v : section, "data: test_images and test_labels go together; give both or neither");
    }
    if (d->generate && strcmp(d->dataset, "tishby") != 0) {
        const cfg_node *g = cfg_map_get(section, "generate", NULL);
        return cfg_node_fail(g ? g : section, "data.generate: only the tishby task has a generator to choose "
                             "(dataset is %s)", d->dataset);
    }
    if (d->generate && d->path[0]) {
        const cfg_node *g = cfg_map_get(section, "generate", NULL);
        return cfg_node_fail(g ? g : section, "data.generate: true and data.path = %s contradict each other: "
                             "give the files' directory or ask for the generator, not both", d->path);
    }
    if (strcmp(d->dataset, "gaussian") == 0 && d->gaussian_classes > d->gaussian_samples) {
        const cfg_node *k = cfg_map_get(section, "gaussian_classes", NULL);
        const cfg_node *n = cfg_map_get(section, "gaussian_samples", NULL);
        return cfg_node_fail(k ? k : n ? n : section, "data.gaussian_classes: %d classes need at least as many "
                             "samples, but data.gaussian_samples is %d", d->gaussian_classes, d->gaussian_samples);
    }
    return IP_OK;
}

const cfg_section cfg_data_section = {"data", data_fields, N_OF(data_fields), check_data};
