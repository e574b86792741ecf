"""`csqa corpus build` end to end: a scripted generator on loopback (valid JSON) makes the datasets and the card; the
tiny model behind `transformers serve` (mostly unparseable output) is counted, not fatal; a killed build resumes to
the same output; the Ray engine writes what the local engine writes."""
import asyncio, json, os, re, signal, subprocess, sys, threading, time
from pathlib import Path
import polars as pl
import pytest
import yaml
from aiohttp import web
from conftest import serve_chat
from conftest import run_csqa

FILLER = ('This page explains a small part of the language with an example and a short discussion of when to use it. '
          'Readers should try the example in an interpreter and compare the output with the text. ')

@pytest.fixture
def fake_llm():
    "A loopback chat-completions server that answers synthesis prompts from the FACT lines of the document, and says yes to verification unless the answer says 'unsupported'."
    state = {'posts': 0, 'delay': 0.0, 'calls': []}
    async def chat(request):
        state['posts'] += 1
        body = await request.json()
        text = body['messages'][-1]['content']
        state['calls'].append((body.get('model'), 'Proposed answer' in text or '候选答案' in text))
        if state['delay']: await asyncio.sleep(state['delay'])
        if m := re.search(r'(?:Proposed answer|候选答案)[:：](.*)', text):
            reply = json.dumps({'supported': 'unsupported' not in m.group(1), 'undisputed': True})
        elif 'FAIL500' in text: return web.Response(status=500, text='overloaded')
        elif 'GARBAGE' in text: reply = 'Sure! Here are some questions: 1. What is Python?'
        else:
            facts = [l.split('||') for l in text.splitlines() if l.startswith('FACT:')]
            reply = 'Here you go:\n```json\n' + json.dumps({'pairs': [
                {'question': f[0][5:].strip(), 'answer': f[1].strip(), 'domain': f[2].strip(), 'subdomain': '', 'prog_lang': f[3].strip()}
                for f in facts]}, ensure_ascii=False) + '\n```'
        return web.json_response({'choices': [{'index': 0, 'message': {'role': 'assistant', 'content': reply}, 'finish_reason': 'stop'}],
                                  'usage': {'prompt_tokens': 10, 'completion_tokens': 10}})
    yield from serve_chat(chat, state)

def make_documents(root:Path, bench_q:str, bench_a:str)->list[dict]:
    "A small corpus: official Markdown and HTML pages, a blog copy of one fact, Q&A records (one planting a benchmark item), Chinese, junk."
    (root/'official').mkdir(parents=True); (root/'blog').mkdir()
    (root/'official'/'len.md').write_text(f'# len\n{FILLER}\nFACT: Which built-in function returns the number of items in a Python list? || len || Programming Languages || python\n'
                                          f'FACT: Which keyword turns a Python function into a generator? || yield || Programming Languages || python\n```python\nlen([1, 2])\n```\n')
    (root/'official'/'sql.html').write_text(f'<html><nav>Home | Docs</nav><h1>HAVING</h1><p>{FILLER}</p>\n<p>\nFACT: Which SQL clause filters groups after aggregation? || HAVING || Databases || sql\n</p>'
                                            f'<pre>SELECT a FROM t GROUP BY a HAVING COUNT(*) > 1</pre><script>track()</script></html>')
    (root/'official'/'short.txt').write_text('Too short to use.')
    (root/'blog'/'len-again.md').write_text(f'{FILLER}\nFACT: Which built-in function returns the number of items in a Python list ? || len() || Programming Languages || python\n')
    qa = [{'text': f'{FILLER}\nFACT: {bench_q} || {bench_a} || Software Engineering || others\nFACT: Which Git command records staged changes? || git commit || Software Engineering || others',
           'url': 'https://qa.example/1'},
          {'text': f'{FILLER}\nFACT: Which HTTP status code means Not Found? || 404 unsupported || Web Technologies || others', 'url': 'https://qa.example/2'},
          {'text': f'{FILLER}\nGARBAGE page', 'url': 'https://qa.example/3'},
          {'text': '在Python中，生成器函数使用yield关键字返回值。' * 8 + '\nFACT: 在Python中，哪个关键字用于定义生成器函数？ || yield || Programming Languages || python',
           'url': 'https://qa.example/4'}]
    (root/'qa.jsonl').write_text(''.join(json.dumps(r, ensure_ascii=False) + '\n' for r in qa))
    return [{'path': 'docs/official', 'tier': 'official', 'url_prefix': 'https://docs.example/'},
            {'path': 'docs/blog', 'tier': 'blog'}, {'path': 'docs/qa.jsonl', 'tier': 'qa'}]

