/* The training loop (see train.h): epoch 0 is the initial network; after every epoch the
 * metrics and the resume state go to run.h5, and at scheduled epochs every recorded
 * layer's output on the analysis set. Randomness: one ip_rng seeded from cfg->seed drives
 * the initialisation and then the shuffles, and its state is saved with every epoch. */
#include "train.h"

#include "../config/config_compare.h"
#include "../config/config_summary.h"
#include "../core/blas.h"
#include "../core/parallel.h"
#include "../core/dirlock.h"
#include "../core/fsutil.h"
#include "../core/interrupt.h"
#include "../core/mem.h"
#include "../core/rng.h"
#include "../core/status.h"
#include "../data/dataset.h"
#include "../nn/model.h"
#include "../nn/network.h"
#include "../nn/optim.h"
#include "../record/schedule.h"
#include "train_plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* Every layer of a network may be recorded. */
_Static_assert(IP_MAX_LAYERS <= IP_RUN_MAX_LAYERS, "record/ takes fewer layers than a network has");

/* Everything one training run holds, freed in one place. */
typedef struct {
    const char *run_path;          /* DIR/run.h5, for messages */
    ip_train_plan plan;            /* the batch and analysis-set sizes, checked against memory */
    ip_data data;
    ip_network *net;
    ip_optimizer opt;
    ip_rng rng;
    ip_run *run;
    int n_rec;                     /* recorded layers */
    int rec_index[IP_MAX_LAYERS];  /* network layer index of each recorded layer */
    int rec_units[IP_MAX_LAYERS];
    char rec_names[IP_MAX_LAYERS][IP_LAYER_NAME_LEN];
    ip_dataset analysis;           /* the analysis set (its own copies) */
    ip_fixed_rows *analysis_rows;  /* it and the test set prepared for the forward passes they get */
    ip_fixed_rows *test_rows;      /* every epoch (NULL: not preparable, the ordinary route) */
    int n_analysis_train;          /* its first rows are training samples, the rest test samples */
    float *rec_buf;                /* all recorded layers' outputs on the analysis set, for runs
                                    * written synchronously (epoch 0 always is) */
    float *batch_x;
    int *batch_y, *order;
    int *shift;                    /* train.augment_shift: (dx, dy) per batch row, or NULL */
    ip_epoch_metrics *history;     /* metrics rows, epoch 0..E */
    int n_history;
    const ip_record_config *record; /* record.store: which recorded epochs go to the run file too */
    const ip_train_hook *hook;     /* the options' on_record, or NULL */
    int hook_started;              /* its start succeeded: finish is owed */
} trainer;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Mean loss and accuracy of a whole dataset, forward only, in batches of the network's max;
 * rows: the dataset prepared by ip_network_prepare_rows, or NULL. */
static void evaluate(ip_network *net, const ip_dataset *s, ip_fixed_rows *rows, double *loss, double *acc)
{
    int feat = ip_dataset_features(s), hits = 0;
    double total = 0;
    for (int i = 0; i < s->n; i += net->max_batch) {
        int b = s->n - i < net->max_batch ? s->n - i : net->max_batch, correct = 0;
        ip_forward_opts opts = {.rows = rows, .row0 = i};
        total += (double)ip_network_eval(net, s->x + (size_t)i * feat, s->y + i, b, &correct, &opts) * b;
        hits += correct;
    }
    *loss = s->n ? total / s->n : NAN;
    *acc = s->n ? (double)hits / s->n : NAN;
}

/* The analysis set: the first record.samples training samples, then the first
 * record.test_samples test samples. Copies, so the training data can be shuffled freely. Its
 * labels are the true ones (data.label_noise replaces training labels only for training): I(T;Y)
 * is information about the task's label, not about the noise. */
