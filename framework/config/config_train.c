/* The train section: epochs, batches, the optimizer and its schedule, threads, shuffling and
 * the shift augmentation (the trainer is framework/train/, the optimizers nn/optim.c). */
#include "config_fields.h"

#include <limits.h>
#include <math.h>

CFG_INT_SIZED_ENUM(ip_optimizer_kind);
CFG_INT_SIZED_ENUM(ip_lr_schedule);

static const cfg_field train_fields[] = {
    INT_F(ip_config, "epochs", train.epochs, 0, INT_MAX),
    INT_F(ip_config, "batch_size", train.batch_size, 1, INT_MAX),
    ENUM_F(ip_config, "optimizer", train.optim.optimizer, ip_optimizer_names),
    REAL_F(ip_config, "lr", train.optim.lr, 0, HUGE_VAL, 1, 0),
    REAL_F(ip_config, "momentum", train.optim.momentum, 0, 1, 0, 1),
    REAL_F(ip_config, "weight_decay", train.optim.weight_decay, 0, HUGE_VAL, 0, 0),
    REAL_F(ip_config, "beta1", train.optim.beta1, 0, 1, 0, 1),
    REAL_F(ip_config, "beta2", train.optim.beta2, 0, 1, 0, 1),
    REAL_F(ip_config, "eps", train.optim.eps, 0, HUGE_VAL, 1, 0),
    INT_F(ip_config, "threads", train.threads, 0, 4096),
    BOOL_F(ip_config, "shuffle", train.shuffle),
    ENUM_F(ip_config, "lr_schedule", train.optim.lr_schedule, ip_lr_schedule_names),
    INT_F(ip_config, "augment_shift", train.augment_shift, 0, 1000),
};

const cfg_section cfg_train_section = {"train", train_fields, N_OF(train_fields), NULL};
