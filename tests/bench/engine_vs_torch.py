#!/usr/bin/python3
"""engine_vs_torch.py — the PyTorch side of tests/bench/engine-vs-torch.

Trains the reference CNN of issue 3 (conv 32 3x3 pad 1 + ReLU, max-pool 2, conv 64 3x3 pad 1 + ReLU,
max-pool 2, dense 128 + ReLU, dense 10, softmax cross-entropy) for one epoch on the 60,000 Fashion-MNIST
training images with SGD (lr 0.05, momentum 0.9, batch 64), inputs scaled to [0, 1], no augmentation,
then scores the 10,000 test images at --infer-batch (the driver passes the engine's batch, 64, so that
both sides score in batches of the same size) under torch.inference_mode().

Weights keep PyTorch's default initialisation (uniform in ±1/sqrt(fan_in)), which the engine uses too.
Each seed prints one machine-readable line:

    torch: seed=S train_ips=F infer_ips=F acc=F loss=F train_s=F infer_s=F

Before the seeds it prints what PyTorch computes with (the kernels of each side are printed by the
driver):

    torch: version=V threads=N train=N test=N train_batch=B infer_batch=B
    torch: kernels="conv: oneDNN …, isa …; dense: OpenBLAS … core …; ATen CPU capability …"

Run with /usr/bin/python3 (Debian's python3-torch).
"""

import argparse
import ctypes
import gzip
import os
import re
import struct
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    """An IDX file of unsigned bytes (plain or gzip) as a numpy array; errors name the file."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    ndims = raw[3]
    if len(raw) < 4 + 4 * ndims:
        raise ValueError(f"{path}: truncated header")
    dims = struct.unpack(">" + "I" * ndims, raw[4:4 + 4 * ndims])
    count = int(np.prod(dims))
    data = np.frombuffer(raw, dtype=np.uint8, count=count, offset=4 + 4 * ndims)
    return data.reshape(dims)


def load_split(data_dir, prefix):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{data_dir}: {prefix} has {images.shape[0]} images but {labels.shape[0]} labels")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).reshape(-1, 1, images.shape[1], images.shape[2])
    y = torch.from_numpy(labels.astype(np.int64))
    return x.contiguous(), y


class ReferenceCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
        )
        # PyTorch's default initialisation (weights and biases uniform in ±1/sqrt(fan_in)) is also the
        # engine's (engine/gl-net.h), so both sides start from the same distribution.

    def forward(self, x):
        return self.classifier(self.features(x))


def onednn_kernels():
    """oneDNN's ISA and the implementation it picks for the first convolution, read from its verbose
    output in a child process (it prints to the C stdout of the process that runs it)."""
    code = ("import torch\n"
            "with torch.inference_mode():\n"
            "    torch.nn.Conv2d(1, 32, 3, padding=1)(torch.zeros(64, 1, 28, 28))\n")
    env = dict(os.environ, DNNL_VERBOSE="1", ONEDNN_VERBOSE="1")
    try:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                             timeout=120).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return "unknown (%s)" % e
    isa = re.search(r"info,cpu,isa:([^\n]*)", out)
    impl = re.search(r"exec,cpu,convolution,([^,]*),", out)
    version = re.search(r"info,(oneDNN v[^ ,\n]*)", out)
    if not isa and not impl:
        return "not used (no oneDNN convolution ran)"
    return "%s %s, isa %s" % (version.group(1) if version else "oneDNN", impl.group(1) if impl else "?",
                              isa.group(1).strip() if isa else "?")


def blas_kernels():
    """The BLAS library this process loaded for PyTorch's dense layers, and for OpenBLAS the core type
    it chose when it loaded."""
    a = torch.ones(64, 64)
    (a @ a).sum()
    libs = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if re.search(r"lib(open)?blas|mkl_", os.path.basename(path)) and path not in libs:
                libs.append(path)
    for path in libs:
        if "openblas" in os.path.basename(path):
            try:
                lib = ctypes.CDLL(path)
                lib.openblas_get_corename.restype = ctypes.c_char_p
                lib.openblas_get_config.restype = ctypes.c_char_p
                return "OpenBLAS core %s (%s; chosen by OpenBLAS, OPENBLAS_CORETYPE=%s)" % (
                    lib.openblas_get_corename().decode(), lib.openblas_get_config().decode(),
                    os.environ.get("OPENBLAS_CORETYPE", "unset"))
            except (OSError, AttributeError):
                pass
    return ", ".join(libs) if libs else "none found"


def torch_kernels():
    capability = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
    return "conv: %s; dense: %s; ATen CPU capability %s" % (
        onednn_kernels(), blas_kernels(), capability.group(1) if capability else "?")


def evaluate(model, x, y, batch):
    """Accuracy on (x, y) and the seconds it took, at @batch, without autograd."""
    model.eval()
    correct = 0
    t0 = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, x.shape[0], batch):
            logits = model(x[i:i + batch])
            correct += int((logits.argmax(1) == y[i:i + batch]).sum())
    return correct / x.shape[0], time.perf_counter() - t0


def run_seed(seed, x_train, y_train, x_test, y_test, args):
    torch.manual_seed(seed)
    model = ReferenceCNN()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    n = x_train.shape[0]

    model.train()
    loss_sum, loss_count = 0.0, 0
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, args.batch):
            idx = order[i:i + args.batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            loss_sum += float(loss.detach())
            loss_count += 1
    train_s = time.perf_counter() - t0

    # Scoring: the first pass gives the accuracy; the fastest of --infer-passes passes gives the speed
    # (the machine is shared; the engine side does the same).
    acc, infer_s = evaluate(model, x_test, y_test, args.infer_batch)
    for _ in range(args.infer_passes - 1):
        infer_s = min(infer_s, evaluate(model, x_test, y_test, args.infer_batch)[1])

    print(f"torch: seed={seed} train_ips={n * args.epochs / train_s:.1f} "
          f"infer_ips={x_test.shape[0] / infer_s:.1f} acc={acc:.4f} loss={loss_sum / max(loss_count, 1):.4f} "
          f"train_s={train_s:.3f} infer_s={infer_s:.3f}", flush=True)


def main():
    p = argparse.ArgumentParser(description="PyTorch side of engine-vs-torch (reference CNN, Fashion-MNIST)")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="folder of the four IDX .gz files")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, action="append", help="seed (repeatable); default 1")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--infer-batch", type=int, default=256)
    p.add_argument("--infer-passes", type=int, default=3)
    p.add_argument("--train-limit", type=int, default=0, help="use only the first N training images (testing)")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    try:
        x_train, y_train = load_split(args.data, "train")
        x_test, y_test = load_split(args.data, "t10k")
    except (OSError, ValueError) as e:
        print(f"engine_vs_torch.py: {e}", file=sys.stderr)
        return 1
    if args.train_limit > 0:
        x_train, y_train = x_train[:args.train_limit], y_train[:args.train_limit]
    print(f"torch: version={torch.__version__} threads={torch.get_num_threads()} "
          f"train={x_train.shape[0]} test={x_test.shape[0]} train_batch={args.batch} "
          f"infer_batch={args.infer_batch}", flush=True)
    print(f'torch: kernels="{torch_kernels()}"', flush=True)
    for seed in args.seed or [1]:
        run_seed(seed, x_train, y_train, x_test, y_test, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