static int build_analysis_set(trainer *t, const ip_record_config *rc)
{
    const ip_dataset *tr = &t->data.train, *te = &t->data.test;
    int n_train = t->plan.n_analysis_train, n_test = t->plan.n_analysis_test;
    if (rc->samples > tr->n)
        fprintf(stderr, "infoplane: note: record.samples = %d but the training set has %d; using %d\n",
                rc->samples, tr->n, tr->n);
    int feat = ip_dataset_features(tr);
    ip_dataset *a = &t->analysis;
    *a = *tr;
    a->y_true = NULL;
    a->n = n_train + n_test;
    t->n_analysis_train = n_train;
    a->x = ip_malloc(sizeof(float) * (size_t)a->n * feat);
    a->y = ip_malloc(sizeof(int) * (size_t)a->n);
    if (!a->x || !a->y) return IP_ERR_NOMEM;
    memcpy(a->x, tr->x, sizeof(float) * (size_t)n_train * feat);
    memcpy(a->y, tr->y_true ? tr->y_true : tr->y, sizeof(int) * (size_t)n_train);
    if (n_test) {
        memcpy(a->x + (size_t)n_train * feat, te->x, sizeof(float) * (size_t)n_test * feat);
        memcpy(a->y + n_train, te->y, sizeof(int) * (size_t)n_test);
    }
    return IP_OK;
}

/* Forward the analysis set and gather every recorded layer's output (layer after layer, each
 * n x units) straight into the run writer's buffer, or into rec_buf when the run writes
 * synchronously or the epoch is not stored; then append them to the run when record.store keeps
 * this epoch (to_run 0: never, the hook only). */
static int record_epoch(trainer *t, int epoch, int to_run)
{
    const int keep = to_run && ip_schedule_stores(t->record, epoch);
    ip_network *net = t->net;
    const ip_dataset *a = &t->analysis;
    int feat = ip_dataset_features(a);
    const float *layer_out[IP_MAX_LAYERS];
    float *room = keep ? ip_run_activation_room(t->run) : NULL;
    float *base = room ? room : t->rec_buf;
    size_t off = 0;
    for (int l = 0; l < t->n_rec; l++) {
        layer_out[l] = base + off;
        off += (size_t)a->n * t->rec_units[l];
    }
    float *outs[IP_MAX_LAYERS] = {0};
    for (int i = 0; i < a->n; i += net->max_batch) {
        int b = a->n - i < net->max_batch ? a->n - i : net->max_batch;
        /* recorded layers write their rows of the batch in place */
        for (int l = 0; l < t->n_rec; l++) outs[t->rec_index[l]] = (float *)layer_out[l] + (size_t)i * t->rec_units[l];
        ip_forward_opts opts = {.outs = outs, .rows = t->analysis_rows, .row0 = i};
        if (!ip_network_forward(net, a->x + (size_t)i * feat, b, &opts))
            return IP_ERR; /* message set */
    }
    int rc = keep ? ip_run_append_activations(t->run, epoch, layer_out) : IP_OK;
    /* The hook sees the epoch before it is committed (finish_epoch): the buffer is the run's job
     * being filled, which its writer does not touch before then. */
    if (rc == IP_OK && t->hook && t->hook->epoch) rc = t->hook->epoch(t->hook->ctx, epoch, layer_out);
    return rc;
}

/* The hook's start, once the run is open: the analysis set, the layers, and for a resumed run the
 * epochs it recorded up to its last completed one. */
static int start_hook(trainer *t, const ip_config *cfg, const ip_train_options *o, int resumed, int last)
{
    if (!t->hook) return IP_OK;
    int *recorded = NULL, n = 0, rc = IP_OK;
    if (resumed) {
        if (!(recorded = ip_malloc(sizeof(int) * ((size_t)last + 1)))) return IP_ERR_NOMEM;
        for (int e = 0; e <= last; e++)
            if (ip_schedule_records(&cfg->record, e)) recorded[n++] = e;
    }
    const ip_train_record_info info = {
        .out_dir = o->out_dir, .run_path = t->run_path, .run = t->run, .x = t->analysis.x, .y = t->analysis.y,
        .m = t->analysis.n, .d_x = ip_dataset_features(&t->analysis), .n_classes = t->analysis.n_classes,
        .n_layers = t->n_rec, .units = t->rec_units, .names = (const char(*)[IP_LAYER_NAME_LEN])t->rec_names,
        .resumed = resumed, .last_epoch = resumed ? last : -1, .n_recorded = n, .recorded = recorded};
    if (t->hook->start) rc = t->hook->start(t->hook->ctx, &info);
    if (rc == IP_OK) t->hook_started = 1;
    free(recorded);
    return rc;
}

