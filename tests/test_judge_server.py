"""A real judge over HTTP: `transformers serve` with the tiny model. A tiny judge mostly cannot be read: those outputs
must be counted as PARSE_ERROR with their raw text kept, and Chinese items must be sent the Chinese rubric."""
import json
import polars as pl
from csqa.backends import GenParams, OpenAIBackend
from csqa.cache import GenerationCache
from csqa.grades import verdict_counts
from csqa.judge import grade_answers_judge, judge_info, judge_template_hashes, parse_judge
from csqa.schema import Verdict
from conftest import run_csqa

class RecordingBackend(OpenAIBackend):
    "The real OpenAI-compatible backend, keeping every chat it sends."
    sent: list
    async def complete(self, client, messages, params, sample_idx=0):
        self.sent.append(messages[0]['content'])
        return await super().complete(client, messages, params, sample_idx)

def answers_table()->pl.DataFrame:
    return pl.DataFrame({
        'id': ['en1', 'en2', 'zh1', 'zh2', 'none'], 'sample_idx': [0]*5,
        'question': ['Default PostgreSQL port?', 'Heap insert complexity?', '通过键计算存储位置的函数叫什么？',
                     'Python 中定义匿名函数的关键字？', 'Which keyword?'],
        'answer': ['5432', 'O(log n)', '哈希函数（Hash Function）', 'lambda', 'finally'],
        'lang': ['en', 'en', 'zh', 'zh', 'en'],
        'response': ['5432', 'O(n)', '<think>嗯</think>哈希函数', '我不知道', None]})

def test_tiny_judge_over_http(openai_server, tmp_path):
    backend = RecordingBackend(openai_server.model, base_url=openai_server.base_url, concurrency=2, timeout=120)
    backend.sent = []
    params, stats = GenParams(temperature=0, max_tokens=12), {}
    cache = GenerationCache(tmp_path/'cache.sqlite')
    grades = grade_answers_judge(answers_table(), backend, params, cache, stats, desc=None)

    assert len(grades) == 5 and sum(verdict_counts(grades).values()) == 5
    assert grades['grader'].unique().to_list() == [f'judge:{openai_server.model}']
    none = grades.filter(pl.col('id') == 'none').row(0, named=True)
    assert (none['verdict'], none['parse_status']) == ('NOT_ATTEMPTED', 'no_response')
    judged = grades.filter(pl.col('id') != 'none')
    for row in judged.iter_rows(named=True):  # each verdict is exactly what the strict parser reads from the raw text
        assert row['raw'] is not None
        assert (row['verdict'], row['parse_status']) == tuple(map(str, parse_judge(row['raw'])))
    parse_errors = judged.filter(pl.col('verdict') == 'PARSE_ERROR')
    assert (parse_errors['parse_status'] == 'parse_error').all()
    assert verdict_counts(grades)['PARSE_ERROR'] == len(parse_errors)

    assert len(backend.sent) == 4  # the empty response is not sent
    zh, en = [p for p in backend.sent if '标准答案' in p], [p for p in backend.sent if 'Gold target' in p]
    assert len(zh) == 2 and len(en) == 2 and all('Gold target' not in p for p in zh)
    assert any('通过键计算存储位置' in p for p in zh) and not any('<think>' in p for p in backend.sent)

    again = grade_answers_judge(answers_table(), backend, params, cache, stats := {}, desc=None)
    assert stats['hits'] == 4 and stats['misses'] == 0 and len(backend.sent) == 4
    assert again['raw'].to_list() == grades['raw'].to_list()
    info = judge_info(backend, params, grades, stats)
    assert info['template_hashes'] == judge_template_hashes() and info['counts'] == verdict_counts(grades)

def test_csqa_grade_judge_and_cascade_command(openai_server, tmp_path):
    run = tmp_path/'run'; run.mkdir()
    answers_table().write_parquet(run/'answers.parquet')
    common = ['--base-url', openai_server.base_url, '--max-tokens', '8', '--cache', tmp_path/'c.sqlite', '--no-progress']
    for grader in ('rules', f'judge:{openai_server.model}', f'cascade:{openai_server.model}'):
        r = run_csqa('grade', run, '--grader', grader, *common, '--json')
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert summary['rows'] == 5 and sum(summary['counts'].values()) == 5
    grades = pl.read_parquet(run/'grades.parquet')
    assert sorted(grades['grader'].unique()) == ['cascade', 'judge:' + openai_server.model, 'rules']
    manifest = json.loads((run/'manifest.json').read_text())
    judge = manifest['grading']['judge:' + openai_server.model]
    assert judge['template_hashes'] == judge_template_hashes() and 'PARSE_ERROR' in judge['counts']
    assert manifest['grading']['cascade']['threshold'] == 0.8
    assert 'EMPTY' not in (run/'manifest.json').read_text()
