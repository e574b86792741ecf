"""Decontamination of rewrites and translations: the developers' hand-written set against the real CodeSimpleQA file
(recall per kind, false removals on same-topic controls), adversarial candidates built from parts against a made-up
benchmark (hypothesis), and the plumbing of the optional embedding stage on a tiny encoder built here."""
import json
from pathlib import Path
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from conftest import run_csqa
from csqa.data import load_questions
from csqa.corpus.decontam import BenchmarkIndex, DecontamConfig, answer_pairs, decontaminate, embed_texts
from csqa.corpus.text import code_normalized
from csqa.schema import UsageError

SET = Path(__file__).parent/'data'/'decontam_rewrites.jsonl'
CONTAMINATED = ('rewrite_en', 'rewrite_zh', 'translation_en_zh', 'translation_zh_en', 'light_edit')

@pytest.fixture
def codesimpleqa_bench(codesimpleqa_path)->pl.DataFrame: return load_questions(codesimpleqa_path, progress=False)

def test_the_set_is_bilingual_and_covers_every_kind():
    s = pl.read_ndjson(SET)
    counts = dict(s.group_by('kind').len().iter_rows())
    assert {k: counts.get(k, 0) >= 24 for k in ('rewrite_en', 'rewrite_zh', 'translation_en_zh', 'translation_zh_en')} == dict.fromkeys(
        ('rewrite_en', 'rewrite_zh', 'translation_en_zh', 'translation_zh_en'), True)
    assert counts['control'] >= 40 and counts['control_same_answer'] >= 30 and s['bench_id'].n_unique() >= 40 and s['id'].is_unique().all()
    assert set(s.filter(pl.col('kind') == 'control')['lang']) == {'en', 'zh'}

def test_the_set_holds_ids_but_no_benchmark_text(codesimpleqa_bench):
    "Every row names a real item and none is a copy of a benchmark question (the file must not carry the benchmark)."
    s = pl.read_ndjson(SET)
    assert s['bench_id'].is_in(codesimpleqa_bench['id'].implode()).all()
    assert not code_normalized(s['question']).is_in(code_normalized(codesimpleqa_bench['question']).implode()).any()

def _light_edits(bench:pl.DataFrame, ids:pl.Series)->pl.DataFrame:
    "The light edits the n-gram stage catches (tests/test_corpus_quality.py), made of the same items."
    import random
    from test_corpus_quality import paraphrase
    rnd, picked = random.Random(0), bench.filter(pl.col('id').is_in(ids.unique().implode()))
    return picked.select(pl.lit('light_edit').alias('kind'), pl.col('id').alias('bench_id'), 'lang',
                         pl.Series([paraphrase(q, l, rnd) for q, l in zip(picked['question'], picked['lang'])]).alias('question'), 'answer')

def removed_by_kind(cases:pl.DataFrame, index:BenchmarkIndex)->tuple[dict, object]:
    "Share of each kind removed: any removal for controls; for the rest, against the item or a repeat of it (same answer)."
    res = decontaminate(cases, index)
    key = index.items.select('id', 'answer_key')
    got = res.removed.select('id', 'match_id', 'reason').join(key.rename({'id': 'match_id', 'answer_key': 'match_key'}), on='match_id')
    r = cases.join(got, on='id', how='left').join(key.rename({'id': 'bench_id'}), on='bench_id', how='left')
    right = (pl.col('match_id') == pl.col('bench_id')) | (pl.col('match_key') == pl.col('answer_key'))
    r = r.with_columns(pl.when(pl.col('kind').str.starts_with('control')).then(pl.col('match_id').is_not_null()).otherwise(right).fill_null(False).alias('removed'))
    return dict(r.group_by('kind').agg(pl.col('removed').mean()).iter_rows()), res