/* metrics.csv: one row per epoch. Without a test set (data.train_fraction 1, idx files without
 * test files) the test columns are left out rather than filled with NaN. */
static int write_metrics_csv(const trainer *t, const char *dir)
{
    char path[IP_PATH_LEN + 32];
    snprintf(path, sizeof path, "%s/metrics.csv", dir);
    return ip_metrics_write_csv(path, t->history, t->n_history, t->data.test.n > 0);
}

static int finish_epoch(trainer *t, const ip_epoch_metrics *m)
{
    if (t->hook && t->hook->before_commit) {
        int rc = t->hook->before_commit(t->hook->ctx, m->epoch);
        if (rc != IP_OK) return rc;
    }
    t->history[t->n_history++] = *m;
    const float *v = t->opt.v ? t->opt.v : t->opt.m; /* SGD keeps no second moment */
    return ip_run_append_epoch(t->run, m, t->net->params, t->net->n_params, t->opt.m, v, t->opt.n,
                               t->opt.step, t->rng.s);
}

/* The hook's view (train.h) above the progress bar on a terminal. */
#define VIEW_CAP 16384
typedef struct {
    const ip_train_hook *hook; /* with a view callback, or NULL: the bar alone */
    char *text;                /* the view as last fetched (VIEW_CAP bytes, owned; NULL: no view) */
    int lines;                 /* screen lines above the bar that the view takes (0: none drawn) */
    double fetched;            /* when the hook was last asked */
    int ended;                 /* the final bar was drawn, with its newline */
    char bar[320];
} live_view;

/* Width on the screen of s up to its end or a newline: ANSI sequences (ESC [ ... letter) take none. */
static int screen_width(const char *s, const char **end)
{
    int w = 0;
    while (*s && *s != '\n') {
        if (*s == '\033' && s[1] == '[') {
            s += 2;
            while (*s && !(*s >= '@' && *s <= '~')) s++;
            if (*s) s++;
        } else {
            w++, s++;
        }
    }
    *end = s;
    return w;
}

/* The bar at the start of its line, with the view redrawn above it when the hook has a new one
 * (asked at most ten times a second, and always when `force`) and it fits the terminal: up to the
 * view's first line, each line cleared and drawn, then the bar (cut to the terminal's width, so
 * it takes one line). */
static void draw_live(live_view *v, const char *bar, int force)
{
    int cols = 80, rows = 24;
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) cols = ws.ws_col, rows = ws.ws_row;
    double now = now_seconds();
    int fresh = 0, n = 0, width = 0;
    if (v->text && (force || now - v->fetched >= 0.1)) {
        v->fetched = now;
        fresh = v->hook->view(v->hook->ctx, v->text, VIEW_CAP) == 1;
    }
    if (fresh) {
        const char *e;
        for (const char *p = v->text; *p; p = *e ? e + 1 : e, n++) {
            int w = screen_width(p, &e);
            width = w > width ? w : width;
        }
    }
    fputc('\r', stderr);
    if (fresh && n > 0 && width < cols && (n > v->lines ? n : v->lines) + 2 <= rows) {
        if (v->lines) fprintf(stderr, "\033[%dA", v->lines);
        for (int k = n; k < v->lines; k++) fputs("\033[2K\n", stderr); /* a shorter view: blank lines on top */
        const char *e;
        for (const char *p = v->text; *p; p = *e ? e + 1 : e) {
            screen_width(p, &e);
            fprintf(stderr, "\033[2K%.*s\n", (int)(e - p), p);
        }
        if (n > v->lines) v->lines = n;
    }
    if (v->lines) fprintf(stderr, "\033[2K%.*s", cols - 1, bar);
    else fputs(bar, stderr);
    snprintf(v->bar, sizeof v->bar, "%s", bar);
}

/* After the hook's finish, which may have seen the last epochs after the final bar: the view
 * once more above that bar. */
static void draw_live_final(live_view *v)
{
    if (!v->text || !v->lines || !v->ended) return;
    fprintf(stderr, "\033[1A");
    draw_live(v, v->bar, 1);
    fputc('\n', stderr);
}