def write_config(tmp:Path, bench:Path, url:str, model:str='fake', out:str='out', **extra)->Path:
    "A config for the documents in `tmp/docs` (made on first use) writing to `tmp/out`."
    b = pl.read_ndjson(bench).row(0, named=True)
    sources = make_documents(tmp/'docs', b['question'], b['answer']) if not (tmp/'docs').exists() else yaml.safe_load((tmp/'corpus.yaml').read_text())['sources']
    cfg = {'sources': sources, 'out': out, 'against': [str(bench)], 'shard_docs': 2,
           'backend': {'kind': 'openai', 'model': model, 'base_url': url, 'max_retries': 1, 'retry_base_s': 0.05}, **extra}
    (tmp/'corpus.yaml').write_text(yaml.safe_dump(cfg, allow_unicode=True))
    (tmp/f'{out}.yaml').write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return tmp/f'{out}.yaml'

def snapshot(out:Path)->dict:
    "The content of every output table (and the card), to compare builds."
    files = ['questions.parquet', 'stages/dedup/removed.parquet', 'stages/decontam/removed.parquet', 'sft/part-00000.parquet', 'grpo/part-00000.parquet']
    snap = {f: pl.read_parquet(out/f).rows() for f in files}
    snap['clean'] = [pl.read_parquet(p).rows() for p in sorted((out/'stages'/'clean').glob('part-*.parquet'))]
    snap['card'] = (out/'README.md').read_text()
    return snap

def test_build_with_a_scripted_generator_makes_the_datasets(tmp_path, fake_llm, codesimpleqa_path):
    cfg = write_config(tmp_path, codesimpleqa_path, fake_llm['url'])
    r = run_csqa('corpus', 'build', '--config', cfg, '--json')
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    out = tmp_path/'out'
    assert stats['ingest']['docs'] == 8 and stats['clean']['rejected_too_short'] == 1
    assert stats['synth']['bad_replies'] == 1 and stats['synth']['rejected_by_verifier'] == 1   # counted, not fatal
    assert stats['dedup'].get('removed_exact', 0) + stats['dedup'].get('removed_near', 0) == 1   # `len()` / `len`: near, answers agree
    assert stats['decontam']['removed'] == 1
    dedup_removed = pl.read_parquet(out/'stages'/'dedup'/'removed.parquet')
    assert dedup_removed['url'].to_list() == [str(tmp_path/'docs'/'blog'/'len-again.md')]  # the official page survives
    from csqa.data import load_questions
    q = load_questions(out/'questions.parquet')
    assert sorted(q['answer']) == ['HAVING', 'git commit', 'len', 'yield', 'yield']
    assert sorted(q['lang']) == ['en'] * 4 + ['zh']
    assert set(q['domain']) == {'Programming Languages', 'Databases', 'Software Engineering'}
    import datasets
    sft = datasets.load_dataset('parquet', data_dir=str(out/'sft'), split='train')
    assert len(sft) == 5 and sft[0]['messages'][1]['role'] == 'assistant'
    grpo = datasets.load_dataset('parquet', data_dir=str(out/'grpo'), split='train')
    assert set(grpo.column_names) >= {'prompt', 'answer', 'lang'}
    card = (out/'README.md').read_text()
    assert '5 question–answer pairs' in card and '| python |' in card and (out/'charts.html').exists()
    posts = fake_llm['posts']
    r2 = run_csqa('corpus', 'build', '--config', cfg, '--json')   # everything done: no call at all
    assert r2.returncode == 0 and json.loads(r2.stdout) == stats and fake_llm['posts'] == posts
    # `csqa train sft` takes the question table, with its contamination check against the benchmark switched on
    train = yaml.safe_load((Path(__file__).parents[1]/'configs'/'sft-tiny.yaml').read_text())
    train.pop('evaluation', None)
    train.update(data=str(out/'questions.parquet'), benchmark=[str(codesimpleqa_path)])
    train['trainer'].update(output_dir=str(tmp_path/'sft'), max_steps=2, save_steps=2, logging_steps=1)
    (tmp_path/'sft.yaml').write_text(yaml.safe_dump(train))
    r3 = run_csqa('train', 'sft', '--config', tmp_path/'sft.yaml', env={'HF_HUB_OFFLINE': '1', 'CSQA_HOME': str(tmp_path/'home'),
                                                                      'HF_HOME': str(tmp_path/'hf'), 'OMP_NUM_THREADS': '1'})
    assert r3.returncode == 0, r3.stderr[-2000:]
    assert '2 steps' in r3.stdout + r3.stderr

