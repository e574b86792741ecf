"Each failure a GPU run would meet is planted here and refused (or fixed) by name before any model loads; the shipped 7B configs plan here, without flash-attn."
import json, sys
from pathlib import Path
import pytest
from hypothesis import given, settings, HealthCheck, strategies as st

ROOT = Path(__file__).parents[1]

@pytest.fixture
def no_model_loads(no_model_loads, monkeypatch, tmp_path):
    "The shared guard (conftest.py), run from the test's own folder."
    monkeypatch.chdir(tmp_path)

@pytest.fixture
def model_dir(tmp_path)->Path:
    "A folder that looks like a model (a config.json): enough for the plan, which never loads it."
    d = tmp_path/'model'; d.mkdir(); (d/'config.json').write_text('{}')
    return d

@pytest.fixture
def with_tensorboard(monkeypatch, tmp_path):
    "An importable `tensorboard` (what the train extra installs), for a machine that lacks it."
    import importlib.util
    if importlib.util.find_spec('tensorboard') is None:
        (tmp_path/'stub'/'tensorboard').mkdir(parents=True); (tmp_path/'stub'/'tensorboard'/'__init__.py').write_text('')
        monkeypatch.syspath_prepend(str(tmp_path/'stub'))

def missing(monkeypatch, *modules):
    "Plant missing modules: `find_spec` and `import` both see none."
    for m in modules: monkeypatch.setitem(sys.modules, m, None)

def cli(tmp_path, text, *extra, stage='sft'):
    from csqa.cli.main import main
    cfg = tmp_path/'run.yaml'
    cfg.write_text(text)
    return main(['train', stage, '--config', str(cfg), '--output-dir', str(tmp_path/'out'), *extra])

def plan(tmp_path, text, stage='sft', **kw):
    from csqa.train.plan import plan_run
    cfg = tmp_path/'run.yaml'
    cfg.write_text(text)
    return plan_run(cfg, stage, tmp_path/'out', **kw)

def refused(capsys, *parts):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and all(p in err for p in parts), err

# --- the shipped 7B configs -------------------------------------------------------------------------------------

# the bundled sample's questions that ask a benchmark item's fact (issue #19's answer anchors find them; both sides of each pair):
# fork creates a new process; CUBE gives subtotals for every combination of the grouping columns; SwiftUI's @State
SAMPLE_OVERLAP = {'s064-en': '2eccf04b9e542563', 's064-zh': '2eccf04b9e542563', 's104-en': 'da8d84b4cba36115',
                  's104-zh': 'da8d84b4cba36115', 's229-en': '1c7a4e0ce9bea533', 's229-zh': '1c7a4e0ce9bea533'}

def test_the_sample_overlaps_the_benchmark_in_exactly_three_facts(codesimpleqa_path):
    "Same-answer questions about other facts (hash function, 755, topics, namespaces, alt, XSS) are not flagged."
    from csqa.data import load_questions
    from csqa.train.data import contaminated
    c = contaminated(load_questions('sample', progress=False), load_questions(codesimpleqa_path, progress=False))
    assert dict(c.select('id', 'match_id').iter_rows()) == SAMPLE_OVERLAP


@pytest.mark.parametrize('name,stage', [('sft-qlora-7b.yaml', 'sft'), ('grpo-7b.yaml', 'grpo')])
def test_shipped_7b_configs_plan_here_without_flash_attn(name, stage, tmp_path, no_model_loads, model_dir, with_tensorboard,
                                                          monkeypatch, capsys, codesimpleqa_path):
    "Every plan-time check, with the data, the benchmark and the model swapped in from the command line (vLLM: off)."
    from csqa.train.plan import plan_run, say_notes
    missing(monkeypatch, 'flash_attn', 'flash_attn_interface')
    # the sample shares three facts with the benchmark (SAMPLE_OVERLAP): planned with allow_contaminated, the count is still reported
    sets = ['data=sample', f'benchmark=[{codesimpleqa_path}]', f'model={model_dir}', 'allow_contaminated=true'] + (['trainer.use_vllm=false'] if stage == 'grpo' else [])
    p = plan_run(ROOT/'configs'/name, stage, tmp_path/'out', overrides=sets)
    assert p.attention == 'sdpa' and p.args.model_init_kwargs['attn_implementation'] == 'sdpa'
    assert p.notes[0].startswith('attention: sdpa instead of flash_attention_2')
    assert p.args.report_to == ['tensorboard'] and p.contaminated == len(SAMPLE_OVERLAP)
    if stage == 'sft':
        assert p.args.packing is False and p.notes[1].startswith('packing: off (sdpa attention has no varlen kernel')
        assert p.args.learning_rate == 2e-4 and p.quantization.load_in_4bit
    say_notes(p)
    assert capsys.readouterr().err.count('csqa train: attention: sdpa instead of flash_attention_2') == 1