def test_rewrites_and_translations_are_removed_and_controls_kept(codesimpleqa_bench):
    s = pl.read_ndjson(SET)
    cases = pl.concat([s.drop('id'), _light_edits(codesimpleqa_bench, s.filter(pl.col('kind') != 'control_same_answer')['bench_id'])], how='vertical_relaxed').with_columns(
        pl.format('c{}', pl.int_range(pl.len())).alias('id'))
    share, res = removed_by_kind(cases, BenchmarkIndex.build(codesimpleqa_bench))
    assert all(share[k] >= 0.8 for k in CONTAMINATED), share
    assert share['light_edit'] == 1.0 and share['control'] <= 0.05, share
    # same (common) answer, another fact: "hash function", 755, namespaces, a number (issue #19's false positives)
    assert share['control_same_answer'] <= 0.05, share
    assert set(res.removed['reason']) <= {'ngram', 'answer_anchor'}
    # the light edits are still the n-gram stage's, as before the answer anchors existed
    assert set(res.removed.filter(pl.col('kind') == 'light_edit')['reason']) == {'ngram'}
    # without the answer anchors almost none of the rewrites and translations go (the finding)
    before, _ = removed_by_kind(cases, BenchmarkIndex.build(codesimpleqa_bench, DecontamConfig(anchor=False)))
    assert max(before[k] for k in ('rewrite_en', 'translation_en_zh', 'translation_zh_en')) <= 0.1, before
    assert before['light_edit'] == 1.0

def test_the_benchmark_against_itself_anchors_each_item_and_few_others(codesimpleqa_bench):
    "Nearly every item with a non-trivial answer anchors to itself; few distinct items anchor to each other (the benchmark's own repeats)."
    b = codesimpleqa_bench
    index = BenchmarkIndex.build(b)
    p = answer_pairs(b, index).filter('hit')
    # all but a few: a common answer ("Java", "Exceptions") under a question with no identifier has nothing to anchor on
    assert p.filter(pl.col('row') == pl.col('item')).height >= 0.99 * index.items.filter(pl.col('answer_class') != 'trivial').height
    other = p.filter(pl.col('row') != pl.col('item')).join(b.with_row_index('row').select(pl.col('row').cast(pl.Int64), pl.col('question').alias('q1')), on='row').join(
        b.with_row_index('item').select(pl.col('item').cast(pl.Int64), pl.col('question').alias('q2')), on='item').filter(pl.col('q1') != pl.col('q2'))
    assert other['row'].n_unique() < 0.03 * len(b), other.height

# --- adversarial candidates built from parts, against a made-up benchmark --------------------------------------------

FILLER = [(f'In Filler{i}Kit, which function of the Widget{i} module returns the current value?', f'getValue{i}()') for i in range(30)]
camel = st.from_regex(r'[A-Z][a-z]{3,6}[A-Z][a-z]{2,5}', fullmatch=True)
code_answer = st.builds(lambda a, b, s: f'{a}{s}{b}', st.from_regex(r'[a-z]{3,6}', fullmatch=True),
                        st.from_regex(r'[A-Z][a-z]{2,6}', fullmatch=True), st.sampled_from(['.', '::', '_', '->']))

def _bench(prod:str, cls:str, answer:str)->pl.DataFrame:
    q = [f'In {prod}, which method of {cls} returns the checksum of a packet?'] + [q for q, _ in FILLER]
    return pl.DataFrame({'id': ['target'] + [f'f{i}' for i in range(len(FILLER))], 'question': q, 'answer': [answer] + [a for _, a in FILLER]})

def _zh(prod:str, cls:str, answer:str)->pl.DataFrame:
    "The target item translated into Chinese: only the names, numbers and code survive."
    return pl.DataFrame({'id': ['cand'], 'question': [f'在{prod}中，{cls}的哪个方法返回数据包的校验和？'], 'answer': [answer]})

def _outcome(bench:pl.DataFrame, cand:pl.DataFrame)->tuple:
    res = decontaminate(cand, BenchmarkIndex.build(bench))
    return (res.removed['reason'][0], res.removed['match_id'][0]) if len(res.removed) else None

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

@SETTINGS
@given(prod=camel, cls=camel, answer=code_answer)
def test_a_translation_with_the_same_names_and_answer_is_removed(prod, cls, answer):
    assume(prod.lower() != cls.lower())
    assert _outcome(_bench(prod, cls, answer), _zh(prod, cls, answer)) == ('answer_anchor', 'target')

