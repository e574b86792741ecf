"""The compiled scanner (csqa/_jsonl.c) under AddressSanitizer and UBSan.

The extension is built with `-fsanitize=address,undefined` into a temporary folder and run in subprocesses with the
sanitizer's runtime preloaded (`LD_PRELOAD`, `PYTHONMALLOC=malloc` so that Python's own objects get red zones too):
a differential fuzz of the compiled load against the pure-Python path (the one csqa takes without the extension),
calls with bad arguments, a buffer changed between `extract_lines`' count of the lines and its scan (a hook only the
sanitizer build has) or by another thread during the call, and a file that another process rewrites while it is
loaded. A test fails on any sanitizer report, any crash, or any disagreement.

By hand: `python tests/test_jsonl_sanitize.py MODE SO [ARGS]` in the environment `build_sanitized` returns.
"""
from __future__ import annotations
import json, os, random, shutil, subprocess, sys, sysconfig, time
from pathlib import Path
import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO/'csqa'/'_jsonl.c'
FUZZ_SECONDS = float(os.environ.get('CSQA_FUZZ_SECONDS', 10))  # the differential fuzz's wall time; a new seed every run (set it higher to fuzz longer)
SANITIZER_REPORT = ('ERROR: AddressSanitizer', 'runtime error:', 'ERROR: LeakSanitizer', 'UndefinedBehaviorSanitizer')

# --- the sanitizer build -------------------------------------------------------------------------------------------

def _skip_or_fail(reason:str):
    "No sanitizer here: a skip with the reason (CI, where gcc has it, would rather know)."
    if os.environ.get('CSQA_REQUIRE_SANITIZER') == '1': pytest.fail(reason)
    pytest.skip(reason)

