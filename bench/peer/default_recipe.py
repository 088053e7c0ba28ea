#!/usr/bin/env python3
"""The first default run's recipe trained in PyTorch, to check whether vtx learned it more slowly (it did not).

The recipe is the one configs/default.yaml first had (docs/default-run/README.md); the shipped default now
uses rectified flow, 1x4x4 tubelets with joint attention and lr 3e-3, which vtx trains to clean moving shapes.

Model: bench/peer/torch_reference.py's VideoTransformer (the benchmark peer's video DiT: factorised space-then-time
attention, adaLN-Zero) with fixed 3-D sin-cos positions, DiT's initialisation and an unpatchify, at that default's
size (S, depth 4, width 96, 1x2x2 tubelets on 4x16x16 clips). Training: v-prediction on the cosine schedule, AdamW,
50 warmup steps then cosine decay to 0.1, batch 16, label dropout 0.1, EMA with warmup. Sampling: DDIM over 50
steps spread on [0, 999] with guidance 2, x0 clipped to [-1, 1].

    peer=$(mktemp -d)                                                                  # any empty directory
    node --conditions=@vtx/source --import tsx bench/peer/shapes.ts export "$peer"      # the default's 512 clips
    /usr/bin/python3 bench/peer/default_recipe.py --data "$peer" --lr 3e-3             # writes $peer/samples-*
    node --conditions=@vtx/source --import tsx bench/peer/shapes.ts score "$peer/samples-ema" "$peer/samples-live"
"""
import argparse, math, os, sys, time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import VideoTransformer  # noqa: E402

CLIP, PATCH, T_STEPS, CLASSES = (4, 16, 16, 3), (1, 2, 2), 1000, 4


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
        super().__init__(dict(kind="diffuse", attention="factorized", clip=CLIP, patch=PATCH, width=width,
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


def cosine_alpha_bar():
    f = lambda s: math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = np.array([min(1 - f((i + 1) / T_STEPS) / f(i / T_STEPS), 0.999) for i in range(T_STEPS)])
    return torch.tensor(np.cumprod(1 - betas), dtype=torch.float32)


@torch.no_grad()
def ddim(net, ab, n=32, steps=50, cfg=2.0):
    """Guided DDIM (eta 0) on v-predictions over `steps` timesteps spread on [0, T - 1]; classes cycle 0..3."""
    y = torch.arange(n) % CLASSES
    x = torch.randn(n, *CLIP, generator=torch.Generator().manual_seed(1))
    ts = np.linspace(0, T_STEPS - 1, steps).round().astype(int)[::-1]
    for i, t in enumerate(ts):
        tt = torch.full((2 * n,), int(t))
        cond, uncond = net(torch.cat([x, x]), tt, torch.cat([y, torch.full((n,), CLASSES)])).chunk(2)
        v = uncond + cfg * (cond - uncond)
        a = ab[t]
        x0 = (a.sqrt() * x - (1 - a).sqrt() * v).clamp(-1, 1)
        eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
        a_prev = ab[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x, y


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="directory with train.x.u8 and train.y.u8 (shapes.ts export)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--width", type=int, default=96)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    xs = torch.from_numpy(np.fromfile(os.path.join(a.data, "train.x.u8"), np.uint8).reshape(-1, *CLIP))
    xs = xs.float() / 127.5 - 1
    ys = torch.from_numpy(np.fromfile(os.path.join(a.data, "train.y.u8"), np.uint8)).long()
    ab = cosine_alpha_bar()
    model, ema = VideoDiT(a.width, a.depth, 4), VideoDiT(a.width, a.depth, 4)
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0)
    lr_at = lambda k: a.lr * (k + 1) / 50 if k < 50 else a.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * (k - 50) / (a.steps - 50))))
    g = torch.Generator().manual_seed(0)
    start = time.time()
    for k in range(a.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(k)
        idx = torch.randint(0, len(xs), (a.batch,), generator=g)
        x0, y = xs[idx], ys[idx].clone()
        y[torch.rand(a.batch, generator=g) < 0.1] = CLASSES  # the null class of classifier-free guidance
        t = torch.randint(0, T_STEPS, (a.batch,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        abt = ab[t].view(-1, 1, 1, 1, 1)
        xt = abt.sqrt() * x0 + (1 - abt).sqrt() * eps
        loss = F.mse_loss(model(xt, t, y), abt.sqrt() * eps - (1 - abt).sqrt() * x0)  # v-prediction
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            d = min(a.ema, (1 + k) / (10 + k))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(pm, alpha=1 - d)
        if k % 100 == 0 or k == a.steps - 1:
            print(f"step {k} loss {loss.item():.4f} {time.time() - start:.0f} s", flush=True)
    for name, net in (("ema", ema), ("live", model)):
        samples, classes = ddim(net, ab)
        stem = os.path.join(a.data, f"samples-{name}")
        samples.numpy().astype(np.float32).tofile(stem + ".f32")
        classes.numpy().astype(np.uint8).tofile(stem + ".y")
        print(stem, flush=True)


if __name__ == "__main__":
    main()