@SETTINGS
@given(prod=camel, cls=camel, answer=code_answer, other=code_answer)
def test_the_same_names_with_another_answer_are_kept(prod, cls, answer, other):
    assume(prod.lower() != cls.lower() and code_normalized(pl.Series([answer, other])).n_unique() == 2)
    assume(other.lower() not in answer.lower() and answer.lower() not in other.lower())
    assert _outcome(_bench(prod, cls, answer), _zh(prod, cls, other)) is None

@SETTINGS
@given(prod=camel, cls=camel, answer=st.sampled_from(['Yes', 'no', 'True', 'false', 'None', '是', '否', '不能', '正确']))
def test_a_trivial_answer_never_anchors(prod, cls, answer):
    assume(prod.lower() != cls.lower())
    assert _outcome(_bench(prod, cls, answer), _zh(prod, cls, answer)) is None

@SETTINGS
@given(prod=camel, cls=camel, fresh=camel, fresh2=camel, answer=code_answer)
def test_the_same_answer_without_the_items_names_is_kept(prod, cls, fresh, fresh2, answer):
    assume(len({prod.lower(), cls.lower(), fresh.lower(), fresh2.lower()}) == 4)
    assert _outcome(_bench(prod, cls, answer), _zh(fresh, fresh2, answer)) is None

COMMON = ['755', 'topics', 'namespaces', 'hash function', 'fork', 'alt', 'cross-site scripting']

@SETTINGS
@given(prod=camel, cls=camel, answer=st.sampled_from(COMMON))
def test_a_short_answer_inside_a_long_item_answer_is_no_match(prod, cls, answer):
    "Containment is directional: the candidate's answer must hold the item's, not sit inside it (even with the item's names)."
    assume(prod.lower() != cls.lower())
    long = f'The {cls} writes the {answer} of each session to a journal before it shuts down'
    assert _outcome(_bench(prod, cls, long), _zh(prod, cls, answer)) is None
    assert _outcome(_bench(prod, cls, answer), _zh(prod, cls, long)) == ('answer_anchor', 'target')   # the other way round: a match

@SETTINGS
@given(prod=camel, word=st.sampled_from(['permission', 'checksum', 'subscribers', 'isolation', 'integrity']), answer=st.sampled_from(COMMON))
def test_a_common_answer_with_one_shared_plain_word_is_kept(prod, word, answer):
    "Same common answer, another fact: a rare plain word shared with the item is wording, not an identifier."
    bench = pl.DataFrame({'id': ['target'] + [f'f{i}' for i in range(len(FILLER))],
                          'question': [f'In {prod}, what is the minimum {word} a network user needs to save scanned documents?'] + [q for q, _ in FILLER],
                          'answer': [answer] + [a for _, a in FILLER]})
    cand = pl.DataFrame({'id': ['cand'], 'question': [f'Which value of the {word} string corresponds to rwxr-xr-x?'], 'answer': [answer]})
    assert _outcome(bench, cand) is None

PLAIN_ZH = '在数据预处理中，用于将不同服务中的事件与响应自动化集成的工具是什么？'
PLAIN_EN = 'In data preprocessing, which tool automatically integrates events from different services with responses?'

def _plain(question:str, answer:str)->pl.DataFrame:
    "A benchmark whose target question holds no rare name (plain words only, in either script)."
    return pl.DataFrame({'id': ['target'] + [f'f{i}' for i in range(len(FILLER))], 'question': [question] + [q for q, _ in FILLER],
                         'answer': [answer] + [a for _, a in FILLER]})

rare = st.from_regex(r'[A-Z][a-z]{5,9}', fullmatch=True)

@SETTINGS
@given(name=rare, term=st.from_regex(r'[a-z]{6,10}', fullmatch=True), gloss=st.booleans())
def test_a_translation_with_nothing_to_share_is_found_by_its_whole_rare_answer(name, term, gloss):
    "ZH→EN or EN→ZH: no name can be shared, so the whole rare answer (or the English answer equal to the item's gloss) decides."
    assume(name.lower() != term)
    answer = f'{name} {term}'
    item = f'自动集成工具（{answer}）' if gloss else answer
    assert _outcome(_plain(PLAIN_ZH, item), pl.DataFrame({'id': ['cand'], 'question': [PLAIN_EN], 'answer': [answer]})) == ('answer_anchor', 'target')
    assert _outcome(_plain(PLAIN_EN, answer), pl.DataFrame({'id': ['cand'], 'question': [PLAIN_ZH], 'answer': [answer]})) == ('answer_anchor', 'target')

