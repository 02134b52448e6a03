"""PyTorch twin of an infoplane network, built from the layer manifest that the C side writes.

The manifest is plain text, one item per line (written by tests/test_torch_xcheck.c and
bench/bench_train.c, so the Python side never re-states an architecture by hand):

    input C H W
    classes K
    layer dense UNITS
    layer conv2d OUT_C KERNEL STRIDE PADDING
    layer maxpool KERNEL STRIDE PADDING
    layer avgpool OUT_H OUT_W            (adaptive average pool)
    layer layernorm                      (over all features of a sample, no affine, eps 1e-5)
    layer flatten
    layer act NAME SLOPE                 (linear tanh relu sigmoid leaky_relu gelu softsign)

Other lines (key value...) are returned to the caller as a dict of string lists.
Parameters are a flat float32 vector in PyTorch's own order: every layer's weight then bias.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class LayerNormAll(nn.Module):
    """Layer norm over every feature of a sample (C,H,W together), without affine."""

    def __init__(self, eps=1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, x.shape[1:], eps=self.eps)


class FlattenIfNeeded(nn.Module):
    """Dense layers of infoplane take any input shape as a flat vector."""

    def forward(self, x):
        return x.flatten(1) if x.dim() > 2 else x


def activation(name, slope):
    table = {
        "linear": nn.Identity(),
        "tanh": nn.Tanh(),
        "relu": nn.ReLU(),
        "sigmoid": nn.Sigmoid(),
        "leaky_relu": nn.LeakyReLU(negative_slope=slope),
        "gelu": nn.GELU(),  # exact (erf) GELU, PyTorch's default
        "softsign": nn.Softsign(),
    }
    if name not in table:
        raise ValueError("unknown activation %r" % name)
    return table[name]


def read_manifest(path):
    """Returns (input shape (C,H,W), n_classes, layer list, other items dict)."""
    shape, classes, layers, other = None, None, [], {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            tok = line.split()
            if not tok or tok[0].startswith("#"):
                continue
            if tok[0] == "input":
                shape = tuple(int(t) for t in tok[1:4])
            elif tok[0] == "classes":
                classes = int(tok[1])
            elif tok[0] == "layer":
                layers.append(tok[1:])
            else:
                other[tok[0]] = tok[1:]
    if shape is None or not layers:
        raise ValueError("%s: no input shape or no layers" % path)
    return shape, classes, layers, other


def build(shape, layers):
    """nn.Sequential equivalent to the manifest's layer list for inputs of shape (C,H,W)."""
    mods = []
    c, h, w = shape
    for tok in layers:
        kind = tok[0]
        if kind == "dense":
            units = int(tok[1])
            mods += [FlattenIfNeeded(), nn.Linear(c * h * w, units)]
            c, h, w = units, 1, 1
        elif kind == "conv2d":
            oc, k, s, p = (int(t) for t in tok[1:5])
            mods.append(nn.Conv2d(c, oc, k, stride=s, padding=p))
            c, h, w = oc, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif kind == "maxpool":
            k, s, p = (int(t) for t in tok[1:4])
            mods.append(nn.MaxPool2d(k, stride=s, padding=p))
            h, w = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif kind == "avgpool":
            oh, ow = int(tok[1]), int(tok[2])
            mods.append(nn.AdaptiveAvgPool2d((oh, ow)))
            h, w = oh, ow
        elif kind == "layernorm":
            mods.append(LayerNormAll())
        elif kind == "flatten":
            mods.append(nn.Flatten())
            c, h, w = c * h * w, 1, 1
        elif kind == "act":
            mods.append(activation(tok[1], float(tok[2]) if len(tok) > 2 else 0.01))
        else:
            raise ValueError("unknown layer kind %r" % kind)
    return nn.Sequential(*mods)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def load_flat(model, flat):
    """Copy the flat vector (numpy, PyTorch order) into the model's parameters."""
    flat = np.asarray(flat)
    if flat.size != n_params(model):
        raise ValueError("parameter file holds %d values, the model has %d" % (flat.size, n_params(model)))
    off = 0
    with torch.no_grad():
        for p in model.parameters():
            k = p.numel()
            p.copy_(torch.from_numpy(flat[off:off + k].reshape(p.shape)).to(p.dtype))
            off += k


def flat_of(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors]).cpu().numpy()
