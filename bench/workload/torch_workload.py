"""PyTorch side of the workload benchmark: every network of suite.json (written by the native
bench) built as sparse-explorer builds it (ReLU after every layer but pools and the last, TF's
"same" padding, depthwise-separable as depthwise then pointwise with biases) and trained one
epoch of the first IMAGES MNIST training images, Adam at 0.003, batches of 32, the loss read
back every step, on one thread. Prints one JSON line per network.

    python torch_workload.py SUITE_JSON MNIST_DIR IMAGES
"""
import gzip
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)


def idx(path):
    """An IDX file's array."""
    data = gzip.open(path).read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def same_pads(side, kernel, stride):
    """(before, after) padding of TF's "same", as sparse-explorer pads."""
    out = -(-side // stride)
    total = max((out - 1) * stride + kernel - side, 0)
    return total // 2, total - total // 2


class Padded(nn.Module):
    """A convolution after explicit zero padding (TF's "same" may pad unevenly)."""

    def __init__(self, conv, pads):
        super().__init__()
        self.conv, self.pads = conv, pads

    def forward(self, x):
        (top, bottom), (left, right) = self.pads
        return self.conv(F.pad(x, (left, right, top, bottom)))


def build(arch):
    """The network `arch` describes, as an nn.Sequential."""
    channels, height, width = arch["input"]
    layers, last = [], len(arch["layers"]) - 1
    flat = None
    for i, layer in enumerate(arch["layers"]):
        (kind, p), = layer.items()
        if kind in ("conv", "dwconv"):
            k, s = p["kernel"], p.get("stride", 1)
            if p.get("padding", "valid") == "same":
                pads = (same_pads(height, k, s), same_pads(width, k, s))
            else:
                pads = ((0, 0), (0, 0))
            if kind == "conv":
                layers.append(Padded(nn.Conv2d(channels, p["filters"], k, s), pads))
            else:
                layers.append(Padded(nn.Conv2d(channels, channels, k, s, groups=channels), pads))
                layers.append(nn.Conv2d(channels, p["filters"], 1))
            height = (height + sum(pads[0]) - k) // s + 1
            width = (width + sum(pads[1]) - k) // s + 1
            channels = p["filters"]
        elif kind in ("maxpool", "avgpool"):
            size, stride = p["size"], p.get("stride", p["size"])
            layers.append((nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d)(size, stride))
            height = (height - size) // stride + 1
            width = (width - size) // stride + 1
        elif kind == "dense":
            if flat is None:
                layers.append(nn.Flatten())
                flat = channels * height * width
            layers.append(nn.Linear(flat, p["units"]))
            flat = p["units"]
        else:
            raise ValueError(f"unknown layer {kind}")
        if i != last and kind not in ("maxpool", "avgpool"):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


# Batches of one untimed warm-up round, and seconds the rounds last at least, before the
# timed epoch (as sparse_train::WARMUP_BATCHES and WARMUP_SECONDS).
WARMUP_BATCHES = 10
WARMUP_SECONDS = 2.0


def main():
    suite_path, mnist, images = sys.argv[1], sys.argv[2], int(sys.argv[3])
    x_all = idx(f"{mnist}/train-images.idx3-ubyte.gz")[:images].astype(np.float32) / 255.0
    y_all = idx(f"{mnist}/train-labels.idx1-ubyte.gz")[:images].astype(np.int64)
    x_all = torch.from_numpy(x_all).unsqueeze(1)
    y_all = torch.from_numpy(y_all)
    for net in json.load(open(suite_path)):
        # Untimed: throwaway copies train rounds of WARMUP_BATCHES batches for WARMUP_SECONDS
        # first, as every engine does.
        warming = time.perf_counter()
        while time.perf_counter() - warming < WARMUP_SECONDS:
            warm = build(net["architecture"])
            warm_opt = torch.optim.Adam(warm.parameters(), lr=3e-3)
            for start in range(0, WARMUP_BATCHES * 32, 32):
                loss = F.cross_entropy(warm(x_all[start : start + 32]), y_all[start : start + 32])
                warm_opt.zero_grad()
                loss.backward()
                warm_opt.step()
                loss.item()
        model = build(net["architecture"])
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        order = torch.randperm(images)
        losses, started = [], time.perf_counter()
        for start in range(0, images, 32):
            batch = order[start : start + 32]
            loss = F.cross_entropy(model(x_all[batch]), y_all[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        seconds = time.perf_counter() - started
        print(json.dumps({
            "engine": f"PyTorch {torch.__version__} CPU, 1 thread",
            "name": net["name"],
            "images_per_s": images / seconds,
            "final_loss": sum(losses[-20:]) / len(losses[-20:]),
        }), flush=True)


if __name__ == "__main__":
    main()