@SETTINGS
@given(name=rare, common=st.sampled_from(['function', 'current value', 'module']))
def test_a_translation_with_nothing_to_share_and_a_common_or_partial_answer_is_kept(name, common):
    "A common answer word (held by many items), or a row answer that is more than the item's, is no evidence on its own."
    cand = lambda q, a: pl.DataFrame({'id': ['cand'], 'question': [q], 'answer': [a]})
    assert _outcome(_plain(PLAIN_ZH, f'集成函数（{name} {common}）'), cand(PLAIN_EN, f'{name} {common}')) is None
    assert _outcome(_plain(PLAIN_EN, name), cand(PLAIN_ZH, f'立方体（{name}）')) is None   # "Cube" in Blender is not SQL's CUBE

@SETTINGS
@given(prod=camel, cls=camel, stem=st.from_regex(r'[A-Za-z]{1,4}', fullmatch=True),
       pair=st.sampled_from([('++', '#'), ('++', ''), ('==', '!='), ('<=', '<'), ('&&', '||'), ('::', '.')]))
def test_answers_that_differ_in_a_code_symbol_do_not_agree(prod, cls, stem, pair):
    assume(prod.lower() != cls.lower())
    a, b = (f'{stem}{pair[0]}x', f'{stem}{pair[1]}x') if pair[0] in ('==', '<=', '&&', '::') else (f'{stem}{pair[0]}', f'{stem}{pair[1]}')
    assert _outcome(_bench(prod, cls, a), _zh(prod, cls, b)) is None

@SETTINGS
@given(prod=camel, cls=camel, answer=st.sampled_from(['0', '1', '7', '10', '42']))
def test_a_tiny_number_needs_two_shared_names(prod, cls, answer):
    assume(prod.lower() != cls.lower())
    bench = _bench(prod, cls, answer)
    assert _outcome(bench, _zh(prod, cls, answer)) == ('answer_anchor', 'target')   # both names: strong enough
    one = pl.DataFrame({'id': ['cand'], 'question': [f'在{prod}中，哪个参数的默认值是多少？'], 'answer': [answer]})
    assert _outcome(bench, one) is None                                              # one name: not enough

# --- the embedding stage, on a tiny encoder built here (plumbing only: shapes, reasons, threshold semantics) ---------

@pytest.fixture(scope='module')
def tiny_encoder(tmp_path_factory)->Path:
    "A 1-layer BERT with a WordPiece tokenizer trained on a few lines, saved as a Hugging Face folder."
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
    import torch
    lines = [q for q, _ in FILLER] + ['在Python中，哪个函数返回列表的长度？', 'Which Python function returns the length of a list?',
                                      'In Git, which command records changes?', 'What is the default port of PostgreSQL?'] * 3
    wp = Tokenizer(models.WordPiece(unk_token='[UNK]'))
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    wp.train_from_iterator(lines, trainers.WordPieceTrainer(vocab_size=400, special_tokens=special, show_progress=False))
    tok = PreTrainedTokenizerFast(tokenizer_object=wp, unk_token='[UNK]', pad_token='[PAD]', cls_token='[CLS]', sep_token='[SEP]', mask_token='[MASK]')
    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                 intermediate_size=64, max_position_embeddings=128))
    out = tmp_path_factory.mktemp('encoder')/'tiny-bert'
    model.save_pretrained(out); tok.save_pretrained(out)
    return out

EMB_BENCH = pl.DataFrame({'id': ['e1', 'e2', 'e3'], 'question': [
    'Which Python function returns the length of a list?', 'In Git, which command records changes?', 'What is the default port of PostgreSQL?'],
    'answer': ['len', 'git commit', '5432']})
EMB_ROWS = pl.DataFrame({'id': ['r1', 'r2', 'r3', 'r4'], 'question': [
    '在Python中，哪个函数返回列表的长度？', 'Filler3Kit Widget3 current value', 'records changes command Git which', 'PostgreSQL port default'],
    'answer': ['len', 'getValue3()', 'git add', '5433']})

