#!/usr/bin/python3
"""PyTorch side of tests/test_torch_xcheck.c.

Usage: xcheck.py DIR. DIR holds what the C test wrote:
  case.txt    the layer manifest (see ipnet.py) plus
              "batch B", "steps S", "sgd LR MOMENTUM WEIGHT_DECAY", "adam LR BETA1 BETA2 EPS WEIGHT_DECAY"
  params.f32  the initial parameters, flat, PyTorch order (float32, little endian)
  x.f32       the batch, B x (C*H*W)
  y.i32       the labels, B
  sgd_grads.f32, adam_grads.f32    the C side's gradient before each of the S steps (S x n)
  sgd_params.f32, adam_params.f32  the C side's parameters after each step (S x n)
Writes, once in float64 (prefix ref_, the reference) and once in float32 (prefix f32_, to show
how far PyTorch's own float32 result is from the reference), as raw float64 arrays:
  logits (B*K), loss (1), grads (n): at the initial parameters;
  sgd_loss, adam_loss (S), sgd_grads, adam_grads (S*n): the loss and gradient at the C side's
  parameters before each step; sgd_params, adam_params (S*n): the parameters after each step of
  torch.optim fed with the C side's gradients (so that only the update rule is compared).
Exit status: 0 done, 77 when torch cannot be imported (the caller decides skip or fail), 1 error.
"""
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:  # the C test turns this into a skip (or a failure when CI=true)
    print("xcheck.py: cannot import torch/numpy: %s" % e, file=sys.stderr)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ipnet  # noqa: E402


def run(d, dtype, prefix, shape, layers, other, p0, x, y):
    torch.manual_seed(0)  # nothing random is drawn, but be explicit
    model = ipnet.build(shape, layers).to(dtype)
    ipnet.load_flat(model, p0)
    xt = torch.from_numpy(x).to(dtype).reshape((-1,) + shape)
    yt = torch.from_numpy(y.astype(np.int64))
    out = {}

    def loss_and_grads():
        model.zero_grad(set_to_none=False)
        logits = model(xt)
        loss = F.cross_entropy(logits, yt)  # mean over the batch, like ip_network_train_step_grads
        loss.backward()
        return logits, loss, ipnet.flat_of(p.grad for p in model.parameters())

    logits, loss, g = loss_and_grads()
    out["logits"] = logits.detach().numpy()
    out["loss"] = np.array([loss.item()])
    out["grads"] = g

    # The optimizers are checked on their own: torch.optim is fed the C side's gradients (and
    # starts from the same p0), so the comparison sees only the update rule. The loss and
    # gradient before each step are computed at the C side's parameters of that step.
    steps = int(other["steps"][0])
    for name in ("sgd", "adam"):
        c_grads = np.fromfile(os.path.join(d, name + "_grads.f32"), dtype="<f4").reshape(steps, -1)
        c_params = np.fromfile(os.path.join(d, name + "_params.f32"), dtype="<f4").reshape(steps, -1)
        losses, grads = [], []
        for t in range(steps):
            ipnet.load_flat(model, p0 if t == 0 else c_params[t - 1])
            _, loss, g = loss_and_grads()
            losses.append(loss.item())
            grads.append(g)
        ipnet.load_flat(model, p0)
        v = [float(t) for t in other[name]]
        if name == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=v[0], momentum=v[1], weight_decay=v[2])
        else:
            opt = torch.optim.Adam(model.parameters(), lr=v[0], betas=(v[1], v[2]), eps=v[3],
                                   weight_decay=v[4])
        params = []
        for t in range(steps):
            off = 0
            for p in model.parameters():
                k = p.numel()
                p.grad = torch.from_numpy(c_grads[t, off:off + k].reshape(p.shape)).to(dtype)
                off += k
            opt.step()
            params.append(ipnet.flat_of(model.parameters()))
        out[name + "_loss"] = np.array(losses)
        out[name + "_grads"] = np.concatenate(grads)
        out[name + "_params"] = np.concatenate(params)

    for k, v in out.items():
        np.asarray(v, dtype=np.float64).reshape(-1).tofile(os.path.join(d, "%s%s.f64" % (prefix, k)))


def main():
    if len(sys.argv) != 2:
        print("usage: xcheck.py DIR", file=sys.stderr)
        return 1
    d = sys.argv[1]
    torch.set_num_threads(1)
    shape, classes, layers, other = ipnet.read_manifest(os.path.join(d, "case.txt"))
    p0 = np.fromfile(os.path.join(d, "params.f32"), dtype="<f4")
    x = np.fromfile(os.path.join(d, "x.f32"), dtype="<f4")
    y = np.fromfile(os.path.join(d, "y.i32"), dtype="<i4")
    batch = int(other["batch"][0])
    if x.size != batch * shape[0] * shape[1] * shape[2] or y.size != batch:
        print("xcheck.py: %s: x.f32/y.i32 do not hold a batch of %d" % (d, batch), file=sys.stderr)
        return 1
    if y.min() < 0 or y.max() >= classes:
        print("xcheck.py: %s: labels outside [0, %d)" % (d, classes), file=sys.stderr)
        return 1
    run(d, torch.float64, "ref_", shape, layers, other, p0, x, y)
    run(d, torch.float32, "f32_", shape, layers, other, p0, x, y)
    return 0


if __name__ == "__main__":
    sys.exit(main())
