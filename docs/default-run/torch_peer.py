# An independent PyTorch implementation of the default run's recipe (video DiT-S, 1x2x2 tubelets, factorised
# space-then-time attention, adaLN-Zero, v-prediction, cosine schedule, AdamW with warmup + cosine decay, EMA, DDIM 50
# with guidance 2), used only to check whether vtx learns this data more slowly than PyTorch does (README here).
# Data: the default's 512 clips as raw uint8, e.g. with a throwaway script under packages/train/:
#   syntheticClip(SyntheticSpec.parse({kind:'synthetic',count:512,frames:4,height:16,width:16}), i).data / .label
# written to /tmp/ref/train.x.u8 (512*4*16*16*3 bytes) and /tmp/ref/train.y.u8 (512 labels).
# Run:  /usr/bin/python3 torch_peer.py steps=1000 lr=3e-3 emaw=1 out=/tmp/ref/run   (bench/install-peer.sh installs torch)
# Writes 32 DDIM samples per weight set (<out>-ema.f32 / -live.f32, classes in .y) for the closed-form reader.
import math, sys, time, json, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0); np.random.seed(0)
args = dict(a.split('=') for a in sys.argv[1:])
STEPS = int(args.get('steps', 1000)); BS = int(args.get('bs', 16)); LR = float(args.get('lr', 1e-3))
D = int(args.get('width', 96)); DEPTH = int(args.get('depth', 4)); H = 4; P = int(args.get('patch', 2))
FACT = args.get('attn', 'fact') == 'fact'; EMA_D = float(args.get('ema', 0.999)); EMAW = args.get('emaw', '0') == '1'; PRED = args.get('pred', 'v')
SCHED = args.get('sched', 'cosine'); SKIP = args.get('skip', '0') == '1'; CONV = args.get('conv', '0') == '1'; OUT = args.get('out', '/tmp/ref/samples')
torch.set_num_threads(int(args.get('threads', 2)))
X = torch.from_numpy(np.fromfile(args.get('data', '/tmp/ref/train') + '.x.u8', np.uint8).reshape(-1, 4, 16, 16, 3)).float() / 127.5 - 1
Y = torch.from_numpy(np.fromfile(args.get('data', '/tmp/ref/train') + '.y.u8', np.uint8)).long()
N = X.shape[0]; T_, HH, WW = 4, 16 // P, 16 // P

