#!/usr/bin/env python3
"""The default run's recipe (configs/default.yaml) trained in PyTorch: the independent check that vtx learns it as fast.

Same recipe, not the same code (PyTorch only, nothing from vtx). Model: bench/peer/torch_reference.py's
VideoTransformer (the benchmark peer's video DiT: joint space-time attention, adaLN-Zero class conditioning) with
fixed 3-D sin-cos positions, DiT's initialisation and an unpatchify, at the default's size (S, depth 4, width 192,
heads 6, 1x4x4 tubelets on 4x16x16 clips, 4 motion classes and a null class; `--width 128 --depth 4 --heads 4` is the
earlier default, the peer's `default-tiny` workload). It multiplies in fp32: the default's `matmulPrecision: medium`
(vtx's bf16 GEMM) has no CPU counterpart in PyTorch 1.13.
Training: rectified flow x_t = (1 - tau) x0 + tau eps with logit-normal tau = sigmoid(n), n ~ N(0, 1), the model
regressing the velocity x0 - eps and seeing t = 1000 tau; AdamW lr 3e-3, weight decay 0, 50 warmup steps then cosine
decay to 0.1 of the lr, batch 32, 2500 steps, label dropout 0.1, EMA 0.999 with warmup min(d, (1 + k) / (10 + k)).
Sampling: Euler over 50 steps from tau = 1 to 0 with classifier-free guidance (--cfg, default 4; several values
sample each), 64 samples with classes cycled 0..3, from the EMA and the live weights.
With --eval-every K the EMA weights are also sampled every K steps (at the first --cfg) to follow quality over
training; training time (printed per 100 steps) excludes that sampling.

The first default's recipe (v-prediction on a cosine schedule, DDIM, 1x2x2 tubelets, factorised attention, width 96,
batch 16) was this file until commit 1dc01ac (`git show 1dc01ac:bench/peer/default_recipe.py`); it is not kept here.

    peer=$(mktemp -d)                                                                  # any empty directory
    node --conditions=@vtx/source --import tsx bench/peer/shapes.ts export "$peer"      # the default's 512 clips
    OMP_NUM_THREADS=1 /usr/bin/python3 bench/peer/default_recipe.py --data "$peer" --cfg 4 2 --eval-every 250 --threads 1
    node --conditions=@vtx/source --import tsx bench/peer/shapes.ts score $(ls "$peer"/samples-*.f32 | sed "s/.f32$//")
"""
import argparse, math, os, sys, time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import VideoTransformer  # noqa: E402

CLIP, PATCH, CLASSES = (4, 16, 16, 3), (1, 4, 4), 4


