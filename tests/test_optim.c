/* Optimizer tests: SGD (momentum, weight decay) and Adam over two steps against values worked
 * out by hand here from torch.optim's update rules, the cosine learning-rate schedule, plus
 * argument validation. */
#include "testutil.h"

#include "core/status.h"
#include "nn/optim.h"

/* Two steps with fixed gradients; the expected values are written out step by step (double). */
static void test_sgd_momentum_wd(void **state)
{
    ip_optimizer_settings tc = {.optimizer = IP_OPT_SGD, .lr = 0.1, .momentum = 0.9, .weight_decay = 0.01};
    ip_optimizer opt;
    assert_int_equal(ip_optimizer_create(&opt, &tc, 3), IP_OK);
    float p[3] = {1.0f, -2.0f, 0.5f};
    const float g1[3] = {0.5f, 0.25f, -1.0f}, g2[3] = {-0.5f, 1.0f, 2.0f};
    double e[3], buf[3];
    for (int i = 0; i < 3; i++) {
        /* step 1: d = g + wd p; buf = d; p -= lr buf */
        double d = g1[i] + 0.01 * p[i];
        buf[i] = d;
        e[i] = p[i] - 0.1 * buf[i];
    }
    ip_optimizer_step(&opt, p, g1);
    for (int i = 0; i < 3; i++) assert_close(p[i], e[i], 1e-6, 0);
    /* worked by hand for p[0]: d = 0.5 + 0.01 = 0.51; p = 1 - 0.051 = 0.949 */
    assert_close(p[0], 0.949, 1e-6, 0);
    for (int i = 0; i < 3; i++) {
        /* step 2: d = g + wd p; buf = momentum buf + d; p -= lr buf */
        double d = g2[i] + 0.01 * e[i];
        buf[i] = 0.9 * buf[i] + d;
        e[i] = e[i] - 0.1 * buf[i];
    }
    ip_optimizer_step(&opt, p, g2);
    for (int i = 0; i < 3; i++) assert_close(p[i], e[i], 1e-6, 0);
    /* p[0]: d = -0.5 + 0.00949 = -0.49051; buf = 0.459 - 0.49051 = -0.03151; p = 0.949 + 0.003151 */
    assert_close(p[0], 0.952151, 1e-6, 0);
    assert_int_equal(opt.step, 2);
    ip_optimizer_free(&opt);
}

static void test_sgd_plain(void **state)
{
    ip_optimizer_settings tc = {.optimizer = IP_OPT_SGD, .lr = 0.5};
    ip_optimizer opt;
    assert_int_equal(ip_optimizer_create(&opt, &tc, 2), IP_OK);
    float p[2] = {1.0f, 2.0f};
    const float g[2] = {0.25f, -1.0f};
    ip_optimizer_step(&opt, p, g);
    ip_optimizer_step(&opt, p, g);
    assert_true(p[0] == 0.75f && p[1] == 3.0f); /* exact in binary */
    ip_optimizer_free(&opt);
}

/* Adam with weight decay: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 * p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). */
static void test_adam(void **state)
{
    ip_optimizer_settings tc = {.optimizer = IP_OPT_ADAM, .lr = 1e-3, .weight_decay = 0.1, .beta1 = 0.9, .beta2 = 0.999,
                          .eps = 1e-8};
    ip_optimizer opt;
    assert_int_equal(ip_optimizer_create(&opt, &tc, 4), IP_OK);
    float p[4] = {1.0f, -0.5f, 0.0f, 2.0f};
    const float g1[4] = {0.1f, -0.2f, 0.0f, 3.0f}, g2[4] = {-0.3f, 0.05f, 1e-9f, 3.0f};
    double e[4] = {1.0, -0.5, 0.0, 2.0}, m[4] = {0}, v[4] = {0};
    const float *gs[2] = {g1, g2};
    for (int t = 1; t <= 2; t++) {
        for (int i = 0; i < 4; i++) {
            double g = gs[t - 1][i] + 0.1 * e[i];
            m[i] = 0.9 * m[i] + 0.1 * g;
            v[i] = 0.999 * v[i] + 0.001 * g * g;
            double mhat_step = 1e-3 / (1 - pow(0.9, t)), denom = sqrt(v[i]) / sqrt(1 - pow(0.999, t)) + 1e-8;
            e[i] -= mhat_step * m[i] / denom;
        }
        ip_optimizer_step(&opt, p, gs[t - 1]);
        for (int i = 0; i < 4; i++) assert_close(p[i], e[i], 1e-6, 1e-9);
    }
    /* by hand, p[0] after step 1: g = 0.2; m = 0.02, v = 4e-5; mhat = 0.2, vhat = 0.04:
     * p = 1 - 1e-3 * 0.2 / (0.2 + 1e-8) = 0.99900000005 */
    ip_optimizer_free(&opt);
    /* p[2] starts at 0 with zero gradient: the first step leaves it at 0 (m = 0) */
    assert_int_equal(ip_optimizer_create(&opt, &tc, 4), IP_OK);
    float q[4] = {1.0f, -0.5f, 0.0f, 2.0f};
    ip_optimizer_step(&opt, q, g1);
    assert_close(q[0], 0.99900000005, 1e-7, 0);
    assert_true(q[2] == 0.0f);
    ip_optimizer_free(&opt);
}

