"""Writes the checkpoints checkpoint_test.cc loads, and what Python says they hold.

usage: make_checkpoints.py CASE OUT_DIR [MARKER_DIR]

For a set of tensors NAME it writes NAME.json, a list of
{name, dtype, shape, stride, offset, storage, begin, nbytes} (dtype as
c10::toString spells it; storage: an index equal for tensors sharing one),
and NAME.bin, the bytes of each tensor made contiguous at [begin, begin+nbytes).
Run by /usr/bin/python3 (Debian's torch); never reaches the network.
"""
import collections
import ctypes
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch

DTYPES = {
    torch.float32: 'Float', torch.float16: 'Half', torch.bfloat16: 'BFloat16',
    torch.float64: 'Double', torch.int8: 'Char', torch.uint8: 'Byte',
    torch.int16: 'Short', torch.int32: 'Int', torch.int64: 'Long',
    torch.bool: 'Bool', torch.complex64: 'ComplexFloat',
}
ST_DTYPES = {
    torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
    torch.float64: 'F64', torch.int8: 'I8', torch.uint8: 'U8',
    torch.int16: 'I16', torch.int32: 'I32', torch.int64: 'I64', torch.bool: 'BOOL',
}


def raw(t):
    t = t.detach().contiguous()
    n = t.numel() * t.element_size()
    return ctypes.string_at(t.data_ptr(), n) if n else b''