static void print_progress(const ip_train_options *o, live_view *v, const ip_epoch_metrics *m, int epochs,
                           int recorded)
{
    if (o->quiet) return;
    char test[64] = "  no test set";
    if (o->progress) {
        int width = 30, done = epochs ? (int)((double)m->epoch / epochs * width) : width;
        if (!isnan(m->test_loss)) snprintf(test, sizeof test, "  test %.4f/%.4f", m->test_loss, m->test_acc);
        char bar[320];
        snprintf(bar, sizeof bar, "[%.*s%*s] epoch %d/%d  loss %.4f  acc %.4f%s  %.2fs%s ", done,
                 "==============================", width - done, "", m->epoch, epochs, m->train_loss,
                 m->train_acc, test, m->seconds, recorded ? " *" : "  ");
        draw_live(v, bar, m->epoch == epochs);
        if (m->epoch == epochs) fputc('\n', stderr), v->ended = 1;
        return;
    }
    /* Plain lines: every epoch for short runs, about 100 lines for long ones. */
    int stride = epochs > 200 ? (epochs + 99) / 100 : 1;
    if (!isnan(m->test_loss)) snprintf(test, sizeof test, "  test_loss %.6f  test_acc %.4f", m->test_loss, m->test_acc);
    if (m->epoch % stride == 0 || m->epoch == epochs)
        fprintf(stderr, "epoch %d/%d  loss %.6f  acc %.4f%s  %.3fs%s\n", m->epoch, epochs, m->train_loss,
                m->train_acc, test, m->seconds, recorded ? "  recorded" : "");
}

/* A stop asked for by a signal (core/interrupt.h), at a batch boundary of `epoch` (during) or
 * before it starts. What the run holds is what was committed: the epochs handed to the run file,
 * which ip_run_close writes out. The part of an epoch already trained lives only in memory and is
 * dropped, so a resume, starting from the last committed state, trains that epoch again from its
 * start and ends with the same bytes as an uninterrupted run. */
static int stopped(const trainer *t, int epoch, int epochs, int during)
{
    int last = t->n_history > 0 ? t->history[t->n_history - 1].epoch : -1;
    char dropped[160] = "";
    if (during)
        snprintf(dropped, sizeof dropped, " (the part of epoch %d trained so far is dropped: a resume trains it "
                                          "again from its start, with the same result)", epoch);
    return ip_fail(IP_ERR_INTERRUPTED, "%s: stopped by %s %s epoch %d of %d; the run holds epochs 0 to %d%s",
                   t->run_path, ip_interrupt_name(ip_interrupt_pending()), during ? "during" : "before", epoch,
                   epochs, last, dropped);
}

/* One pass over the shuffled training set. With train.augment_shift each batch's shifts are
 * drawn from the training RNG on this thread, after the shuffle and before the rows are gathered
 * (so they depend neither on the thread count nor on anything but the RNG state the run file
 * saves: a resumed run draws the same ones). */
static int train_one_epoch(trainer *t, const ip_config *cfg, int epoch, ip_epoch_metrics *m)
{
    const ip_dataset *tr = &t->data.train;
    int bs = t->plan.batch, hits = 0, batch_no = 0;
    double total = 0;
    /* Shuffle from the identity every epoch, so the order depends only on the RNG state,
     * which the run file saves: a resumed run then sees the same batches. */
    for (int i = 0; i < tr->n; i++) t->order[i] = i;
    if (cfg->train.shuffle) ip_rng_shuffle_int(&t->rng, t->order, tr->n);
    for (int i = 0; i < tr->n; i += bs, batch_no++) {
        if (ip_interrupt_pending()) return stopped(t, epoch, cfg->train.epochs, 1); /* a safe point */
        int b = tr->n - i < bs ? tr->n - i : bs, correct = 0;
        if (t->shift) ip_dataset_draw_shifts(&t->rng, cfg->train.augment_shift, b, t->shift);
        ip_dataset_gather_shifted(tr, t->order + i, b, t->shift, t->batch_x, t->batch_y);
        float loss = ip_network_train_step_grads(t->net, t->batch_x, t->batch_y, b, &correct);
        if (!isfinite(loss))
            return ip_fail(IP_ERR_NUMERIC,
                           "epoch %d, batch %d: the loss is %g; training stopped (try a smaller train.lr). "
                           "Epochs up to %d are saved in the run file",
                           epoch, batch_no, (double)loss, epoch - 1);
        ip_optimizer_step(&t->opt, t->net->params, t->net->grads);
        total += (double)loss * b;
        hits += correct;
    }
    m->epoch = epoch;
    m->train_loss = total / tr->n;
    m->train_acc = (double)hits / tr->n;
    evaluate(t->net, &t->data.test, t->test_rows, &m->test_loss, &m->test_acc);
    return IP_OK;
}

