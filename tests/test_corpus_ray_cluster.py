"""`csqa corpus build --engine ray` joins a running Ray cluster through `RAY_ADDRESS`: a head node started here with
`ray start --head` on 127.0.0.1 (its own ports, its own temporary folder), stopped by its own process group at the
end. The build's tables equal the local engine's, and the driver's peak memory barely moves when the input grows 4×:
every pair carries a 16 KB URL, so a driver that held the rows would grow by tens of MB (a process that reads the
build's questions does).
`csqa corpus dedup|decontam --engine ray --ray-address` on the same cluster write the local commands' files."""
import json, os, random, re, subprocess, sys
from pathlib import Path
import polars as pl
import pytest
import yaml
from aiohttp import web
from conftest import free_port, serve_chat
from csqa.data import load_questions

REPO = Path(__file__).parents[1]
VOCAB = 'list dict tuple lambda yield import module class method index loop error return async await thread mutex socket'.split()
URL_BYTES, PAIRS_PER_DOC, N_DOCS = 16384, 250, 4   # N documents, then 4N

def fact(f:int)->tuple[str, str]:
    "Question and answer of fact `f`: 40 words drawn from a seed, and one word of `VOCAB`."
    rnd = random.Random(f)
    return ' '.join(rnd.choice(VOCAB) for _ in range(40)) + f' (case {f})?', VOCAB[f % len(VOCAB)]

def doc_pairs(doc:int, bench:list)->list[dict]:
    "What the scripted model reads from document `doc`: facts shared with the next document (exact and near copies), and in document 0 two benchmark items."
    pairs = []
    for k in range(PAIRS_PER_DOC):
        q, a = fact(doc * 200 + k)                         # facts 200·doc … 200·doc + 249 overlap the next document's
        if k % 10 == 0 and doc % 2: q = q.replace(' (case', ' indeed (case')   # a near copy of the even neighbour's fact
        pairs.append({'question': q, 'answer': a, 'domain': 'Programming Languages', 'prog_lang': 'python'})
    return pairs + (bench if doc == 0 else [])

@pytest.fixture
def scripted_llm(codesimpleqa_path):
    "A loopback chat server that answers a synthesis prompt with the pairs of the document number it names."
    bench = [{'question': r['question'], 'answer': r['answer'], 'domain': 'Programming Languages', 'prog_lang': 'others'}
             for r in load_questions(codesimpleqa_path, progress=False).filter(pl.col('lang') == 'en').unique('question', keep='none', maintain_order=True).head(2).iter_rows(named=True)]
    async def chat(request):
        text = (await request.json())['messages'][-1]['content']
        doc = int(re.search(r'DOC (\d+)', text).group(1))
        reply = json.dumps({'pairs': doc_pairs(doc, bench)})
        return web.json_response({'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': reply}, 'finish_reason': 'stop'}],
                                  'usage': {'prompt_tokens': 10, 'completion_tokens': 10}})
    state = {'bench': bench}
    yield from serve_chat(chat, state)

