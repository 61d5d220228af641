"""The CUDA loading benchmark (shared/ANCHORS.md section 3), one run: builds the
three checkpoints, times PyTorch's loaders and ours on the same files, prints
the table with ratios and the targets.

    python3 benchmarks/cuda_load/compare.py --binary BIN [--device cuda] [--scale 1.0]
        [--dir /dev/shm/torchhub-bench] [--reps 5]

--scale shrinks the checkpoints (for a CPU-only dry run of the script).
"""
import argparse, json, os, statistics, struct, subprocess, sys, time

import torch

p = argparse.ArgumentParser()
p.add_argument('--binary', required=True)
p.add_argument('--device', default='cuda')
p.add_argument('--scale', type=float, default=1.0)
p.add_argument('--dir', default='/dev/shm/torchhub-bench')
p.add_argument('--reps', type=int, default=5)
args = p.parse_args()
os.makedirs(args.dir, exist_ok=True)
dev = torch.device(args.device)


def sync():
    if dev.type == 'cuda':
        torch.cuda.synchronize()


def resnet50_shapes():
    """torchvision resnet50's state dict shapes (320 tensors), without torchvision."""
    shapes = []
    def bn(prefix, c):
        shapes.extend([(f'{prefix}.weight', (c,)), (f'{prefix}.bias', (c,)),
                       (f'{prefix}.running_mean', (c,)), (f'{prefix}.running_var', (c,)),
                       (f'{prefix}.num_batches_tracked', ())])
    shapes.append(('conv1.weight', (64, 3, 7, 7)))
    bn('bn1', 64)
    inplanes = 64
    for layer, (planes, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], 1):
        for b in range(blocks):
            pre = f'layer{layer}.{b}'
            shapes.append((f'{pre}.conv1.weight', (planes, inplanes, 1, 1))); bn(f'{pre}.bn1', planes)
            shapes.append((f'{pre}.conv2.weight', (planes, planes, 3, 3))); bn(f'{pre}.bn2', planes)
            shapes.append((f'{pre}.conv3.weight', (planes * 4, planes, 1, 1))); bn(f'{pre}.bn3', planes * 4)
            if b == 0:
                shapes.append((f'{pre}.downsample.0.weight', (planes * 4, inplanes, 1, 1)))
                bn(f'{pre}.downsample.1', planes * 4)
            inplanes = planes * 4
    shapes.extend([('fc.weight', (1000, 2048)), ('fc.bias', (1000,))])
    return shapes


def make(name):
    g = torch.Generator().manual_seed(0)
    sd = {}
    if name == 'resnet50':
        for key, shape in resnet50_shapes():
            if key.endswith('num_batches_tracked'):
                sd[key] = torch.tensor(0)
            else:
                sd[key] = torch.randn(shape, generator=g)
    elif name == '2GiB':
        n = max(1, int((2 << 30) * args.scale) // 32 // 4)
        for i in range(32):
            sd[f'w{i}'] = torch.randn(n, generator=g)
    else:
        for i in range(max(1, int(20000 * args.scale))):
            sd[f't{i}'] = torch.randn(256, generator=g)
    return sd


def save_safetensors(sd, path):
    try:
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in sd.items()}, path)
        return
    except ImportError:
        pass
    names = {torch.float32: 'F32', torch.int64: 'I64'}
    header, offset, blobs = {}, 0, []
    for k, v in sd.items():
        b = v.contiguous().numpy().tobytes()
        header[k] = {'dtype': names[v.dtype], 'shape': list(v.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b); blobs.append(b)
    h = json.dumps(header).encode(); h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h)
        for b in blobs: f.write(b)


def median_ms(fn):
    fn(); sync()
    times = []
    for _ in range(args.reps):
        start = time.perf_counter(); out = fn(); sync(); times.append(time.perf_counter() - start)
        del out
    return statistics.median(times) * 1000


def ours(path):
    r = subprocess.run([args.binary, '--device', args.device, '--reps', str(args.reps), path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f'load_benchmark failed on {path}: {r.stderr}')
    return json.loads(r.stdout.strip().splitlines()[-1])['median_ms']


targets = {'resnet50': ('torch.load', 0.25), '2GiB': ('torch.load(mmap=True)', 0.6),
           '20k x 1KiB': ('torch.load', 0.02)}
print(f'torch {torch.__version__}, device {args.device}'
      + (f' ({torch.cuda.get_device_name()})' if dev.type == 'cuda' else '')
      + f', scale {args.scale}, median of {args.reps} after 1 warm-up, page cache warm')
print(f"{'checkpoint':12} {'MB':>7} {'torch.load':>11} {'mmap=True':>10} {'safetensors':>12} "
      f"{'ours':>9} {'target':>24} {'met':>4}")
for name in ['resnet50', '2GiB', '20k x 1KiB']:
    sd = make(name)
    pt = os.path.join(args.dir, name.replace(' ', '_') + '.pt')
    st = os.path.join(args.dir, name.replace(' ', '_') + '.safetensors')
    torch.save(sd, pt); save_safetensors(sd, st)
    mb = os.path.getsize(pt) / 1e6
    del sd
    t_load = median_ms(lambda: torch.load(pt, map_location=args.device))
    try:
        t_mmap = median_ms(lambda: torch.load(pt, map_location=args.device, mmap=True))
    except TypeError:
        t_mmap = float('nan')  # torch < 2.1
    try:
        from safetensors.torch import load_file
        t_st = median_ms(lambda: load_file(st, device=args.device))
    except ImportError:
        t_st = float('nan')
    t_ours = ours(pt)
    base_name, target = targets[name]
    base = t_load if base_name == 'torch.load' else t_mmap
    ratio = t_ours / base
    met = 'n/a' if base != base else ('yes' if ratio <= target else 'NO')  # nan: no baseline
    print(f'{name:12} {mb:7.1f} {t_load:9.1f}ms {t_mmap:8.1f}ms {t_st:10.1f}ms {t_ours:7.1f}ms '
          f'{ratio:6.3f}x {base_name} <= {target} {met:>4}')