def test_flash_attn_missing_on_a_gpu_falls_back_by_name(monkeypatch):
    "On a CUDA machine: flash-attn, else the kernels package's kernel, else sdpa, and the note names what is missing."
    from csqa.train.configs import config_from_dict, kernel_settings
    cfg = config_from_dict({'stage': 'sft', 'trainer': {'packing': True, 'model_init_kwargs': {'attn_implementation': 'flash_attention_2'}}})
    missing(monkeypatch, 'flash_attn', 'kernels')
    t, attn, notes = kernel_settings(cfg, cuda=True)
    assert (attn, t['packing']) == ('sdpa', False)
    assert notes[0] == 'attention: sdpa instead of flash_attention_2 (neither flash_attn nor the kernels package is installed)'
    t, attn, notes = kernel_settings(cfg, cuda=True, installed=lambda m: m == 'kernels')
    assert (attn, t['packing']) == ('kernels-community/flash-attn2', True) and 'flash_attn is not installed' in notes[0]
    t, attn, notes = kernel_settings(cfg, cuda=True, installed=lambda m: m == 'flash_attn')
    assert (attn, t['packing'], notes) == ('flash_attention_2', True, [])

# --- each planted failure, refused by name ------------------------------------------------------------------------

def test_tensorboard_missing_is_refused_by_name(tmp_path, no_model_loads, monkeypatch, capsys):
    missing(monkeypatch, 'tensorboard', 'tensorboardX')
    assert cli(tmp_path, 'stage: sft\ntrainer: {report_to: tensorboard}\n') == 2
    refused(capsys, 'run.yaml: trainer.report_to: tensorboard is not installed here', 'csqa[train]')

def test_wandb_missing_is_refused_by_name(tmp_path, no_model_loads, monkeypatch, capsys):
    missing(monkeypatch, 'wandb')
    assert cli(tmp_path, 'stage: sft\ntrainer: {report_to: [wandb]}\n') == 2
    refused(capsys, 'trainer.report_to: wandb is not installed here (pip install wandb)')

def test_eight_bit_with_vllm_is_refused_like_four_bit(tmp_path, no_model_loads, capsys):
    assert cli(tmp_path, 'stage: grpo\nquantization: {load_in_8bit: true}\ntrainer: {use_vllm: true}\n', stage='grpo') == 2
    refused(capsys, 'trainer.use_vllm with quantization.load_in_8bit: vLLM generation with a 8-bit base is unreliable')

def test_a_checkpoint_of_another_config_is_refused(tmp_path, no_model_loads, model_dir, capsys):
    from csqa.train.configs import read_config
    from csqa.train.plan import stamp_checkpoint
    (tmp_path/'other.yaml').write_text(f'stage: sft\nmodel: {model_dir}\ntrainer: {{learning_rate: 1.0e-3}}\n')
    (tmp_path/'out'/'checkpoint-4').mkdir(parents=True)
    stamp_checkpoint(tmp_path/'out'/'checkpoint-4', read_config(tmp_path/'other.yaml'))
    assert cli(tmp_path, f'stage: sft\nmodel: {model_dir}\ntrainer: {{learning_rate: 2.0e-3}}\n', '--resume') == 2
    refused(capsys, 'run.yaml: resume:', 'checkpoint-4 was written under another config', 'they differ in trainer.learning_rate')
    # the same config, with only the bookkeeping keys changed, resumes; 1e-3 spelt as YAML's string is the same number
    p = plan(tmp_path, f'stage: sft\nmodel: {model_dir}\ntrainer: {{learning_rate: 1e-3, max_steps: 50, logging_steps: 5}}\n', resume=True)
    assert p.resume and p.notes == []

@pytest.mark.parametrize('model,expected', [
    ('outputs/sft-tiny', 'model: outputs/sft-tiny: no such local folder, and not in the hub cache (HF_HUB_OFFLINE is set)'),
    ('./outputs/sft-tiny', 'model: ./outputs/sft-tiny: no such local folder'),
    ('runs/a/b/adapter', 'model: runs/a/b/adapter: no such local folder (looked in'),
])
def test_a_missing_model_folder_is_said_as_such(model, expected, tmp_path, no_model_loads, capsys):
    assert cli(tmp_path, f'stage: grpo\nmodel: {model}\n', stage='grpo') == 2
    refused(capsys, expected)