def write_build(root:Path, docs:int, url:str, bench:list, against:Path)->Path:
    "A config and `docs` documents (each naming its number, the answers' words, and a 16 KB URL)."
    root.mkdir(parents=True)
    extra = ' '.join(r['answer'] for r in bench)
    rows = [{'text': f'DOC {d}\nThis page lists facts about {" ".join(VOCAB)} and {extra}. ' + 'It explains each one with care. ' * 8,
             'url': f'https://docs.example/{d}/' + 'p' * URL_BYTES} for d in range(docs)]
    (root/'docs.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in rows))
    cfg = {'sources': [{'path': 'docs.jsonl', 'tier': 'official'}], 'out': 'out', 'against': [str(against)], 'shard_docs': 4,
           'synth': {'verify': False}, 'backend': {'kind': 'openai', 'model': 'scripted', 'base_url': url, 'max_retries': 1}}
    (root/'corpus.yaml').write_text(yaml.safe_dump(cfg))
    return root/'corpus.yaml'

def run_driver(cfg:Path, out:Path, engine:str, env:dict, timeout:float=420)->tuple[dict, int]:
    "`csqa corpus build` in a fresh process: its printed counts and its own peak RSS in KB."
    # VmHWM, the peak of this process's own memory: getrusage's ru_maxrss survives exec, so a child of a pytest worker
    # that has grown to 1.2 GB reports 1.2 GB whatever it does itself (measured: all four builds at 1228 MB)
    code = ('import re, sys; from csqa.cli import main; rc = main(); '
            'print("PEAK_RSS_KB", re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read()).group(1), file=sys.stderr); sys.exit(rc)')
    r = subprocess.run([sys.executable, '-c', code, 'corpus', 'build', '--config', str(cfg), '--out', str(out), '--engine', engine, '--json'],
                       capture_output=True, text=True, timeout=timeout, cwd=REPO, env={**os.environ, 'PYTHONPATH': str(REPO), **env})
    assert r.returncode == 0, r.stderr[-4000:]
    return json.loads(r.stdout), int(re.search(r'PEAK_RSS_KB (\d+)', r.stderr).group(1))

def peak_rss_holding(table:Path)->int:
    "The peak RSS in KB of a fresh process that reads `table` into Python rows: one that holds the rows, by construction."
    # Python rows, each with its own copy of the 16 KB URL (Arrow shares one buffer among a document's pairs)
    code = ('import re, sys, polars as pl; t = pl.read_parquet(sys.argv[1]).rows(); '
            'print(len(t), re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read()).group(1))')
    r = subprocess.run([sys.executable, '-c', code, str(table)], capture_output=True, text=True, timeout=120, check=True)
    return int(r.stdout.split()[1])

def _pgid(pid:int)->int|None:
    try: return os.getpgid(pid)
    except OSError: return None

def _listening(p)->list:
    "The listening TCP sockets of a process (none if it is gone)."
    import psutil
    try: return [c for c in p.net_connections(kind='inet') if c.status == psutil.CONN_LISTEN]
    except psutil.Error: return []

def tables(out:Path)->dict:
    "Every table a build writes, its rows sorted (floats to 9 places: decontamination's `score` is a sum in no fixed order)."
    files = ['questions.parquet', 'sft/part-00000.parquet', 'grpo/part-00000.parquet', *[f'stages/{s}/{k}.parquet' for s in ('dedup', 'decontam') for k in ('kept', 'removed')]]
    return {f: sorted(map(repr, pl.read_parquet(out/f).with_columns(pl.col(pl.Float64).round(9)).rows())) for f in files}

def test_a_build_on_a_running_cluster_equals_the_local_build_and_its_driver_stays_small(tmp_path, ray_cluster, scripted_llm, codesimpleqa_path):
    small = write_build(tmp_path/'n', N_DOCS, scripted_llm['url'], scripted_llm['bench'], codesimpleqa_path)
    big = write_build(tmp_path/'4n', 4 * N_DOCS, scripted_llm['url'], scripted_llm['bench'], codesimpleqa_path)
    on_cluster = ray_cluster['env']
    local, rss_local = run_driver(big, tmp_path/'local', 'local', {})
    _, rss_local_small = run_driver(small, tmp_path/'local-n', 'local', {})
    ray_small, rss_small = run_driver(small, tmp_path/'ray-n', 'ray', on_cluster)
    ray_big, rss_big = run_driver(big, tmp_path/'ray-4n', 'ray', on_cluster)
    # the planted structure is there: exact and near copies, and the two benchmark items
    assert local['dedup']['removed_exact'] > 500 and local['dedup']['removed_near'] > 50, local['dedup']
    assert local['decontam']['removed'] >= 2 and local['synth']['pairs'] == 4 * N_DOCS * PAIRS_PER_DOC + 2
    assert ray_big == local
    assert tables(tmp_path/'ray-4n') == tables(tmp_path/'local')
    # the tasks ran on the cluster started here, and the driver started no Ray of its own
    assert list((ray_cluster['temp']/'session_latest'/'logs').glob('worker-*')), 'no worker of the cluster ran a task'
    import psutil
    group = [p for p in psutil.process_iter() if _pgid(p.pid) == ray_cluster['pid']]
    bound = {c.laddr.ip for p in group for c in _listening(p)}
    assert bound and bound <= {'127.0.0.1', '::ffff:127.0.0.1', '::1'}, bound   # the cluster listens on loopback only
    # memory: 4N holds 3,000 more pairs × 16 KB ≈ 48 MB of rows; a driver that held them would grow by at least that
    extra_kb = 3 * N_DOCS * PAIRS_PER_DOC * URL_BYTES // 1024
    held_small, held_big = peak_rss_holding(tmp_path/'local-n'/'questions.parquet'), peak_rss_holding(tmp_path/'local'/'questions.parquet')
    print(f'driver peak RSS: {rss_small / 1024:.0f} MB at N ({ray_small["synth"]["pairs"]} pairs), '
          f'{rss_big / 1024:.0f} MB at 4N ({ray_big["synth"]["pairs"]} pairs); the extra rows weigh {extra_kb / 1024:.0f} MB; '
          f'the local engine: {rss_local_small / 1024:.0f} MB at N, {rss_local / 1024:.0f} MB at 4N; '
          f'a reader of the questions: {held_small / 1024:.0f} MB at N, {held_big / 1024:.0f} MB at 4N')
    assert rss_big < 1.5 * rss_small
    assert rss_big - rss_small < extra_kb / 4
    # the measure sees rows a process holds: a reader of the built questions grows with them (76 → 117 MB). The local
    # engine was this check until csqa froze its imports out of the cycle collector: with a million fewer objects to
    # weigh, full collections come sooner, and its garbage (cycles holding 16 KB URLs) no longer piles up. Its peak went
    # 332 MB at N → 394 at 4N before; 313-327 → 328-336 in three runs after.
    assert held_big - held_small > extra_kb / 4

def test_dedup_and_decontam_alone_on_the_cluster_write_the_local_files(tmp_path, ray_cluster, codesimpleqa_path):
    "`csqa corpus dedup|decontam --engine ray` with `--ray-address`: the local files and counts; a bad line still exits 1."
    from conftest import run_csqa
    env = {k: v for k, v in ray_cluster['env'].items() if k != 'RAY_ADDRESS'}
    addr = ['--engine', 'ray', '--ray-address', ray_cluster['address']]
    for args in (['dedup', codesimpleqa_path], ['decontam', tmp_path/'q.jsonl', '--against', codesimpleqa_path]):
        if args[0] == 'decontam':   # the benchmark's first 60 rows and 60 made-up ones
            made = [{'question': f'Which flag of tool {i} prints its version?', 'answer': f'--v{i}', 'lang': 'en'} for i in range(60)]
            rows = load_questions(codesimpleqa_path, progress=False).head(60).select('question', 'answer', 'lang').to_dicts()
            (tmp_path/'q.jsonl').write_text(''.join(json.dumps(r, ensure_ascii=False) + '\n' for r in rows + made))
        outs = {}
        for engine, extra in (('local', []), ('ray', addr)):
            r = run_csqa('corpus', *args, '--out', tmp_path/f'{args[0]}-{engine}', '--json', *extra, env=env, timeout=420)
            assert r.returncode == 0, r.stderr[-3000:]
            outs[engine] = json.loads(r.stdout), *(pl.read_parquet(tmp_path/f'{args[0]}-{engine}'/f'{k}.parquet').with_columns(pl.col(pl.Float64).round(9)).rows()
                                                   for k in ('kept', 'removed'))
        assert outs['ray'] == outs['local'], args[0]
        assert outs['ray'][0]['removed'] >= 7 if args[0] == 'dedup' else outs['ray'][0]['removed'] == 60
    (tmp_path/'bad.jsonl').write_text('{"question": "Q?", "answer": "A", "lang": "en"}\n{"question": "Q2?", "lang": "en"}\n')
    r = run_csqa('corpus', 'dedup', tmp_path/'bad.jsonl', '--out', tmp_path/'o', *addr, env=env, timeout=420)
    assert r.returncode == 1 and 'bad.jsonl:2: answer: missing field' in r.stderr, r.stderr[-2000:]