def write_manifest(out, name, tensors):
    storages, entries, blob = {}, [], bytearray()
    for key, t in tensors.items():
        ptr = t.storage().data_ptr()
        storage = storages.setdefault(ptr, len(storages)) if ptr else -1 - len(entries)
        data = raw(t)
        entries.append({'name': key, 'dtype': DTYPES[t.dtype], 'shape': list(t.shape),
                        'stride': list(t.stride()), 'offset': t.storage_offset(),
                        'storage': storage, 'begin': len(blob), 'nbytes': len(data)})
        blob += data
    with open(os.path.join(out, name + '.json'), 'w') as f:
        json.dump(entries, f)
    with open(os.path.join(out, name + '.bin'), 'wb') as f:
        f.write(blob)


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        data = raw(t)
        header[key] = {'dtype': ST_DTYPES[t.dtype], 'shape': list(t.shape),
                       'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header['__metadata__'] = metadata
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def save_all(out, stem, obj, protocols=(2,)):
    for p in protocols:
        suffix = '' if p == 2 else '_p%d' % p
        torch.save(obj, os.path.join(out, '%s_zip%s.pt' % (stem, suffix)), pickle_protocol=p)
        torch.save(obj, os.path.join(out, '%s_legacy%s.pt' % (stem, suffix)), pickle_protocol=p,
                   _use_new_zipfile_serialization=False)


def contiguous_copies(tensors):
    return collections.OrderedDict(
        (k, t.detach().contiguous().clone()) for k, t in tensors.items() if t.dtype in ST_DTYPES)


def case_tensors(out):
    torch.manual_seed(0)
    sd = collections.OrderedDict()
    for dtype in DTYPES:
        if dtype.is_floating_point or dtype.is_complex:
            t = torch.randn(2, 3, dtype=torch.float64).to(dtype)
        elif dtype == torch.bool:
            t = torch.randint(0, 2, (2, 3)).bool()
        elif dtype == torch.uint8:
            t = torch.randint(0, 256, (2, 3)).to(dtype)
        else:
            t = torch.randint(-100, 100, (2, 3)).to(dtype)
        sd['dtype.' + DTYPES[dtype]] = t
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    sd['scalar'] = torch.tensor(3.5)
    sd['scalar_int'] = torch.tensor(-7)
    sd['empty'] = torch.empty(0)
    sd['empty_2d'] = torch.empty(3, 0, dtype=torch.int64)
    sd['base'] = base
    sd['transposed'] = base.t()
    sd['tied'] = base
    sd['slice'] = base[1:3, 2:5]
    sd['row'] = base[2]
    sd['strided'] = torch.arange(20, dtype=torch.float64).reshape(4, 5)[:, ::2]
    sd['expanded'] = torch.arange(3, dtype=torch.int32).unsqueeze(0).expand(4, 3)
    sd['param'] = torch.nn.Parameter(torch.randn(3))
    sd['big'] = torch.randn(1000)
    with_attr = torch.arange(4, dtype=torch.int16)
    with_attr.note = 'python attributes: saved through _rebuild_from_type_v2'
    sd['with_attr'] = with_attr
    write_manifest(out, 'tensors', sd)
    save_all(out, 'tensors', sd, protocols=(2, 4))
    # The same records, compressed (torch.save never does; a re-zipped file can).
    with zipfile.ZipFile(os.path.join(out, 'tensors_zip.pt')) as src:
        with zipfile.ZipFile(os.path.join(out, 'tensors_deflated.pt'), 'w', zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                dst.writestr(info.filename, src.read(info.filename))
    st = contiguous_copies(sd)
    write_manifest(out, 'tensors_st', st)
    write_safetensors(os.path.join(out, 'tensors.safetensors'), st, {'format': 'pt', 'note': 'x'})
    with zipfile.ZipFile(os.path.join(out, 'tensors_legacy.zip'), 'w') as z:
        z.write(os.path.join(out, 'tensors_legacy.pt'), 'tensors_legacy.pt')
    # Shared references to containers, and the other values a checkpoint holds.
    shared = collections.OrderedDict([('w', torch.ones(2))])
    nested = {
        'model': sd, 'epoch': 3, 'lr': 0.125, 'name': 'resnet', 'blob': b'\x00\x01',
        'flags': [True, False, None], 'big_int': 2**40, 'neg': -5, 'size': torch.Size([2, 3]),
        'device': torch.device('cpu'), 'tuple': (1, 'a', 2.5), 'int_keys': {0: 'a', 7: 'b'},
        'a': shared, 'b': shared, 'set': {5},
    }
    save_all(out, 'nested', nested)
    save_all(out, 'under_state_dict', {'state_dict': collections.OrderedDict([('w', torch.ones(2))]),
                                       'optimizer': {'state': {}, 'param_groups': []}})
    save_all(out, 'no_state_dict', {'epoch': 3, 'losses': [0.5]})


def case_resnet(out):
    import torchvision
    torch.manual_seed(0)
    sd = torchvision.models.resnet18(weights=None).state_dict()
    write_manifest(out, 'resnet', sd)
    save_all(out, 'resnet', sd)
    write_manifest(out, 'resnet_st', contiguous_copies(sd))
    write_safetensors(os.path.join(out, 'resnet.safetensors'), contiguous_copies(sd))


def case_many(out):
    """More than 65,535 records: torch.save's zip gets zip64 end records."""
    sd = collections.OrderedDict(('t%d' % i, torch.tensor([i], dtype=torch.int32))
                                 for i in range(66000))
    write_manifest(out, 'many', sd)
    torch.save(sd, os.path.join(out, 'many_zip.pt'))


class Reduce:
    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


class Net:  # a model class: its global is refused
    def __init__(self):
        self.w = 1


def evil_payloads(marker_dir, prefix):
    import builtins
    import subprocess
    m = lambda name: os.path.join(marker_dir, prefix + name)
    return {
        'os_system': Reduce(os.system, ('touch ' + m('os_system'),)),
        'eval': Reduce(builtins.eval, ("open(%r, 'w').close()" % m('eval'),)),
        'exec': Reduce(builtins.exec, ("open(%r, 'w').close()" % m('exec'),)),
        'popen': Reduce(subprocess.Popen, (['touch', m('popen')],)),
        'custom_class': Net(),
    }


def case_evil(out, marker_dir):
    for name, payload in evil_payloads(marker_dir, '').items():
        with open(os.path.join(out, 'evil_%s.pkl' % name), 'wb') as f:
            pickle.dump(payload, f, protocol=2)
        with open(os.path.join(out, 'evil_%s_p4.pkl' % name), 'wb') as f:
            pickle.dump(payload, f, protocol=4)
    for name, payload in evil_payloads(marker_dir, 'control_').items():
        with open(os.path.join(out, 'control_%s.pkl' % name), 'wb') as f:
            pickle.dump(payload, f, protocol=2)
    payload = evil_payloads(marker_dir, 'ckpt_')['os_system']
    save_all(out, 'evil', collections.OrderedDict([('w', torch.ones(2)), ('evil', payload)]))


class FakeStorage:
    pass


class FakeTensor:
    def __init__(self, storage, *args):
        self.storage, self.args = storage, args

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, (self.storage,) + self.args


def tensor_pickle(pids, obj):
    """A pickle of `obj` where FakeStorage s is the persistent id pids[s]."""
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=2)
    p.persistent_id = lambda o: pids.get(id(o)) if isinstance(o, FakeStorage) else None
    p.dump(obj)
    return buf.getvalue()


def one_tensor(numel, offset, size, stride, storage_type=torch.FloatStorage, legacy=False):
    s = FakeStorage()
    pid = ('storage', storage_type, '0', 'cpu', numel) + ((None,) if legacy else ())
    hooks = collections.OrderedDict()
    return tensor_pickle({id(s): pid}, {'t': FakeTensor(s, offset, size, stride, False, hooks)})


def write_zip(path, records, top='archive'):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as z:
        for name, data in records:
            z.writestr(top + '/' + name, data)


def write_legacy(path, main_pickle, storages):
    """storages: [(key, count, bytes)] written after the key list."""
    with open(path, 'wb') as f:
        f.write(pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2))
        f.write(pickle.dumps(1001, protocol=2))
        f.write(pickle.dumps({'protocol_version': 1001, 'little_endian': True,
                              'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, protocol=2))
        f.write(main_pickle)
        f.write(pickle.dumps([k for k, _, _ in storages], protocol=2))
        for _, count, data in storages:
            f.write(struct.pack('<q', count) + data)


def case_lies(out):
    f16 = struct.pack('<4f', 1, 2, 3, 4)
    good = one_tensor(4, 0, (4,), (1,))
    zips = {
        'zip_good': [('data.pkl', good), ('data/0', f16), ('version', '3\n')],
        'zip_other_top': None,
        'zip_storage_short': [('data.pkl', good), ('data/0', f16[:12]), ('version', '3\n')],
        'zip_storage_long': [('data.pkl', good), ('data/0', f16 + b'\0' * 4), ('version', '3\n')],
        'zip_past_storage': [('data.pkl', one_tensor(4, 0, (5,), (1,))), ('data/0', f16)],
        'zip_offset_past': [('data.pkl', one_tensor(4, 3, (2,), (1,))), ('data/0', f16)],
        'zip_stride_past': [('data.pkl', one_tensor(4, 0, (2, 2), (3, 1))), ('data/0', f16)],
        'zip_negative_stride': [('data.pkl', one_tensor(4, 0, (2,), (-1,))), ('data/0', f16)],
        'zip_negative_offset': [('data.pkl', one_tensor(4, -1, (2,), (1,))), ('data/0', f16)],
        'zip_overflow': [('data.pkl', one_tensor(4, 0, (2**62, 4), (1, 1))), ('data/0', f16)],
        'zip_huge_numel': [('data.pkl', one_tensor(2**61, 0, (4,), (1,))), ('data/0', f16)],
        'zip_rank_mismatch': [('data.pkl', one_tensor(4, 0, (2, 2), (1,))), ('data/0', f16)],
        'zip_missing_record': [('data.pkl', good), ('version', '3\n')],
        'zip_missing_pkl': [('data/0', f16), ('version', '3\n')],
    }
    for name, records in zips.items():
        if records is None:
            write_zip(os.path.join(out, name + '.pt'), zips['zip_good'], top='my_model')
        else:
            write_zip(os.path.join(out, name + '.pt'), records)
    # PyTorch 2 saves a tensor with Python attributes through _rebuild_from_type_v2.
    s = FakeStorage()
    from_type = Reduce(torch._tensor._rebuild_from_type_v2, (
        torch._utils._rebuild_tensor_v2, torch.Tensor,
        (s, 0, (4,), (1,), False, collections.OrderedDict()), {'note': 'x'}))
    pkl = tensor_pickle({id(s): ('storage', torch.FloatStorage, '0', 'cpu', 4)}, {'t': from_type})
    write_zip(os.path.join(out, 'zip_from_type_v2.pt'), [('data.pkl', pkl), ('data/0', f16)])
    legacy_good = one_tensor(4, 0, (4,), (1,), legacy=True)
    write_legacy(os.path.join(out, 'legacy_good.pt'), legacy_good, [('0', 4, f16)])
    write_legacy(os.path.join(out, 'legacy_count_lies.pt'), legacy_good, [('0', 5, f16)])
    write_legacy(os.path.join(out, 'legacy_short_data.pt'), legacy_good, [('0', 4, f16[:12])])
    write_legacy(os.path.join(out, 'legacy_no_data.pt'), legacy_good, [])
    write_legacy(os.path.join(out, 'legacy_unknown_key.pt'), legacy_good,
                 [('0', 4, f16), ('9', 1, f16[:4])])
    write_legacy(os.path.join(out, 'legacy_huge_numel.pt'),
                 one_tensor(2**40, 0, (4,), (1,), legacy=True), [('0', 4, f16)])
    # Pre-1.0 storage views: tensor 'v' is elements [2, 5) of storage 'root'.
    s = FakeStorage()
    hooks = collections.OrderedDict()
    six = struct.pack('<6f', 10, 11, 12, 13, 14, 15)
    view = tensor_pickle(
        {id(s): ('storage', torch.FloatStorage, 'root', 'cpu', 6, ('v1', 2, 3))},
        {'v': FakeTensor(s, 1, (2,), (1,), False, hooks)})
    write_legacy(os.path.join(out, 'legacy_view.pt'), view, [('root', 6, six)])
    bad_view = tensor_pickle(
        {id(s): ('storage', torch.FloatStorage, 'root', 'cpu', 6, ('v1', 5, 3))},
        {'v': FakeTensor(s, 0, (1,), (1,), False, hooks)})
    write_legacy(os.path.join(out, 'legacy_bad_view.pt'), bad_view, [('root', 6, six)])
    module = tensor_pickle({}, {'t': 1})
    with open(os.path.join(out, 'module_pid.pkl'), 'wb') as f:
        buf = io.BytesIO()
        p = pickle.Pickler(buf, protocol=2)
        p.persistent_id = lambda o: ('module', 'Net', 'net.py', 'class Net: pass') if o == 'M' else None
        p.dump({'m': 'M'})
        f.write(buf.getvalue())
    del module


def case_bench(out):
    """resnet50's state dict and 20,000 tensors of 1 KiB, with torch.load's times."""
    import time
    import torchvision
    torch.manual_seed(0)
    sets = {
        'resnet50': torchvision.models.resnet50(weights=None).state_dict(),
        'small20k': collections.OrderedDict(
            ('t%05d' % i, torch.full((256,), float(i))) for i in range(20000)),
    }
    timings = {}
    for stem, sd in sets.items():
        save_all(out, stem, sd)
        write_safetensors(os.path.join(out, stem + '.safetensors'), contiguous_copies(sd))
        for fmt in ('zip', 'legacy'):
            path = os.path.join(out, '%s_%s.pt' % (stem, fmt))
            runs = []
            for _ in range(6):
                start = time.perf_counter()
                torch.load(path, map_location='cpu')
                runs.append(time.perf_counter() - start)
            timings['%s_%s' % (stem, fmt)] = sorted(runs[1:])[2]
    with open(os.path.join(out, 'torch_load_seconds.json'), 'w') as f:
        json.dump(timings, f)


def main():
    case, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if case == 'tensors':
        case_tensors(out)
    elif case == 'resnet':
        case_resnet(out)
    elif case == 'evil':
        case_evil(out, sys.argv[3])
    elif case == 'many':
        case_many(out)
    elif case == 'bench':
        case_bench(out)
    elif case == 'lies':
        case_lies(out)
    else:
        sys.exit('unknown case ' + case)


if __name__ == '__main__':
    main()