def test_a_second_model_verifies_grounded_pairs(tmp_path, fake_llm, codesimpleqa_path):
    "The `verifier` key sends every verification call to another model; the pairs carry how far their document supports them."
    cfg = write_config(tmp_path, codesimpleqa_path, fake_llm['url'], verifier={'kind': 'openai', 'model': 'judge', 'base_url': fake_llm['url']})
    r = run_csqa('corpus', 'build', '--config', cfg, '--json')
    assert r.returncode == 0, r.stderr
    asked = {(m, v) for m, v in fake_llm['calls']}
    assert asked == {('fake', False), ('judge', True)}, asked
    synth = pl.concat([pl.read_parquet(p) for p in sorted((tmp_path/'out'/'stages'/'synth').glob('part-*.parquet'))])
    assert synth['support'].min() >= 0.5 and (synth['support'] == 1.0).all()   # every FACT answer is in its page

def test_a_changed_setting_recomputes_its_stage_and_the_later_ones(tmp_path, fake_llm, codesimpleqa_path):
    cfg = write_config(tmp_path, codesimpleqa_path, fake_llm['url'])
    assert run_csqa('corpus', 'build', '--config', cfg).returncode == 0
    stages = tmp_path/'out'/'stages'
    made = lambda: {p.relative_to(stages).as_posix(): p.stat().st_mtime_ns for p in stages.rglob('*.parquet')}
    before, posts = made(), fake_llm['posts']
    write_config(tmp_path, codesimpleqa_path, fake_llm['url'], dedup={'threshold': 0.8})
    r = run_csqa('corpus', 'build', '--config', cfg, '--json')
    assert r.returncode == 0, r.stderr
    assert 'recomputing dedup, decontam; reusing docs, clean, synth' in r.stderr, r.stderr
    after = made()
    redone = sorted({k.split('/')[0] for k in before if after.get(k) != before[k]})
    assert redone == ['decontam', 'dedup'] and fake_llm['posts'] == posts
    assert json.loads((stages/'dedup'/'_KEY.json').read_text())['key'] != ''
    r = run_csqa('corpus', 'build', '--config', cfg)   # nothing changed since: nothing recomputed, nothing said
    assert r.returncode == 0 and 'recomputing' not in r.stderr and made() == after

def test_bad_config_is_a_usage_error(tmp_path):
    (tmp_path/'c.yaml').write_text('sources: [x]\nout: o\nbackend: {kind: openai, model: m}\nshard_dcos: 3\n')
    r = run_csqa('corpus', 'build', '--config', tmp_path/'c.yaml')
    assert r.returncode == 2 and 'unknown key(s) shard_dcos' in r.stderr
    (tmp_path/'d.yaml').write_text('sources: [{path: nowhere}]\nout: o\nbackend: {kind: openai, model: m, base_url: "http://127.0.0.1:9/v1"}\n')
    r = run_csqa('corpus', 'build', '--config', tmp_path/'d.yaml')
    assert r.returncode == 2 and 'no such file or folder' in r.stderr