/* Releases everything; returns the run file's closing status (its last pending writes). */
static int trainer_free(trainer *t)
{
    int rc = ip_run_close(t->run);
    ip_network_rows_free(t->analysis_rows);
    ip_network_rows_free(t->test_rows);
    ip_network_free(t->net);
    ip_optimizer_free(&t->opt);
    ip_data_free(&t->data);
    free(t->analysis.x);
    free(t->analysis.y);
    free(t->rec_buf);
    free(t->batch_x);
    free(t->batch_y);
    free(t->order);
    free(t->shift);
    free(t->history);
    return rc;
}

/* The config a run was made with, loaded again from the text and the --set lines it stores, into
 * *out (released with ip_config_free). */
static int load_run_config(ip_config *out, const ip_run_description *d)
{
    const char *ov = d->overrides ? d->overrides : "";
    size_t len = strlen(ov);
    char *copy = ip_malloc(len + 1), **sets = ip_calloc(len / 2 + 2, sizeof *sets);
    int n = 0, rc = IP_ERR_NOMEM;
    if (copy && sets) {
        memcpy(copy, ov, len + 1);
        for (char *line = copy, *next; line && *line; line = next) {
            if ((next = strchr(line, '\n'))) *next++ = '\0';
            if (*line) sets[n++] = line;
        }
        rc = ip_config_load_text(out, d->config_text ? d->config_text : "", d->config_source, n, sets);
    }
    free(copy);
    free(sets);
    return rc;
}

/* "seed: 3, activation: tanh": the settings of c that other does not share. */
static void differences(char *out, size_t cap, const ip_config *c, const ip_config *other)
{
    char rest[900];
    const ip_config *others[1] = {other};
    ip_config_distinct(c, 1, others, 8, rest, sizeof rest);
    if (c->seed != other->seed)
        snprintf(out, cap, "seed: %llu%s%s", (unsigned long long)c->seed, rest[0] ? ", " : "", rest);
    else
        snprintf(out, cap, "%s", rest);
}

/* Checks that the run in `path` was made by the same config before resuming it. The configs are
 * compared as loaded (config/config_compare.h), so the order of the --set values, comments and the
 * spelling of a value do not matter; a difference is named. A stored config that no longer loads
 * is compared as text. */
static int check_same_config(const char *path, const ip_config *cfg)
{
    ip_run *r = NULL;
    ip_run_description d;
    ip_config stored;
    int loaded = 0;
    memset(&d, 0, sizeof d);
    memset(&stored, 0, sizeof stored);
    int rc = ip_run_open_read(&r, path, 0);
    if (rc == IP_OK) rc = ip_run_describe(r, &d);
    if (rc == IP_OK) loaded = load_run_config(&stored, &d) == IP_OK;
    if (rc == IP_OK && loaded && (stored.seed != cfg->seed || !ip_config_same_but_seed(&stored, cfg))) {
        char now[1024], then[1024];
        differences(now, sizeof now, cfg, &stored);
        differences(then, sizeof then, &stored, cfg);
        rc = ip_fail(IP_ERR, "%s: the run there was made with a different config: it has %s, this one %s; resume "
                             "it with its own config and --set values (in any order), or train into another --out",
                     path, then, now);
    } else if (rc == IP_OK && !loaded &&
               (strcmp(d.config_text ? d.config_text : "", cfg->text ? cfg->text : "") != 0 ||
                strcmp(d.overrides ? d.overrides : "", cfg->overrides ? cfg->overrides : "") != 0)) {
        rc = ip_fail(IP_ERR, "%s: the run there was made with a different config (or --set values); "
                             "resume it with the same ones, or train into another --out", path);
    }
    if (loaded) ip_config_free(&stored);
    ip_run_describe_free(&d);
    ip_run_close(r);
    return rc;
}