def test_a_missing_model_folder_is_said_as_such_online_too(tmp_path, no_model_loads, monkeypatch, capsys):
    "With the hub on, a name whose first part is a folder here is a local path; one beside the config is pointed at."
    monkeypatch.delenv('HF_HUB_OFFLINE')
    (tmp_path/'outputs').mkdir()
    assert cli(tmp_path, 'stage: grpo\nmodel: outputs/sft-tiny\n', stage='grpo') == 2
    refused(capsys, 'model: outputs/sft-tiny: no such local folder (looked in', 'run the stage that writes it first')
    (tmp_path/'configs'/'outputs'/'sft-tiny').mkdir(parents=True)
    (tmp_path/'configs'/'run.yaml').write_text('stage: grpo\nmodel: outputs/sft-tiny\n')
    from csqa.cli.main import main
    assert main(['train', 'grpo', '--config', str(tmp_path/'configs'/'run.yaml')]) == 2
    refused(capsys, 'a model path is relative to the working folder, not to the config')

# --- YAML numbers -------------------------------------------------------------------------------------------------

def test_a_learning_rate_written_2e_4_trains_as_a_float(tmp_path, no_model_loads, model_dir):
    p = plan(tmp_path, f'stage: sft\nmodel: {model_dir}\nheld_out: 5e-2\ntrainer: {{learning_rate: 2e-4, warmup_steps: 3e-2}}\n'
                       'lora: {lora_dropout: 5e-2}\n')
    assert (p.args.learning_rate, p.args.warmup_steps, p.lora.lora_dropout, p.cfg.held_out) == (2e-4, 0.03, 0.05, 0.05)
    assert all(type(x) is float for x in (p.args.learning_rate, p.args.warmup_steps, p.lora.lora_dropout))

mantissas = st.one_of(st.integers(1, 999).map(str), st.builds(lambda a, b: f'{a}.{b}', st.integers(0, 99), st.integers(0, 99)))
spellings = st.builds(lambda m, e, s, sign: f'{m}{e}{sign}{s}', mantissas, st.sampled_from(['e', 'E']), st.integers(1, 9),
                      st.sampled_from(['-', '+', '']))

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=spellings)
def test_every_yaml_spelling_of_a_float_reaches_trl_as_that_float(text, tmp_path):
    "YAML 1.1 reads `2e-4`, `1E+3`, `0.5e-2` as strings or floats depending on the dot and sign: the trainer gets the float either way."
    from csqa.train.configs import read_config, trainer_args
    (tmp_path/'n.yaml').write_text(f'stage: sft\ntrainer: {{learning_rate: {text}, max_grad_norm: {text}}}\n')
    args = trainer_args(read_config(tmp_path/'n.yaml'), tmp_path/'out')
    assert args.learning_rate == float(text) and type(args.learning_rate) is float and args.max_grad_norm == float(text)

# --- overrides ----------------------------------------------------------------------------------------------------

def test_any_key_is_overridden_from_the_command_line(tmp_path, no_model_loads, model_dir, capsys):
    from csqa.train.plan import plan_run
    p = plan_run(ROOT/'configs'/'grpo-tiny.yaml', 'grpo', None,
                 overrides=[f'model={model_dir}', 'trainer.learning_rate=1e-4', 'trainer.output_dir=elsewhere',
                            'reward.preset=binary', 'lora.r=8', 'evaluation.every_steps=5'])
    assert (p.model, p.args.learning_rate, p.output_dir, p.cfg.reward['preset'], p.cfg.lora['r'], p.cfg.evaluation) == \
           (str(model_dir), 1e-4, Path('elsewhere'), 'binary', 8, {'every_steps': 5})
    # an override is checked like the file: an unknown key is named, and nothing loads
    assert cli(tmp_path, 'stage: sft\n', '--set', 'trainer.learning_rat=1e-4') == 2
    refused(capsys, 'trainer.learning_rat: unknown key for SFTConfig')
    assert cli(tmp_path, 'stage: sft\n', '--set', 'model') == 2
    refused(capsys, "override 'model': expected KEY=VALUE")

# --- contamination: reworded items, and the other side of a pair -----------------------------------------------------

def test_a_reworded_benchmark_item_and_its_chinese_side_are_refused(tmp_path, no_model_loads, capsys):
    "A benchmark that asks one English question in other words: the English training row and its Chinese pair are both refused."
    import polars as pl
    from csqa.data import load_questions
    sample = load_questions('sample')
    item = sample.filter((pl.col('lang') == 'en') & pl.col('pair_id').is_not_null()).slice(3, 1)
    reworded = item.select(pl.lit('b-1').alias('id'), pl.lit('en').alias('lang'), 'answer',
                           ('Quick one: ' + pl.col('question').str.to_lowercase().str.strip_chars_end('?') + ' - do you know?').alias('question'))
    reworded.write_ndjson(tmp_path/'bench.jsonl')
    assert cli(tmp_path, f'stage: sft\nbenchmark: [{tmp_path/"bench.jsonl"}]\n') == 2
    pair = sample.filter(pl.col('pair_id') == item['pair_id'][0])['id'].sort().to_list()
    refused(capsys, '2 training item(s) are questions of', *pair)