def sincos1d(d, pos):
    om = 1.0 / 10000 ** (np.arange(d // 2) / (d / 2)); o = np.outer(pos, om); return np.concatenate([np.sin(o), np.cos(o)], 1)
def pos3d(d):
    dt = d // 4; ds = (d - dt) // 2; ds -= ds % 2
    t, y, x = np.meshgrid(np.arange(T_), np.arange(HH), np.arange(WW), indexing='ij')
    e = np.concatenate([sincos1d(ds, y.ravel()), sincos1d(ds, x.ravel()), sincos1d(d - 2 * ds, t.ravel())], 1)
    return torch.tensor(e, dtype=torch.float32)

def modulate(x, sh, sc): return x * (1 + sc.unsqueeze(1)) + sh.unsqueeze(1)
class Attn(nn.Module):
    def __init__(s): super().__init__(); s.qkv = nn.Linear(D, 3 * D); s.proj = nn.Linear(D, D)
    def forward(s, x):  # (B', L, D)
        B, L, _ = x.shape; q, k, v = s.qkv(x).reshape(B, L, 3, H, D // H).permute(2, 0, 3, 1, 4)
        return s.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, L, D)) if hasattr(F, 'scaled_dot_product_attention') else s.proj(((q @ k.transpose(-1, -2)) / math.sqrt(D // H)).softmax(-1).matmul(v).transpose(1, 2).reshape(B, L, D))
class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.nb = 3 if FACT else 2
        s.attns = nn.ModuleList([Attn() for _ in range(s.nb - 1)]); s.norms = nn.ModuleList([nn.LayerNorm(D, elementwise_affine=False, eps=1e-6) for _ in range(s.nb)])
        s.mlp = nn.Sequential(nn.Linear(D, 4 * D), nn.GELU(approximate='tanh'), nn.Linear(4 * D, D))
        s.ada = nn.Sequential(nn.SiLU(), nn.Linear(D, 3 * s.nb * D)); nn.init.zeros_(s.ada[1].weight); nn.init.zeros_(s.ada[1].bias)
    def forward(s, x, c):  # x (B, T*HH*WW, D)
        m = s.ada(c).chunk(3 * s.nb, -1); B = x.shape[0]
        for i in range(s.nb):
            sh, sc, g = m[3 * i:3 * i + 3]; h = modulate(s.norms[i](x), sh, sc)
            if i == s.nb - 1: h = s.mlp(h)
            elif not FACT: h = s.attns[0](h)
            elif i == 0:  # space: (B*T, HW, D)
                h = s.attns[0](h.reshape(B * T_, HH * WW, D)).reshape(B, -1, D)
            else:  # time: (B*HW, T, D)
                h = s.attns[1](h.reshape(B, T_, HH * WW, D).transpose(1, 2).reshape(B * HH * WW, T_, D)).reshape(B, HH * WW, T_, D).transpose(1, 2).reshape(B, -1, D)
            x = x + g.unsqueeze(1) * h
        return x
class DiT(nn.Module):
    def __init__(s):
        super().__init__(); s.emb = nn.Linear(P * P * 3, D); s.register_buffer('pos', pos3d(D))
        s.t1 = nn.Linear(256, D); s.t2 = nn.Linear(D, D); s.y = nn.Embedding(5, D)
        s.blocks = nn.ModuleList([Block() for _ in range(DEPTH)]); s.nf = nn.LayerNorm(D, elementwise_affine=False, eps=1e-6)
        s.fada = nn.Sequential(nn.SiLU(), nn.Linear(D, 2 * D)); s.out = nn.Linear(D, P * P * 3)
        for m in s.modules():
            if isinstance(m, nn.Linear): nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)
        nn.init.normal_(s.y.weight, std=0.02); nn.init.normal_(s.t1.weight, std=0.02); nn.init.normal_(s.t2.weight, std=0.02)
        for b in s.blocks: nn.init.zeros_(b.ada[1].weight); nn.init.zeros_(b.ada[1].bias)
        for m in (s.fada[1], s.out): nn.init.zeros_(m.weight); nn.init.zeros_(m.bias)
        if SKIP: s.skips = nn.ModuleList([nn.Linear(2 * D, D) for _ in range(DEPTH // 2)])
        if CONV: s.conv = nn.Conv3d(3, 3, (1, 3, 3), padding=(0, 1, 1)); nn.init.zeros_(s.conv.weight); nn.init.zeros_(s.conv.bias)
    def forward(s, x, t, y):  # x (B, T, 16, 16, 3)
        B = x.shape[0]
        x = x.reshape(B, T_, HH, P, WW, P, 3).permute(0, 1, 2, 4, 3, 5, 6).reshape(B, T_ * HH * WW, P * P * 3)
        x = s.emb(x) + s.pos
        fr = torch.exp(-math.log(10000) * torch.arange(128) / 128); a = t[:, None].float() * fr[None]
        c = s.t2(F.silu(s.t1(torch.cat([torch.cos(a), torch.sin(a)], -1)))) + s.y(y)
        if SKIP:
            hs = []
            for i, b in enumerate(s.blocks):
                if i < DEPTH // 2: x = b(x, c); hs.append(x)
                else:
                    if i >= DEPTH - DEPTH // 2: x = s.skips[i - (DEPTH - DEPTH // 2)](torch.cat([x, hs.pop()], -1))
                    x = b(x, c)
        else:
            for b in s.blocks: x = b(x, c)
        sh, sc = s.fada(c).chunk(2, -1); x = s.out(modulate(s.nf(x), sh, sc))
        x = x.reshape(B, T_, HH, WW, P, P, 3).permute(0, 1, 2, 4, 3, 5, 6).reshape(B, T_, 16, 16, 3)
        if CONV: x = x + s.conv(x.permute(0, 4, 1, 2, 3)).permute(0, 2, 3, 4, 1)
        return x

TT = 1000
if SCHED == 'cosine':
    f = lambda s: math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = np.array([min(1 - f((i + 1) / TT) / f(i / TT), 0.999) for i in range(TT)])
else: betas = np.linspace(1e-4, 0.02, TT)
ab = torch.tensor(np.cumprod(1 - betas), dtype=torch.float32)
model = DiT(); ema = DiT(); ema.load_state_dict(model.state_dict()); ema.requires_grad_(False)
opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0)
lr_at = lambda k: LR * (k + 1) / 50 if k < 50 else LR * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (k - 50) / (STEPS - 50))))
g = torch.Generator().manual_seed(0); t0 = time.time()
for k in range(STEPS):
    for pg in opt.param_groups: pg['lr'] = lr_at(k)
    idx = torch.randint(0, N, (BS,), generator=g); x0 = X[idx]; y = Y[idx].clone()
    y[torch.rand(BS, generator=g) < 0.1] = 4
    t = torch.randint(0, TT, (BS,), generator=g); e = torch.randn(x0.shape, generator=g)
    a = ab[t].view(-1, 1, 1, 1, 1); xt = a.sqrt() * x0 + (1 - a).sqrt() * e
    tgt = a.sqrt() * e - (1 - a).sqrt() * x0 if PRED == 'v' else e
    loss = F.mse_loss(model(xt, t, y), tgt)
    opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        dd = min(EMA_D, (1 + k) / (10 + k)) if EMAW else EMA_D
        for pe, pm in zip(ema.parameters(), model.parameters()): pe.mul_(dd).add_(pm, alpha=1 - dd)
    if k % 100 == 0 or k == STEPS - 1: print(k, round(loss.item(), 4), round(time.time() - t0, 1), flush=True)

@torch.no_grad()
def sample(net, n=32, steps=50, cfg=2.0):
    y = torch.arange(n) % 4; x = torch.randn(n, 4, 16, 16, 3, generator=torch.Generator().manual_seed(1))
    ts = np.linspace(0, TT - 1, steps).round().astype(int)[::-1]
    for i, t in enumerate(ts):
        tt = torch.full((n,), int(t)); out = net(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, torch.full((n,), 4)]))
        c, u = out.chunk(2); o = u + cfg * (c - u); a = ab[t]
        x0 = a.sqrt() * x - (1 - a).sqrt() * o if PRED == 'v' else (x - (1 - a).sqrt() * o) / a.sqrt()
        x0 = x0.clamp(-1, 1); eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
        ap = ab[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
        x = ap.sqrt() * x0 + (1 - ap).sqrt() * eps
    return x, y
for name, net in (('ema', ema), ('live', model)):
    s, y = sample(net); s.numpy().astype(np.float32).tofile(f'{OUT}-{name}.f32'); y.numpy().astype(np.uint8).tofile(f'{OUT}-{name}.y')
print('done', round(time.time() - t0, 1))