def test_embeddings_are_normalised_rows_and_a_text_matches_itself(tiny_encoder, monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    e = embed_texts(EMB_BENCH['question'].to_list() * 2, tiny_encoder, batch=2)
    assert e.shape == (6, 32) and e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5) and np.allclose(e[:3], e[3:], atol=1e-5)
    assert embed_texts([], tiny_encoder).shape == (0, 32)
    with pytest.raises(UsageError, match='not a folder'): embed_texts(['x'], tiny_encoder/'missing')

def _cosines(tiny_encoder)->np.ndarray:
    return embed_texts(EMB_ROWS['question'].to_list(), tiny_encoder) @ embed_texts(EMB_BENCH['question'].to_list(), tiny_encoder).T

def test_the_embedding_stage_removes_exactly_the_rows_at_or_above_the_threshold(tiny_encoder, monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    sims = _cosines(tiny_encoder)
    best = sims.max(1)
    thr = float(np.sort(best)[1])            # at least three of the four rows reach it
    cfg = DecontamConfig(anchor=False, embed_model=str(tiny_encoder), embed_threshold=thr)
    index = BenchmarkIndex.build(EMB_BENCH, cfg)
    assert index.embeddings.shape == (3, 32)
    res = decontaminate(EMB_ROWS, index)
    emb = res.removed.filter(pl.col('reason') == 'embedding')
    expect = {EMB_ROWS['id'][int(i)] for i in np.flatnonzero(best >= thr)} - set(res.removed.filter(pl.col('reason') != 'embedding')['id'])
    assert set(emb['id']) == expect and len(expect) >= 1
    for r in emb.iter_rows(named=True):
        i = EMB_ROWS['id'].to_list().index(r['id'])
        assert r['rule'] == 'embedding' and r['match_id'] == EMB_BENCH['id'][int(sims[i].argmax())]
        assert abs(r['score'] - best[i]) < 1e-4
    above = DecontamConfig(anchor=False, embed_model=str(tiny_encoder), embed_threshold=min(1.0, float(best.max()) + 1e-3))
    assert decontaminate(EMB_ROWS, BenchmarkIndex.build(EMB_BENCH, above)).removed.filter(pl.col('reason') == 'embedding').is_empty()

def test_with_needs_answer_only_rows_whose_answers_agree_are_removed(tiny_encoder, monkeypatch):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    cfg = DecontamConfig(anchor=False, embed_model=str(tiny_encoder), embed_threshold=-1.0, embed_needs_answer=True)
    res = decontaminate(EMB_ROWS, BenchmarkIndex.build(EMB_BENCH, cfg))
    # every question is "similar" at -1; only r1 ("len") agrees with an answer ("git add" is not "git commit", nor 5433 5432)
    assert res.removed.filter(pl.col('reason') == 'embedding').select('id', 'match_id').rows() == [('r1', 'e1')]

def test_the_cli_takes_an_embedding_model_and_reports_the_reason(tiny_encoder, tmp_path):
    EMB_BENCH.with_columns(pl.lit('en').alias('lang')).write_ndjson(tmp_path/'bench.jsonl')
    EMB_ROWS.with_columns(pl.lit('en').alias('lang')).write_ndjson(tmp_path/'rows.jsonl')
    r = run_csqa('corpus', 'decontam', tmp_path/'rows.jsonl', '--against', tmp_path/'bench.jsonl', '--out', tmp_path/'d',
                 '--embed-model', tiny_encoder, '--embed-threshold', '-1', '--json', env={'HF_HUB_OFFLINE': '1'})
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert stats['removed'] == 4 and stats.get('removed_embedding', 0) >= 1
    removed = pl.read_parquet(tmp_path/'d'/'removed.parquet')
    assert set(removed['reason']) <= {'ngram', 'answer_anchor', 'embedding'} and removed['match_id'].null_count() == 0
    r = run_csqa('corpus', 'decontam', tmp_path/'rows.jsonl', '--against', tmp_path/'bench.jsonl', '--out', tmp_path/'e',
                 '--embed-model', tmp_path/'no-such-model')
    assert r.returncode == 2 and 'not a folder' in r.stderr