def sincos(dim, pos):
    omega = 1.0 / 10000 ** (np.arange(dim // 2) / (dim / 2))
    out = np.outer(pos, omega)
    return np.concatenate([np.sin(out), np.cos(out)], 1)


def sincos_3d(width, grid):
    """(N, width): a quarter of the channels for time, the rest split between rows and columns."""
    dt = width // 4
    ds = (width - dt) // 2 - ((width - dt) // 2) % 2
    t, y, x = np.meshgrid(*(np.arange(g) for g in grid), indexing="ij")
    parts = [sincos(ds, y.ravel()), sincos(ds, x.ravel()), sincos(width - 2 * ds, t.ravel())]
    return torch.tensor(np.concatenate(parts, 1), dtype=torch.float32)


class VideoDiT(VideoTransformer):
    """The peer's diffusion transformer with fixed positions, DiT's init, and clips out: (B, T, H, W, C)."""

    def __init__(self, width, depth, heads):
        super().__init__(dict(kind="diffuse", attention="joint", clip=CLIP, patch=PATCH, width=width,
                              depth=depth, heads=heads, classes=CLASSES))
        del self.pos
        self.register_buffer("pos", sincos_3d(width, self.grid)[None])
        for m in self.modules():
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.xavier_uniform_(m.weight), torch.nn.init.zeros_(m.bias)
        torch.nn.init.normal_(self.y_emb.weight, std=0.02)
        for lin in (self.t_mlp[0], self.t_mlp[2]):
            torch.nn.init.normal_(lin.weight, std=0.02)
        for lin in [b.ada for b in self.blocks] + [self.final_ada, self.out]:
            torch.nn.init.zeros_(lin.weight), torch.nn.init.zeros_(lin.bias)

    def forward(self, x, t=None, y=None):
        b, (gt, gh, gw), (pt, ph, pw), c = x.shape[0], self.grid, PATCH, CLIP[3]
        out = super().forward(x, t, y)  # (B, N, pt*ph*pw*C)
        out = out.reshape(b, gt, gh, gw, pt, ph, pw, c).permute(0, 1, 4, 2, 5, 3, 6, 7)
        return out.reshape(b, *CLIP)


def velocity(net, x, tau, y, cfg):
    """The guided velocity at tau for classes y: uncond + cfg (cond - uncond), the null class unconditional."""
    n = x.shape[0]
    t = torch.full((2 * n,), 1000.0 * tau)
    cond, uncond = net(torch.cat([x, x]), t, torch.cat([y, torch.full((n,), CLASSES)])).chunk(2)
    return uncond + cfg * (cond - uncond)


@torch.no_grad()
def euler(net, n=64, steps=50, cfg=4.0):
    """Euler from tau = 1 (noise) to 0: x <- x + (tau_i - tau_{i+1}) v; classes cycle 0..3, noise seeded."""
    y = torch.arange(n) % CLASSES
    x = torch.randn(n, *CLIP, generator=torch.Generator().manual_seed(1))
    taus = [1 - i / steps for i in range(steps + 1)]
    for tau, nxt in zip(taus[:-1], taus[1:]):
        x = x + (tau - nxt) * velocity(net, x, tau, y, cfg)
    return x, y


def write_samples(net, stem, cfg, n):
    samples, classes = euler(net, n=n, cfg=cfg)
    samples.numpy().astype(np.float32).tofile(stem + ".f32")
    classes.numpy().astype(np.uint8).tofile(stem + ".y")
    print(stem, flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="directory with train.x.u8 and train.y.u8 (shapes.ts export)")
    p.add_argument("--steps", type=int, default=2500)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--width", type=int, default=192)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--heads", type=int, default=6)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--cfg", type=float, nargs="+", default=[4.0], help="guidance scales to sample at the end")
    p.add_argument("--samples", type=int, default=64)
    p.add_argument("--eval-every", type=int, default=0, help="sample the EMA weights every K steps (0: never)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    xs = torch.from_numpy(np.fromfile(os.path.join(a.data, "train.x.u8"), np.uint8).reshape(-1, *CLIP))
    xs = xs.float() / 127.5 - 1
    ys = torch.from_numpy(np.fromfile(os.path.join(a.data, "train.y.u8"), np.uint8)).long()
    model, ema = VideoDiT(a.width, a.depth, a.heads), VideoDiT(a.width, a.depth, a.heads)
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0)
    lr_at = lambda k: a.lr * (k + 1) / 50 if k < 50 else a.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * (k - 50) / (a.steps - 50))))
    g = torch.Generator().manual_seed(0)
    trained = 0.0
    for k in range(a.steps):
        t0 = time.time()
        for group in opt.param_groups:
            group["lr"] = lr_at(k)
        idx = torch.randint(0, len(xs), (a.batch,), generator=g)
        x0, y = xs[idx], ys[idx].clone()
        y[torch.rand(a.batch, generator=g) < 0.1] = CLASSES  # the null class of classifier-free guidance
        tau = torch.sigmoid(torch.randn(a.batch, generator=g))  # logit-normal (0, 1)
        eps = torch.randn(x0.shape, generator=g)
        tb = tau.view(-1, 1, 1, 1, 1)
        xt = (1 - tb) * x0 + tb * eps
        loss = F.mse_loss(model(xt, 1000 * tau, y), x0 - eps)  # the velocity along the straight path
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            d = min(a.ema, (1 + k) / (10 + k))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm, alpha=1 - d)
        trained += time.time() - t0
        if k % 100 == 0 or k == a.steps - 1:
            print(f"step {k + 1} loss {loss.item():.4f} train {trained:.0f} s", flush=True)
        if a.eval_every and (k + 1) % a.eval_every == 0 and k + 1 < a.steps:
            t1 = time.time()
            write_samples(ema, os.path.join(a.data, f"samples-ema-step{k + 1}-cfg{a.cfg[0]:g}"), a.cfg[0], a.samples)
            print(f"sampled in {time.time() - t1:.0f} s", flush=True)
    print(f"trained {a.steps} steps in {trained:.0f} s ({a.steps / trained:.2f} steps/s)", flush=True)
    for name, net in (("ema", ema), ("live", model)):
        for cfg in a.cfg:
            write_samples(net, os.path.join(a.data, f"samples-{name}-step{a.steps}-cfg{cfg:g}"), cfg, a.samples)


if __name__ == "__main__":
    main()
