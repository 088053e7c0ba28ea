#!/usr/bin/env python3
"""Reference convolution benchmark in PyTorch (CPU) for the shapes in convs.json.

The peer of bench/conv-step.ts: the same shapes, each timed forward (F.conv2d), input gradient and filter gradient
(aten.convolution_backward, the kernel autograd runs for a conv2d, one gradient at a time), stride s and padding
k // 2, in PyTorch's own NCHW layout. GFLOP/s count N*H'*W'*Cout*k*k*Cin multiply-adds x 2 per pass, as the vtx side.
Run:
    /usr/bin/python3 conv_reference.py [--conv NAME] [--steps N] [--warmup N] [--threads K]
Prints one JSON line per (shape, pass): milliseconds per call and GFLOP/s.
"""
import argparse, json, os, time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
PASSES = ("forward", "input-gradient", "filter-gradient")


def out_side(n, c):
    return (n + 2 * (c["kernel"] // 2) - c["kernel"]) // c["stride"] + 1


def make_pass(c, which):
    b, h, w, cin = c["input"]
    k, cout, s, p = c["kernel"], c["filters"], c["stride"], c["kernel"] // 2
    x = torch.randn(b, cin, h, w)
    weight = torch.randn(cout, cin, k, k) * 0.1
    dy = torch.randn(b, cout, out_side(h, c), out_side(w, c))
    if which == "forward":
        return lambda: F.conv2d(x, weight, stride=s, padding=p)
    mask = [which == "input-gradient", which == "filter-gradient", False]
    bwd = torch.ops.aten.convolution_backward
    return lambda: bwd(dy, x, weight, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conv")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(os.path.join(HERE, "convs.json")) as f:
        convs = json.load(f)["convs"]
    for c in convs:
        if args.conv and c["name"] != args.conv:
            continue
        b, h, w, cin = c["input"]
        gflop = 2 * b * out_side(h, c) * out_side(w, c) * c["filters"] * c["kernel"] ** 2 * cin / 1e9
        for which in PASSES:
            f = make_pass(c, which)
            with torch.no_grad():
                for _ in range(args.warmup):
                    f()
                t0 = time.perf_counter()
                for _ in range(args.steps):
                    f()
                ms = (time.perf_counter() - t0) / args.steps * 1e3
            print(json.dumps({
                "conv": c["name"],
                "pass": which,
                "impl": f"pytorch-{torch.__version__}-cpu{args.threads}",
                "ms": round(ms, 3),
                "gflops": round(gflop / (ms / 1e3), 2),
            }))


if __name__ == "__main__":
    main()