/* Cosine schedule: lr_t = lr * 0.5 * (1 + cos(pi t / T)), t = steps taken before this one. */
static void test_cosine_lr(void **state)
{
    ip_optimizer_settings tc = {.optimizer = IP_OPT_ADAM, .lr = 3e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                          .lr_schedule = IP_LR_COSINE};
    ip_optimizer opt;
    assert_int_equal(ip_optimizer_create(&opt, &tc, 2), IP_OK);
    assert_true(ip_optimizer_lr(&opt) == 3e-3); /* T not set yet: the base lr */
    const int64_t T = 1256;                     /* 8 epochs of ceil(10000 / 64) = 157 steps */
    ip_optimizer_set_total_steps(&opt, T);
    opt.step = 0;
    assert_true(ip_optimizer_lr(&opt) == 3e-3); /* t = 0: the full lr, exactly */
    opt.step = T / 2;
    assert_close(ip_optimizer_lr(&opt), 1.5e-3, 0, 1e-15); /* cos(pi/2) = 0: half */
    opt.step = T - 1;                                      /* the last step: small but not 0 */
    double last = 3e-3 * 0.5 * (1 + cos(M_PI * (double)(T - 1) / (double)T));
    assert_close(ip_optimizer_lr(&opt), last, 0, 1e-18);
    assert_close(ip_optimizer_lr(&opt), 3e-3 * M_PI * M_PI / (4.0 * T * T), 1e-4, 0); /* ~ lr pi^2 / 4T^2 */
    assert_true(ip_optimizer_lr(&opt) > 0);
    opt.step = T + 10; /* beyond the run (never reached by the trainer): stays at 0 */
    assert_true(ip_optimizer_lr(&opt) == 0);
    opt.step = T / 4;
    assert_close(ip_optimizer_lr(&opt), 3e-3 * 0.5 * (1 + sqrt(0.5)), 0, 1e-15);
    ip_optimizer_free(&opt);

    /* A step uses the scheduled lr exactly as a constant-lr optimizer with that lr would: the
     * same floats (torch with param_group["lr"] set before each step). */
    ip_optimizer a, b;
    ip_optimizer_settings tb = tc;
    tb.lr_schedule = IP_LR_CONSTANT;
    for (int kind = 0; kind < 2; kind++) {
        tc.optimizer = tb.optimizer = kind ? IP_OPT_ADAM : IP_OPT_SGD;
        tc.momentum = tb.momentum = kind ? 0 : 0.9;
        assert_int_equal(ip_optimizer_create(&a, &tc, 3), IP_OK);
        ip_optimizer_set_total_steps(&a, 10);
        float pa[3] = {1.0f, -0.5f, 0.25f}, pb[3] = {1.0f, -0.5f, 0.25f};
        const float g[3] = {0.3f, -0.1f, 2.0f};
        for (int t = 0; t < 10; t++) {
            /* b: a fresh constant optimizer carrying a's state, with lr = a's lr for this step */
            tb.lr = t == 0 ? tc.lr : ip_optimizer_lr(&a);
            assert_true(tb.lr > 0);
            assert_int_equal(ip_optimizer_create(&b, &tb, 3), IP_OK);
            memcpy(b.m, a.m, sizeof(float) * 3);
            if (kind) memcpy(b.v, a.v, sizeof(float) * 3);
            b.step = a.step;
            memcpy(pb, pa, sizeof pa);
            ip_optimizer_step(&a, pa, g);
            ip_optimizer_step(&b, pb, g);
            assert_memory_equal(pa, pb, sizeof pa);
            ip_optimizer_free(&b);
        }
        assert_int_equal(a.step, 10);
        assert_true(ip_optimizer_lr(&a) == 0);
        ip_optimizer_free(&a);
    }
}

static void test_bad_arguments(void **state)
{
    ip_optimizer opt;
    ip_optimizer_settings tc = {.optimizer = IP_OPT_SGD, .lr = 0};
    assert_true(ip_optimizer_create(&opt, &tc, 3) < 0);
    tc = (ip_optimizer_settings){.optimizer = IP_OPT_ADAM, .lr = 1e-3, .beta1 = 1.0, .beta2 = 0.999};
    assert_true(ip_optimizer_create(&opt, &tc, 3) < 0);
    assert_non_null(strstr(ip_error_message(), "adam"));
    tc = (ip_optimizer_settings){.optimizer = (ip_optimizer_kind)7, .lr = 1e-3};
    assert_true(ip_optimizer_create(&opt, &tc, 3) < 0);
    tc = (ip_optimizer_settings){.optimizer = IP_OPT_SGD, .lr = 1e-3, .lr_schedule = (ip_lr_schedule)5};
    assert_true(ip_optimizer_create(&opt, &tc, 3) < 0);
    assert_non_null(strstr(ip_error_message(), "schedule"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_momentum_wd),
        cmocka_unit_test(test_sgd_plain),
        cmocka_unit_test(test_adam),
        cmocka_unit_test(test_cosine_lr),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