def build_sanitized(out:Path, source:Path=SOURCE)->tuple[Path, dict]:
    "Compile `source` with ASan and UBSan (and the test hook) into `out`: the module file and the environment to run it in."
    gcc = shutil.which('gcc')
    if gcc is None: _skip_or_fail('no gcc here to build csqa/_jsonl.c with -fsanitize=address,undefined')
    libasan = subprocess.run([gcc, '-print-file-name=libasan.so'], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(libasan) or not os.path.exists(libasan):
        _skip_or_fail(f'gcc has no AddressSanitizer runtime (gcc -print-file-name=libasan.so gave {libasan!r})')
    so = out/'_jsonl.so'
    cmd = [gcc, '-shared', '-fPIC', '-O1', '-g', '-fno-omit-frame-pointer', '-fsanitize=address,undefined',
           '-DCSQA_JSONL_TEST_HOOKS', f'-I{sysconfig.get_paths()["include"]}', str(source), '-o', str(so)]
    made = subprocess.run(cmd, capture_output=True, text=True)
    if made.returncode: _skip_or_fail(f'gcc could not build the sanitizer build:\n{made.stderr[-2000:]}')
    env = {**os.environ, 'PYTHONPATH': str(REPO), 'LD_PRELOAD': libasan, 'PYTHONMALLOC': 'malloc',
           'ASAN_OPTIONS': 'detect_leaks=0:abort_on_error=0', 'UBSAN_OPTIONS': 'print_stacktrace=1'}
    probe = subprocess.run([sys.executable, '-c', 'pass'], env=env, capture_output=True, text=True, timeout=60)
    if probe.returncode: _skip_or_fail(f'Python does not start with the AddressSanitizer runtime preloaded:\n{probe.stderr[-2000:]}')
    return so, env

SEED = int(os.environ.get('CSQA_FUZZ_SEED', random.randrange(1 << 30)))  # a failure names it: CSQA_FUZZ_SEED=... replays the same files

@pytest.fixture(scope='module')
def child(tmp_path_factory)->dict:
    "Every check below, run once in one process under the sanitizer (its start is the slow part): each check's answer."
    tmp = tmp_path_factory.mktemp('asan')
    so, env = build_sanitized(tmp)
    r = subprocess.run([sys.executable, __file__, 'all', str(so), str(tmp), str(SEED), str(FUZZ_SECONDS)], env=env,
                       capture_output=True, text=True, timeout=600, cwd=REPO)
    reports = [m for m in SANITIZER_REPORT if m in r.stderr]
    assert not reports and r.returncode == 0, f'seed {SEED}: exit {r.returncode}, {reports}\n{r.stdout[-3000:]}\n{r.stderr[-8000:]}'
    return json.loads(r.stdout.strip().splitlines()[-1])

def answer(child:dict, check:str)->dict:
    "One check's answer; a Python exception in the child fails the check with its traceback."
    assert 'error' not in child[check], child[check]['error']
    return child[check]

# --- the tests -----------------------------------------------------------------------------------------------------

def test_differential_fuzz(child):
    "Generated files (BOM, CRLF, NUL, surrogate escapes, bad UTF-8, huge ids, -0, deep nesting, long strings, missing and extra fields, cut lines): the same tables, problems and ids with the compiled path as without it."
    out = answer(child, 'fuzz')
    assert out['disagreements'] == [], f"seed {SEED}: {out['disagreements'][:3]}"
    assert out['files'] >= 20, out  # it did run
    assert out['proved_lines'] and out['unproved_lines'], out  # both paths of the scan were exercised

def test_bad_arguments_raise(child):
    "Short, unaligned or malformed buffers, specs of every shape, wrong types: a proper exception or the right answer, never a crash."
    out = answer(child, 'bad-args')
    assert out['failures'] == [], out['failures']
    assert out['checked'] > 30

def test_buffer_changed_between_passes(child):
    "More lines at the scan than at the count: the rows beyond the count stay unproved, nothing is written past the buffers."
    assert answer(child, 'between-passes')['failures'] == []

def test_buffer_changed_by_another_thread(child):
    "A bytearray rewritten by another thread while `extract_lines` and `hash_ids` run without the GIL: consistent answers, no overflow."
    out = answer(child, 'threads')
    assert out['failures'] == [], out['failures']
    assert out['calls'] > 20, out

def test_file_rewritten_while_loading(child):
    "Another process truncates and rewrites the file while it is loaded again and again: each load is one version's table (or an honest prefix of it) or an error naming the file."
    out = answer(child, 'rewrite')
    assert out['mixed'] == [] and out['unnamed_errors'] == [], out
    assert out['loads'] > 5 and out['whole'] + out['prefix'] + out['errors'] == out['loads'], out
    assert out['whole'] >= 1 and out['writes_seen'] >= 1, out  # some loads succeeded, and the file did change under the reader

# --- what the children do -----------------------------------------------------------------------------------------

def load_sanitized(so:str):
    "csqa.data, with the sanitizer build of `_jsonl` in place of the normal one."
    import importlib.util
    spec = importlib.util.spec_from_file_location('csqa._jsonl', so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import csqa.data as data
    data._jsonl = mod
    return data, mod

GOOD = {'question': 'Which SQL clause filters groups?', 'answer': 'HAVING', 'domain': ['Databases', 'Query Processing'],
        'programming_language': 'c-sharp', 'human_language': 'english'}
NATIVE_FORMATS = ['codesimpleqa', 'canonical', 'chinese-simpleqa']  # the formats the compiled scan reads

# raw JSON spellings of values, put in place of a field's value
RAW_VALUES = ['""', '" "', '"\\u3000"', '"\\ud800"', '"a\\udfffb"', '"\\uD83D\\uDE00"', '"\\ud83d"', '"\\u00e9\\u0301"',
              '"\\u0000"', '"\\u001f"', '"tab\\tnew\\nline"', '"q\\"uote\\\\"', '"\\/"', '"\\q"', '"\\u12"', '"x\\',
              '-0', '0', '-00', '7', '-12', '1.5', '1e3', str(10 ** 30), str(-10 ** 40), 'true', 'null', '[]', '{}',
              '["a"]', '["a", "b"]', '["a", "b", "c"]', '[" ", "b"]', '["a", 5]', '[null]', '[[]]',
              '"english"', '"chinese"', '"EN"', '"zh"', '"中文"', '"klingon"', '"en "', '"e\\u006e"']
LONG_VALUES = [lambda rng: f'"{"x" * rng.randint(100, 70_000)}"',                          # a long string
               lambda rng: '[' * (d := rng.randint(1, 3000)) + ']' * d,                          # deep nesting
               lambda rng: json.dumps('é中\U0001F600' * rng.randint(1, 300), ensure_ascii=rng.random() < .5),
               lambda rng: json.dumps([f'i{i}' for i in range(rng.randint(0, 500))])]            # a long list
RAW_BYTES = [b'\x00', b'\x1f', b'\xff', b'\xc0\x80', b'\xed\xa0\x80', b'\xe2\x82', b'\xf4\x90\x80\x80', b'\xef\xbb\xbf',
             b'\r', b'\t', b' ', b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'\\u', b'\xe3\x80\x80', b'\xc2\xa0']

TEXT_PARTS = ['Which', 'SQL', 'clause', ' ', '  ', '\t', '\n', '"', '\\', '/', 'é', 'e\u0301', '中', '？', '\u3000', '\xa0',
              '\x85', '\x1c', '\x00', '\U0001F600', '\u2028', 'Ⅻ', 'ﬁ', '\ufeff', '\x7f']
LANGS = ['english', 'chinese', 'en', 'zh', 'EN', 'Chinese', ' en', '中文', '']

def valid_value(rng:random.Random, kind:str):
    "A value of `kind` as a benchmark file holds it (most of them proved, some not: blank, NFC-unstable, an odd language)."
    def text(): return ''.join(rng.choices(TEXT_PARTS, k=rng.randint(0, 8))) + ('' if rng.random() < 0.1 else rng.choice(['x', 'Q?', '栈']))
    if kind in ('text', 'label'): return text()
    if kind == 'lang': return rng.choice(LANGS[:4] if rng.random() < 0.8 else LANGS)
    if kind == 'id': return rng.choice([rng.randint(-10 ** 6, 10 ** 6), rng.randint(0, 10 ** 20), text()])
    if kind == 'pair': return [text(), text()]
    return [text() for _ in range(rng.randint(0, 4))]  # strings

def fuzz_line(rng:random.Random, fmt)->bytes:
    "One line built from parts: a record of the format with values of each field's kind; often its values swapped for odd ones, fields dropped, added, repeated or renamed, its bytes bent."
    rec, raw = {}, {}
    for k, kind in fmt.fields.items():
        if k in fmt.required or rng.random() < 0.8: rec[k] = valid_value(rng, kind)
        elif rng.random() < 0.5: rec[k] = None
    odd = rng.random() < 0.4
    for k in list(rec) if odd else []:
        r = rng.random()
        if r < 0.05: del rec[k]
        elif r < 0.2:
            token = f'@@{len(raw)}@@'
            raw[token] = rng.choice(RAW_VALUES) if rng.random() < 0.85 else rng.choice(LONG_VALUES)(rng)
            rec[k] = token
    if odd and rng.random() < 0.1: rec['extra'] = 1
    keys = list(rec)
    if odd and rng.random() < 0.1: rng.shuffle(keys)
    text = json.dumps({k: rec[k] for k in keys}, ensure_ascii=rng.random() < 0.2,
                      separators=rng.choice([(',', ':'), (', ', ': '), (' ,\t', ' :  ')]))
    for token, value in raw.items(): text = text.replace(f'"{token}"', value)
    if odd and rng.random() < 0.05 and keys: text = text.replace(f'"{keys[0]}"', f'"{keys[0]}", "{keys[0]}": 1', 1)  # a field twice
    if odd and rng.random() < 0.05: text = text.replace('"question"', '"quest\\u0069on"', 1)
    line = text.encode('utf-8', 'surrogatepass')
    for _ in range(rng.choice([0, 0, 1, 2]) if odd else 0):  # bend the bytes
        at = rng.randrange(len(line) + 1)
        kind = rng.random()
        if kind < 0.5: line = line[:at] + rng.choice(RAW_BYTES) + line[at:]
        elif kind < 0.8: line = line[:at]  # cut short
        else: line = line[:at] + line[at + 1:]
    return rng.choice([line, line, line, b' \t' + line + b' \r'])

def fuzz_file(rng:random.Random, fmt)->bytes:
    "A file of fuzzed lines, blank ones among them; a BOM, CRLF and a missing last newline now and then."
    lines = [fuzz_line(rng, fmt) if rng.random() < 0.9 else rng.choice([b'', b'   ', b'\r', b'null', b'[]'])
             for _ in range(rng.randint(1, 30))]
    blob = (b'\r\n' if rng.random() < 0.2 else b'\n').join(lines) + (b'\n' if rng.random() < 0.8 else b'')
    if rng.random() < 0.15: blob = b'\xef\xbb\xbf' + blob
    return blob

def outcome(data, path:Path, fmt_name:str, table:bool):
    "What loading gives, as comparable values: counts, problems, quarantined rows and the table (ids included)."
    from csqa.schema import InvalidInput
    try:
        r = data.read_questions(path, format=fmt_name, lenient=True, table=table, progress=False)
        return ('ok', r.rows_read, r.rows_loaded, [str(p) for p in r.problems], r.quarantined,
                r.table.to_dicts() if table else None)
    except InvalidInput as e: return ('invalid', str(e))
    except Exception as e: return ('error', type(e).__name__, str(e))

def child_fuzz(so:str, seed:str, seconds:str):
    data, mod = load_sanitized(so)
    rng, stop = random.Random(int(seed)), time.monotonic() + float(seconds)
    split, piece, chunk = data._SPLIT_BYTES, data._PIECE_BYTES, data._CHUNK_BYTES
    path = Path(os.environ.get('TMPDIR', '/tmp'))/f'csqa-fuzz-{os.getpid()}.jsonl'
    files, disagreements, proved, unproved = 0, [], 0, 0
    try:
        while time.monotonic() < stop and len(disagreements) < 5:
            fmt_name = rng.choice(NATIVE_FORMATS)
            blob = fuzz_file(rng, data.FORMATS[fmt_name])
            path.write_bytes(blob)
            # now and then many small ranges, each read and scanned on its own thread, and small chunks (lines longer than them too)
            data._SPLIT_BYTES, data._PIECE_BYTES = (split, piece) if rng.random() < 0.6 else (0, rng.randint(20, 400))
            data._CHUNK_BYTES = chunk if rng.random() < 0.5 else rng.randint(1, 300)
            table = rng.random() < 0.8
            data._jsonl = mod
            fast = outcome(data, path, fmt_name, table)
            if (proof := data._prove_jsonl(path, data.FORMATS[fmt_name])) is not None:
                unproved += len(proof.unproved); proved += proof.lines - len(proof.unproved)
            data._jsonl = None
            slow = outcome(data, path, fmt_name, table)
            if fast != slow: disagreements.append({'format': fmt_name, 'table': table, 'file': blob.decode('latin-1'),
                                                   'compiled': repr(fast)[:2000], 'python': repr(slow)[:2000]})
            files += 1
    finally: path.unlink(missing_ok=True)
    return {'files': files, 'disagreements': disagreements, 'proved_lines': proved, 'unproved_lines': unproved}

def child_bad_args(so:str):
    data, j = load_sanitized(so)
    import mmap, numpy as np
    fields, langs = data._native_spec(data.FORMATS['codesimpleqa'])
    ids = data._id_spec(data.FORMATS['codesimpleqa'])
    good = b'\n'.join(json.dumps({**GOOD, 'question': f'Q{i}?' + 'x' * i}).encode() for i in range(40)) + b'\n{"broken"\n'
    want = j.extract_lines(good, 0, len(good), fields, langs, ids)
    failures, checked = [], 0
    def expect(what, call, raises=None, equals=None):
        nonlocal checked
        checked += 1
        try: got = call()
        except Exception as e:
            if raises is None or not isinstance(e, raises) or isinstance(e, SystemError) or not str(e):
                failures.append(f'{what}: {type(e).__name__}: {e}')
            return
        if raises is not None: failures.append(f'{what}: no {raises.__name__}, got {str(got)[:200]}')
        elif equals is not None and got != equals: failures.append(f'{what}: {str(got)[:200]} != {str(equals)[:200]}')
    # specs of other shapes: the same answer (the keys live as long as the call, however the sequence made them)
    class Fresh:  # a sequence that makes new items (and new key bytes) each time it is asked
        def __init__(self, items): self.items = items
        def __len__(self): return len(self.items)
        def __getitem__(self, i): return tuple(bytes(bytearray(x)) if isinstance(x, bytes) else x for x in self.items[i])
    class FreshLangs(Fresh):
        def __getitem__(self, i): return bytes(bytearray(self.items[i]))
    lists = [list(f) for f in fields]
    expect('fields as lists', lambda: j.extract_lines(good, 0, len(good), lists, list(langs), ids), equals=want)
    expect('fields from a generator', lambda: j.extract_lines(good, 0, len(good), (f for f in fields), iter(langs), ids), equals=want)
    expect('fields made fresh', lambda: j.extract_lines(good, 0, len(good), Fresh(fields), FreshLangs(langs), ids), equals=want)
    expect('prove_lines, fields made fresh', lambda: j.prove_lines(good, 0, len(good), Fresh(fields), FreshLangs(langs)),
           equals=j.prove_lines(good, 0, len(good), fields, langs))
    expect('codes as a list', lambda: j.extract_lines(good, 0, len(good), fields, langs, (*ids[:3], list(ids[3]), ids[4])), equals=want)
    # buffers of every kind, at any alignment
    for name, make in [('bytearray', lambda: bytearray(good)), ('memoryview at offset 3', lambda: memoryview(b'abc' + good)[3:]),
                       ('numpy', lambda: np.frombuffer(good, np.uint8))]:
        expect(name, lambda: j.extract_lines(make(), 0, len(good), fields, langs, ids), equals=want)
    m = mmap.mmap(-1, len(good)); m[:] = good
    expect('mmap', lambda: j.extract_lines(m, 0, len(good), fields, langs, ids), equals=want)
    def inside():  # the unproved lines' offsets are the buffer's: two more
        n, bad, *rest = j.extract_lines(b'xx' + good, 2, 2 + len(good), fields, langs, ids)
        return (n, [(i, a - 2, b - 2) for i, a, b in bad], *rest)
    expect('a range inside', inside, equals=want)
    empty = j.extract_lines(b'', 0, 0, fields, langs, ids)
    expect('empty', lambda: (empty[0], empty[1], empty[2]), equals=(0, [], b''))
    expect('no fields', lambda: j.extract_lines(b'{}\n{}', 0, 5, (), ())[:3], equals=(2, [], b'\0' * 8 + b'\1' + b'\0' * 7))
    # wrong arguments: a proper exception with a message
    bad_calls = {
        'buffer str': (TypeError, lambda: j.extract_lines('text', 0, 4, fields, langs)),
        'buffer int': (TypeError, lambda: j.prove_lines(5, 0, 1, fields, langs)),
        'end past buffer': (ValueError, lambda: j.extract_lines(good, 0, len(good) + 1, fields, langs)),
        'start after end': (ValueError, lambda: j.prove_lines(good, 5, 4, fields, langs)),
        'negative start': (ValueError, lambda: j.extract_lines(good, -1, 4, fields, langs)),
        'fields int': (TypeError, lambda: j.extract_lines(good, 0, 4, 5, langs)),
        'langs None': (TypeError, lambda: j.prove_lines(good, 0, 4, fields, None)),
        'field of two': (TypeError, lambda: j.extract_lines(good, 0, 4, [(b'q', 0)], langs)),
        'field not a sequence': (TypeError, lambda: j.extract_lines(good, 0, 4, [5], langs)),
        'field key str': (TypeError, lambda: j.prove_lines(good, 0, 4, [('q', 0, False)], langs)),
        'field kind 9': (ValueError, lambda: j.extract_lines(good, 0, 4, [(b'q', 9, False)], langs)),
        'field kind -1': (ValueError, lambda: j.extract_lines(good, 0, 4, [(b'q', -1, False)], langs)),
        'field kind huge': (OverflowError, lambda: j.extract_lines(good, 0, 4, [(b'q', 1 << 70, False)], langs)),
        'lang str': (TypeError, lambda: j.extract_lines(good, 0, 4, fields, ['"en"'])),
        'lang empty': (ValueError, lambda: j.extract_lines(good, 0, len(good), fields, [b''])),
        'lang one quote': (ValueError, lambda: j.extract_lines(good, 0, len(good), fields, [b'"'])),
        'lang unquoted': (ValueError, lambda: j.prove_lines(good, 0, len(good), fields, [b'en'])),
        'lang with escape': (ValueError, lambda: j.prove_lines(good, 0, len(good), fields, [b'"e\\n"'])),
        'ids list': (TypeError, lambda: j.extract_lines(good, 0, 4, fields, langs, list(ids))),
        'ids short': (TypeError, lambda: j.extract_lines(good, 0, 4, fields, langs, ids[:3])),
        'ids index past fields': (ValueError, lambda: j.extract_lines(good, 0, 4, fields, langs, (99, *ids[1:]))),
        'ids given past fields': (ValueError, lambda: j.extract_lines(good, 0, 4, fields, langs, (*ids[:4], 99))),
        'ids wrong kinds': (ValueError, lambda: j.extract_lines(good, 0, 4, fields, langs, (2, *ids[1:]))),
        'codes too few': (ValueError, lambda: j.extract_lines(good, 0, 4, fields, langs, (*ids[:3], ids[3][:1], ids[4]))),
        'codes str': (TypeError, lambda: j.extract_lines(good, 0, 4, fields, langs, (*ids[:3], tuple(c.decode() for c in ids[3]), ids[4]))),
        'codes int': (TypeError, lambda: j.extract_lines(good, 0, 4, fields, langs, (*ids[:3], 5, ids[4]))),
        'sha256 of str': (TypeError, lambda: j.sha256_hex16('text')),
    }
    for what, (exc, call) in bad_calls.items(): expect(what, call, raises=exc)
    # hash_ids: offsets short, odd, out of order, past the data; unaligned ones are fine
    def offsets(*o): return np.array(o, np.int64).tobytes()
    ok = (offsets(0, 2, 4), b'q1q2', offsets(0, 1, 2), b'ab', offsets(0, 2, 4), b'enzh')
    want_ids = j.hash_ids(*ok)
    for what, args in {'empty offsets': (b'', b'', b'', b'', b'', b''), 'offsets of 4 bytes': (b'\0' * 4, b'', b'', b'', b'', b''),
                       'offsets of 12 bytes': (b'\0' * 12, b'', b'', b'', b'', b''),
                       'answer offsets shorter': (ok[0], ok[1], offsets(0, 1), ok[3], ok[4], ok[5]),
                       'offsets going back': (offsets(0, 3, 2), b'q1q2', *ok[2:]),
                       'offsets past the data': (offsets(0, 2, 9), b'q1q2', *ok[2:]),
                       'negative offset': (offsets(-1, 2, 4), b'q1q2', *ok[2:])}.items():
        expect(f'hash_ids {what}', lambda: j.hash_ids(*args), raises=ValueError)
    unaligned = [memoryview(b'x' + b)[1:] for b in ok]
    expect('hash_ids unaligned', lambda: j.hash_ids(*unaligned), equals=want_ids)
    expect('hash_ids no rows', lambda: j.hash_ids(offsets(0), b'', offsets(0), b'', offsets(0), b'')[2], equals=b'')
    expect('hash_ids str', lambda: j.hash_ids('a', *ok[1:]), raises=TypeError)
    expect('hash_ids five arguments', lambda: j.hash_ids(*ok[:5]), raises=TypeError)
    expect('hook not callable', lambda: (j._set_between_passes(5), j.extract_lines(good, 0, 4, fields, langs)), raises=TypeError)
    j._set_between_passes(None)
    return {'failures': failures, 'checked': checked}

def lines_of(rows:list[dict])->bytes: return b''.join(json.dumps(r).encode() + b'\n' for r in rows)

def child_between_passes(so:str):
    import numpy as np
    data, j = load_sanitized(so)
    fmt = data.FORMATS['codesimpleqa']
    fields, langs = data._native_spec(fmt)
    ids = data._id_spec(fmt)
    failures = []
    many = lines_of([{**GOOD, 'question': f'Q{i}?', 'domain': ['D', 'S'], 'answer': 'aé' if i % 2 else 'b'} for i in range(60)])
    few = lines_of([{**GOOD, 'question': 'Q' + ' ' * (len(many) // 4), 'answer': f'{i}'} for i in range(3)])
    few = few[:-1] + b' ' * (len(many) - len(few)) + b'\n'  # the same length: three lines, the last padded
    assert len(few) == len(many) and few.count(b'\n') == 3 and many.count(b'\n') == 60
    for count_sees, scan_sees in [(few, many), (many, few), (many, many[::-1])]:
        buf = bytearray(count_sees)
        def swap(): buf[:] = scan_sees
        j._set_between_passes(swap)
        try: n, bad, proved, cols, hashed = j.extract_lines(buf, 0, len(buf), fields, langs, ids)
        finally: j._set_between_passes(None)
        rows, counted = len(proved) // 8, count_sees.count(b'\n')
        # what the scan of the new bytes alone gives, cut to the rows there was room for
        n2, bad2, proved2, cols2, hashed2 = j.extract_lines(bytes(scan_sees), 0, len(scan_sees), fields, langs, ids)
        want_rows = min(len(proved2) // 8, counted)
        if n != n2: failures.append(f'{counted}->{n2} lines: n_lines {n}')
        if rows != want_rows: failures.append(f'{counted}->{n2} lines: {rows} rows proved, not {want_rows}')
        if rows + len(bad) != n: failures.append(f'{counted}->{n2} lines: {rows} proved + {len(bad)} unproved != {n}')
        if proved != proved2[:8 * rows]: failures.append(f'{counted}->{n2} lines: proved lines differ')
        if [i for i, *_ in bad] != sorted(set(range(n)) - set(np.frombuffer(proved, np.int64).tolist())):
            failures.append(f'{counted}->{n2} lines: the unproved lines are not the rest')
        if rows:  # the values of the rows there was room for are those of the new bytes
            got = data._extracted_frame(fmt, proved, cols, hashed).to_dicts()
            want = data._extracted_frame(fmt, proved2, cols2, hashed2).to_dicts()[:rows]
            if got != want: failures.append(f'{counted}->{n2} lines: values differ')
    return {'failures': failures}

def child_threads(so:str, seconds:str):
    "Buffers changed by another thread while the scan and the hashing run without the GIL."
    import threading, numpy as np
    data, j = load_sanitized(so)
    fmt = data.FORMATS['codesimpleqa']
    fields, langs = data._native_spec(fmt)
    ids = data._id_spec(fmt)
    short = lines_of([{**GOOD, 'question': f'Q{i}', 'answer': 'a'} for i in range(4000)])
    escaped = lines_of([{**GOOD, 'question': 'é\n"\\' * 60 + f'{i}', 'answer': 'b'} for i in range(400)])
    escaped = escaped[:len(short) - 1].ljust(len(short) - 1, b' ') + b'\n'
    noise = bytes(random.Random(1).choice(b'"\\u{}[],: \n0a\xe9') for _ in range(len(short)))
    versions = [short, escaped, noise]
    texts = [f'question {i} ' * (i % 5) for i in range(3000)]
    data_ = ''.join(texts).encode()
    offsets = np.cumsum([0] + [len(t.encode()) for t in texts]).astype(np.int64).tobytes()
    buf, offs, stop, failures, calls = bytearray(short), bytearray(offsets), threading.Event(), [], 0
    def mutate():
        rng = random.Random(2)
        while not stop.is_set():
            r = rng.random()
            if r < 0.4: buf[:] = rng.choice(versions)
            elif r < 0.8:
                for _ in range(200): buf[rng.randrange(len(buf))] = rng.choice(b'"\\u\n{}0a ')
            else:  # an offset goes wild for a moment
                at = rng.randrange(len(offs) // 8) * 8
                offs[at:at + 8] = rng.choice([-5, 1 << 40, len(data_) + 1]).to_bytes(8, 'little', signed=True)
                time.sleep(0)
                offs[:] = offsets
            time.sleep(0)
    t = threading.Thread(target=mutate); t.start()
    deadline = time.monotonic() + float(seconds)
    try:
        while time.monotonic() < deadline:
            n, bad, proved, cols, hashed = j.extract_lines(buf, 0, len(buf), fields, langs, ids)
            rows = len(proved) // 8
            if rows + len(bad) != n: failures.append(f'{rows} proved + {len(bad)} unproved != {n} lines')
            for c in (*cols, hashed):
                off = np.frombuffer(c[1], np.int64)
                room = len(c[2]) // 8 - 1 if c[0] == 'list' else len(c[2])  # a list's rows index its items
                if len(off) != rows + 1 or off[-1] > room: failures.append(f'offsets that do not fit: {len(off)} for {rows} rows')
            n2, bad2 = j.prove_lines(buf, 0, len(buf), fields, langs)
            if len(bad2) > n2: failures.append('prove_lines: more unproved lines than lines')
            try: j.hash_ids(offs, data_, offs, data_, offs, data_)
            except ValueError as e:
                if 'offsets' not in str(e): failures.append(f'hash_ids: {e}')
            calls += 1
    finally:
        stop.set(); t.join()
    return {'failures': failures[:10], 'calls': calls}

def version_rows(k:int)->list[dict]:
    "The rows of version k of the rewritten file: different rows, and a different length, for each version."
    n = [2500, 400, 1300][k % 3]
    return [{**GOOD, 'question': f'V{k % 3} row {i}: ' + 'x' * (i % 37), 'answer': f'{k % 3}-{i}'} for i in range(n)]

def write_version(path:Path, k:int): path.write_bytes(lines_of(version_rows(k)))

def child_writer(parent:str, path:str, seconds:str):
    "Truncate and rewrite `path` with version after version, in two writes (so that a reader can find half a file), while `parent` lives."
    stop, k = time.monotonic() + float(seconds), 0
    while time.monotonic() < stop and os.getppid() == int(parent):  # a reader that crashed leaves no writer behind
        k += 1
        blob = lines_of(version_rows(k))
        with open(path, 'wb') as f:
            f.write(blob[:len(blob) // 2 + 5]); f.flush()
            f.write(blob[len(blob) // 2 + 5:])
    return {'writes': k}

def child_rewrite(so:str, path:str, seconds:str):
    "Load `path` again and again while another process (`child_writer`, without the sanitizer) rewrites it: sort what each load gave."
    data, _ = load_sanitized(so)
    write_version(Path(path), 0)
    env = {k: v for k, v in os.environ.items() if k not in ('LD_PRELOAD', 'PYTHONMALLOC')}
    writer = subprocess.Popen([sys.executable, __file__, 'writer', str(os.getpid()), path, '120'], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try: return read_while_written(data, path, seconds)
    finally:
        writer.kill(); writer.wait()

def read_while_written(data, path:str, seconds:str)->dict:
    "Load `path` for `seconds`: loads that gave one version's whole table, a prefix of one, or an error; and any mix."
    from csqa.schema import InvalidInput
    reference = {}
    for k in range(3):  # each version's table, loaded once from a quiet copy
        quiet = Path(path).with_name(f'v{k}.jsonl'); write_version(quiet, k)
        reference[k] = data.load_questions(quiet, progress=False).drop('source').to_dicts()
    out = {'loads': 0, 'whole': 0, 'prefix': 0, 'errors': 0, 'changed': 0, 'mixed': [], 'unnamed_errors': [], 'writes_seen': 0}
    last, stop = None, time.monotonic() + float(seconds)
    while time.monotonic() < stop:
        out['loads'] += 1
        try: got = data.load_questions(path, progress=False).drop('source').to_dicts()
        except (InvalidInput, OSError) as e:
            out['errors'] += 1
            out['changed'] += 'changed while it was read' in str(e)
            if str(path) not in str(e): out['unnamed_errors'].append(str(e)[:300])
            continue
        k = int(got[0]['question'][1]) if got else None
        if k is None or got != reference[k][:len(got)]:
            out['mixed'].append([r['question'] for r in got[:3]] + ['…'] + [r['question'] for r in got[-3:]])
        elif len(got) == len(reference[k]): out['whole'] += 1
        else: out['prefix'] += 1
        out['writes_seen'] += last is not None and k != last
        last = k
    out['writes_seen'] += out['changed']
    return out

def child_all(so:str, tmp:str, seed:str, seconds:str)->dict:
    "Each check in turn; one that raises gives its traceback, and the others still run."
    import traceback
    checks = {'bad-args': lambda: child_bad_args(so), 'between-passes': lambda: child_between_passes(so),
              'threads': lambda: child_threads(so, 3), 'rewrite': lambda: child_rewrite(so, str(Path(tmp)/'moving.jsonl'), 6),
              'fuzz': lambda: child_fuzz(so, seed, seconds)}
    out = {}
    for name, check in checks.items():
        try: out[name] = check()
        except Exception: out[name] = {'error': traceback.format_exc()}
    return out

CHILDREN = {'all': child_all, 'fuzz': child_fuzz, 'bad-args': child_bad_args, 'between-passes': child_between_passes,
            'threads': child_threads, 'writer': child_writer, 'rewrite': child_rewrite}

if __name__ == '__main__':
    print(json.dumps(CHILDREN[sys.argv[1]](*sys.argv[2:]), ensure_ascii=True))