def test_failed_model_calls_leave_the_shard_pending(tmp_path, fake_llm, codesimpleqa_path):
    cfg = write_config(tmp_path, codesimpleqa_path, fake_llm['url'])
    with (tmp_path/'docs'/'qa.jsonl').open('a') as f: f.write(json.dumps({'text': FILLER + ' FAIL500', 'url': 'https://qa.example/5'}) + '\n')
    r = run_csqa('corpus', 'build', '--config', cfg)
    assert r.returncode == 2 and '1 shard(s) not synthesized because model calls failed' in r.stderr
    synth = tmp_path/'out'/'stages'/'synth'
    assert len(list(synth.glob('part-*.parquet'))) == 4 and not (tmp_path/'out'/'questions.parquet').exists()
    r = run_csqa('corpus', 'build', '--config', write_config(tmp_path, codesimpleqa_path, 'http://127.0.0.1:9/v1'))
    assert r.returncode == 2 and 'cannot reach the server' in r.stderr

def test_killed_build_resumes_to_the_same_output(tmp_path, fake_llm, codesimpleqa_path):
    whole, killed = tmp_path/'whole', tmp_path/'killed'
    assert run_csqa('corpus', 'build', '--config', write_config(tmp_path, codesimpleqa_path, fake_llm['url'], out='whole', shard_docs=1)).returncode == 0
    cfg = write_config(tmp_path, codesimpleqa_path, fake_llm['url'], out='killed', shard_docs=1)
    fake_llm['delay'] = 0.4
    env = {**os.environ, 'PYTHONPATH': str(Path(__file__).parents[1])}
    p = subprocess.Popen([sys.executable, '-c', 'import sys; from csqa.cli import main; sys.exit(main())', 'corpus', 'build', '--config', str(cfg)], env=env,
                         stdout=subprocess.DEVNULL, stderr=open(tmp_path/'killed.log', 'w'))
    synth = killed/'stages'/'synth'
    deadline = time.time() + 120
    while len(list(synth.glob('part-*.parquet'))) < 2 and time.time() < deadline and p.poll() is None: time.sleep(0.05)
    assert p.poll() is None, (p.returncode, (tmp_path/'killed.log').read_text(), list(synth.glob('*')))
    os.kill(p.pid, signal.SIGKILL); p.wait()
    done = len(list(synth.glob('part-*.parquet')))
    assert 2 <= done < 7, done   # killed mid-stage: some shards committed, others not
    assert not (killed/'questions.parquet').exists()
    fake_llm['delay'] = 0.0
    r = run_csqa('corpus', 'build', '--config', cfg)
    assert r.returncode == 0, r.stderr
    assert snapshot(killed) == snapshot(whole)

def test_ray_engine_gives_the_local_output(tmp_path, fake_llm, codesimpleqa_path, ray_cluster):
    "The ray engine on the session's cluster (the other way, a Ray the build starts itself, is `ray_session`'s, run in notebook 46)."
    from csqa.corpus.build import build, load_corpus_config
    build(load_corpus_config(write_config(tmp_path, codesimpleqa_path, fake_llm['url'], out='local')), engine='local')
    build(load_corpus_config(write_config(tmp_path, codesimpleqa_path, fake_llm['url'], out='ray')), engine='ray', ray_address=ray_cluster['address'])
    import ray
    assert not ray.is_initialized()   # the build left the cluster it joined
    assert snapshot(tmp_path/'ray') == snapshot(tmp_path/'local')

def test_tiny_model_output_is_counted_not_fatal(tmp_path, openai_server, codesimpleqa_path):
    cfg = write_config(tmp_path, codesimpleqa_path, openai_server.base_url, model=openai_server.model,
                       synth={'max_tokens': 24, 'pairs_per_doc': 1, 'max_doc_chars': 300})
    r = run_csqa('corpus', 'build', '--config', cfg, '--json')
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)['synth']
    assert s['replies'] == 7 and s['failed_calls'] == 0      # every cleaned document got a reply from the real server
    assert s['bad_replies'] >= 5                              # the tiny model writes no usable JSON: counted
    assert (tmp_path/'out'/'questions.parquet').exists() and (tmp_path/'out'/'README.md').exists()