/* train.threads (0: OpenBLAS's default) for BLAS and the thread pool; with a hook working beside
 * training on `beside` of them, the pool gets the rest (at least one) and BLAS one thread (the
 * layers call it on one thread anyway: layer_dense.c). Returns the thread count the run states. */
static int set_threads(int configured, int beside)
{
    ip_blas_set_threads(configured);
    int threads = ip_blas_threads();
    if (beside > 0) {
        ip_parallel_set_threads(threads - beside > 1 ? threads - beside : 1);
        ip_blas_set_threads(1);
    }
    return threads;
}

int ip_train(const ip_config *cfg, const ip_train_options *o, ip_epoch_metrics *final)
{
    trainer t;
    memset(&t, 0, sizeof t);
    char run_path[IP_PATH_LEN + 32], cfg_path[IP_PATH_LEN + 32];
    ip_layer_spec specs[IP_MAX_LAYERS];
    int n_specs = 0, rc, start_epoch = 1;
    const int epochs = cfg->train.epochs;

    t.run_path = run_path;
    t.record = &cfg->record;
    t.hook = o->on_record;
    /* The hook's view above the bar (on a terminal only); view.text is freed at the end. */
    live_view view = {0};
    if (o->progress && !o->quiet && t.hook && t.hook->view) {
        view.hook = t.hook;
        view.text = ip_calloc(VIEW_CAP, 1); /* NULL: the bar alone */
    }
    ip_dir_lock *dir_lock = NULL;
    const int threads = set_threads(cfg->train.threads, t.hook ? t.hook->beside : 0);
    snprintf(run_path, sizeof run_path, "%s/run.h5", o->out_dir);
    snprintf(cfg_path, sizeof cfg_path, "%s/config.yaml", o->out_dir);
    if (cfg->record.store != IP_STORE_ACTIVATIONS && !t.hook) {
        char store[IP_SCHEDULE_TEXT];
        rc = ip_fail(IP_ERR, "record.store: %.200s keeps %s, so they must be analysed while training "
                             "(analysis.online: true with infoplane run); infoplane train does not analyse",
                     ip_store_text(&cfg->record, store, sizeof store),
                     cfg->record.store == IP_STORE_NONE ? "no activations" : "the activations of some recorded epochs only");
        goto out;
    }
    if (o->resume && !ip_path_exists(run_path)) {
        rc = ip_fail(IP_ERR_IO, "%s: no run to resume", run_path);
        goto out;
    }
    /* The directory's lock before anything in it is written or trusted: a second trainer (or
     * analyze) started at the same moment is refused here and changes nothing. */
    if ((rc = ip_dir_lock_take(o->out_dir, !o->resume, &dir_lock)) != IP_OK) goto out;
    if (!o->resume && ip_path_exists(run_path)) {
        rc = ip_fail(IP_ERR, "%s already holds a run; continue it with --resume, or choose another --out",
                     o->out_dir);
        goto out;
    }
    if ((rc = ip_mkdir_p(o->out_dir)) != IP_OK) goto out;
    if ((rc = ip_data_load(&t.data, &cfg->data, cfg->seed)) != IP_OK) goto out;

    ip_dataset *tr = &t.data.train;
    if (cfg->train.augment_shift > 0 && (tr->h == 1 || tr->w == 1 || cfg->train.augment_shift >= tr->h ||
                                         cfg->train.augment_shift >= tr->w)) {
        rc = ip_fail(IP_ERR, "train.augment_shift = %d needs images larger than the shift, but the samples are "
                             "%dx%dx%d (channels x height x width)%s",
                     cfg->train.augment_shift, tr->c, tr->h, tr->w,
                     tr->h == 1 || tr->w == 1 ? ", flat vectors" : "");
        goto out;
    }
    ip_shape input = {tr->c, tr->h, tr->w};
    if ((rc = ip_model_build(&cfg->model, input, tr->n_classes, specs, &n_specs)) != IP_OK) goto out;
    /* Sizes settled and checked against the machine before anything large is allocated. */
    if ((rc = ip_train_plan_make(&t.plan, cfg, &t.data, specs, n_specs)) != IP_OK) goto out;
    const int bs = t.plan.batch;
    if ((rc = ip_network_create(&t.net, specs, n_specs, input, t.plan.max_batch)) != IP_OK) goto out;
    if ((rc = ip_optimizer_create(&t.opt, &cfg->train.optim, t.net->n_params)) != IP_OK) goto out;
    /* The cosine schedule runs over every step of the run: epochs * ceil(n_train / batch). */
    ip_optimizer_set_total_steps(&t.opt, (int64_t)epochs * ((tr->n + bs - 1) / bs));
    ip_rng_seed(&t.rng, cfg->seed);
    ip_network_init(t.net, cfg->model.init, &t.rng);

    for (int i = 0; i < n_specs; i++) {
        if (!specs[i].record) continue;
        t.rec_index[t.n_rec] = i;
        t.rec_units[t.n_rec] = ip_shape_size(t.net->layers[i].out);
        snprintf(t.rec_names[t.n_rec], IP_LAYER_NAME_LEN, "layer%d", t.n_rec + 1);
        t.n_rec++;
    }
    if ((rc = build_analysis_set(&t, &cfg->record)) != IP_OK) goto out;
    t.analysis_rows = ip_network_prepare_rows(t.net, t.analysis.x, t.analysis.n);
    t.test_rows = ip_network_prepare_rows(t.net, t.data.test.x, t.data.test.n);
    size_t rec_floats = 0;
    for (int l = 0; l < t.n_rec; l++) rec_floats += (size_t)t.analysis.n * t.rec_units[l];
    int feat = ip_dataset_features(tr);
    t.rec_buf = ip_malloc(sizeof(float) * (rec_floats ? rec_floats : 1));
    t.batch_x = ip_malloc(sizeof(float) * (size_t)bs * feat);
    t.batch_y = ip_malloc(sizeof(int) * (size_t)bs);
    t.order = ip_malloc(sizeof(int) * (size_t)tr->n);
    if (cfg->train.augment_shift > 0 && !(t.shift = ip_malloc(sizeof(int) * 2 * (size_t)bs))) {
        rc = IP_ERR_NOMEM;
        goto out;
    }
    t.history = ip_calloc((size_t)epochs + 1, sizeof(ip_epoch_metrics));
    if (!t.rec_buf || !t.batch_x || !t.batch_y || !t.order || !t.history) {
        rc = IP_ERR_NOMEM;
        goto out;
    }

    if (o->resume) {
        int last = 0;
        int64_t step = 0;
        if ((rc = check_same_config(run_path, cfg)) != IP_OK) goto out;
        float *v = t.opt.v ? t.opt.v : t.opt.m;
        if ((rc = ip_run_open_resume(&t.run, run_path, t.net->params, t.net->n_params, t.opt.m, v, t.opt.n,
                                     &step, t.rng.s, &last)) != IP_OK)
            goto out;
        t.opt.step = step;
        ip_run_description d;
        memset(&d, 0, sizeof d);
        if ((rc = ip_run_describe(t.run, &d)) != IP_OK) goto out;
        for (int i = 0; i < d.n_metrics && d.metrics[i].epoch <= last && i <= epochs; i++)
            t.history[t.n_history++] = d.metrics[i];
        ip_run_describe_free(&d);
        start_epoch = last + 1;
        if (!o->quiet)
            fprintf(stderr, "infoplane: resuming %s after epoch %d of %d\n", run_path, last, epochs);
        if ((rc = start_hook(&t, cfg, o, 1, last)) != IP_OK) goto out;
        /* The hook may not have finished the last committed epoch (it works beside training): the
         * weights restored are that epoch's, so its layers are recorded again, to the hook only. */
        if (t.hook && t.hook->missing && ip_schedule_records(&cfg->record, last) && t.hook->missing(t.hook->ctx, last)) {
            if (!o->quiet)
                fprintf(stderr, "infoplane: the analysis of epoch %d was not finished at the stop: its layers are "
                                "recorded again from the restored weights\n", last);
            if ((rc = record_epoch(&t, last, 0)) != IP_OK) goto out;
        }
    } else {
        if ((rc = ip_write_file_atomic(cfg_path, cfg->text, strlen(cfg->text))) != IP_OK) goto out;
        /* The run keeps the config as text, with a summary made here (record/ knows no schema). */
        char summary[1024], store[IP_SCHEDULE_TEXT];
        ip_config_summary(cfg, summary, sizeof summary);
        const ip_run_provenance prov = {cfg->text,           cfg->overrides,         cfg->source,
                                        cfg->seed,           summary,                cfg->record.compression,
                                        cfg->record.samples, cfg->record.test_samples, cfg->record.store == IP_STORE_NONE,
                                        ip_store_text(&cfg->record, store, sizeof store)};
        if ((rc = ip_run_create(&t.run, run_path, &prov, t.n_rec, (const char(*)[IP_LAYER_NAME_LEN])t.rec_names,
                                t.rec_units, t.analysis.n, feat, t.analysis.x, t.analysis.y, tr->n_classes,
                                t.data.description, threads)) != IP_OK ||
            (rc = ip_run_set_analysis_rows(t.run, t.n_analysis_train, t.analysis.n - t.n_analysis_train)) != IP_OK)
            goto out;
        if ((rc = start_hook(&t, cfg, o, 0, -1)) != IP_OK) goto out;
        double t0 = now_seconds();
        ip_epoch_metrics m0 = {0};
        evaluate(t.net, tr, NULL, &m0.train_loss, &m0.train_acc);
        evaluate(t.net, &t.data.test, t.test_rows, &m0.test_loss, &m0.test_acc);
        if ((rc = record_epoch(&t, 0, 1)) != IP_OK) goto out;
        m0.seconds = now_seconds() - t0;
        if ((rc = finish_epoch(&t, &m0)) != IP_OK) goto out;
        print_progress(o, &view, &m0, epochs, 1);
    }

    for (int epoch = start_epoch; epoch <= epochs; epoch++) {
        if (ip_interrupt_pending()) {
            rc = stopped(&t, epoch, epochs, 0);
            goto out;
        }
        double t0 = now_seconds();
        ip_epoch_metrics m = {0};
        if ((rc = train_one_epoch(&t, cfg, epoch, &m)) != IP_OK) goto out;
        int recorded = ip_schedule_records(&cfg->record, epoch);
        if (recorded && (rc = record_epoch(&t, epoch, 1)) != IP_OK) goto out;
        m.seconds = now_seconds() - t0;
        if ((rc = finish_epoch(&t, &m)) != IP_OK) goto out;
        if ((recorded || epoch == epochs) && (rc = write_metrics_csv(&t, o->out_dir)) != IP_OK) goto out;
        print_progress(o, &view, &m, epochs, recorded);
    }
    if ((rc = write_metrics_csv(&t, o->out_dir)) != IP_OK) goto out;
    if (final && t.n_history > 0) *final = t.history[t.n_history - 1];
out:
    if (rc != IP_OK && t.history && t.n_history > 0) write_metrics_csv(&t, o->out_dir);
    /* A write that failed in the last epochs' flush fails the run (an interrupted one too: what it
     * would say is complete is not). */
    int last_held = t.n_history > 0 ? t.history[t.n_history - 1].epoch : -1, started = t.hook_started;
    int closed = trainer_free(&t);
    if ((rc == IP_OK || rc == IP_ERR_INTERRUPTED) && closed != IP_OK) rc = closed;
    /* The hook's finish after the run file is closed (it may open the run itself), before the
     * directory's lock goes. A failure of training keeps its own message. */
    if (started && o->on_record->finish) {
        char msg[2048];
        snprintf(msg, sizeof msg, "%s", ip_error_message());
        int fin = o->on_record->finish(o->on_record->ctx, rc, closed == IP_OK ? last_held : -1);
        if ((rc == IP_OK || rc == IP_ERR_INTERRUPTED) && fin != IP_OK) rc = fin;
        else if (rc != IP_OK) ip_fail(rc, "%s", msg);
    }
    if (rc == IP_OK) draw_live_final(&view); /* the hook has seen every epoch now */
    free(view.text);
    ip_dir_lock_release(dir_lock); /* after the run file is closed */
    if (t.hook && t.hook->beside > 0) { /* back to the configured threads for what follows */
        ip_parallel_set_threads(0);
        ip_blas_set_threads(threads);
    }
    return rc;
}
