"Bad training configs fail before any model loads, with one line naming the file and key, and exit status 2; the shipped configs pass the same checks."
import importlib.util
from pathlib import Path
import pytest

ROOT = Path(__file__).parents[1]

def run(tmp_path, text, *extra, stage='sft', env=None, monkeypatch=None):
    from csqa.cli.main import main
    cfg = tmp_path/'bad.yaml'
    cfg.write_text(text)
    return main(['train', stage, '--config', str(cfg), '--output-dir', str(tmp_path/'out'), *extra])

BAD = [  # config text, stage, environment, expected message
    ('stage: sft\ntrainer: {learning_rat: 0.001}\n', 'sft', {}, 'bad.yaml: trainer.learning_rat: unknown key for SFTConfig'),
    ('stage: sft\nlearning_rate: 0.001\n', 'sft', {}, 'bad.yaml: learning_rate: unknown key'),
    ('stage: grpo\nreward: {presets: binary}\n', 'grpo', {}, 'bad.yaml: reward.presets: unknown key'),
    ('stage: sft\nlora: {rank: 8}\n', 'sft', {}, 'bad.yaml: lora.rank: unknown key for LoraConfig'),
    ('stage: sft\ndata: missing.jsonl\n', 'sft', {}, 'bad.yaml: data: no such file: missing.jsonl'),
    ('stage: grpo\nquantization: {load_in_4bit: true}\ntrainer: {use_vllm: true}\n', 'grpo', {},
     'trainer.use_vllm with quantization.load_in_4bit: vLLM generation with a 4-bit base is unreliable'),
    ('stage: sft\nquantization: {load_in_4bit: true}\n', 'sft', {'ACCELERATE_USE_FSDP': 'true', 'FSDP_VERSION': '2'},
     'quantization.load_in_4bit with FSDP2: FSDP2 cannot shard bitsandbytes 4-bit weights'),
    ('stage: sft\nquantization: {load_in_4bit: true}\ntrainer: {fsdp: full_shard, fsdp_config: {version: 2}}\n', 'sft', {},
     'FSDP2 cannot shard'),
    ('stage: sft\n', 'grpo', {}, "the file is a 'sft' config, not 'grpo'"),
    ('stage: sft\n', 'sft', {'ACCELERATE_USE_FSDP': 'true'}, 'bad.yaml: FSDP without a CUDA device: accelerate runs CPU processes as plain data parallel'),
    ('stage: sft\nevaluation: {every_steps: 5}\n', 'sft', {'ACCELERATE_USE_DEEPSPEED': 'true', 'ACCELERATE_DEEPSPEED_ZERO_STAGE': '3'},
     'bad.yaml: evaluation.every_steps under DeepSpeed ZeRO-3: with sharded parameters every forward pass is a collective'),
    ('stage: sft\nmodel: ./nowhere\n', 'sft', {}, 'bad.yaml: model: ./nowhere: no such local folder'),
    *([('stage: grpo\ntrainer: {use_vllm: true}\n', 'grpo', {}, 'bad.yaml: trainer.use_vllm: vLLM is not installed here')]
      if importlib.util.find_spec('vllm') is None else []),
]

@pytest.mark.parametrize('text,stage,env,message', BAD, ids=[b[3][:40] for b in BAD])
def test_bad_config_fails_before_a_model_loads(text, stage, env, message, tmp_path, monkeypatch, no_model_loads, capsys):
    for k, v in env.items(): monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    assert run(tmp_path, text, stage=stage) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err

def test_benchmark_items_in_the_training_data_are_refused_unless_allowed(tmp_path, monkeypatch, no_model_loads, capsys):
    import polars as pl
    from csqa.data import load_questions
    from csqa.train.plan import plan_run
    from csqa.train.configs import read_config
    sample = load_questions('sample')
    bench = tmp_path/'bench.jsonl'
    sample.filter(pl.col('lang') == 'en').head(3).with_columns(pl.col('question').str.to_uppercase() + '  ') \
          .select('id', 'question', 'answer', 'lang').write_ndjson(bench)
    text = f'stage: sft\ndata: sample\nbenchmark: [{bench}]\n'
    monkeypatch.chdir(tmp_path)
    assert run(tmp_path, text) == 2
    err = capsys.readouterr().err
    # the three English items, and the Chinese side of each pair: the same facts
    assert '6 training item(s) are questions of' in err and 's001-zh' in err and 'allow_contaminated: true' in err
    (tmp_path/'model').mkdir(); (tmp_path/'model'/'config.json').write_text('{}')  # a model folder, never loaded
    (tmp_path/'ok.yaml').write_text(text + f'allow_contaminated: true\nmodel: {tmp_path/"model"}\n')
    assert plan_run(read_config(tmp_path/'ok.yaml'), 'sft', tmp_path/'out').contaminated == 6

def test_benchmark_file_itself_refused(tmp_path, monkeypatch, no_model_loads, capsys, codesimpleqa_path):
    "The real CodeSimpleQA file as the training data and as the benchmark: every item is refused."
    monkeypatch.chdir(tmp_path)
    assert run(tmp_path, f'stage: sft\ndata: {codesimpleqa_path}\nbenchmark: [{codesimpleqa_path}]\n') == 2
    assert 'training item(s) are questions of' in capsys.readouterr().err

@pytest.mark.parametrize('name', sorted(p.name for p in (ROOT/'configs').glob('*.yaml') if p.name.startswith(('sft-', 'grpo-'))))
def test_shipped_configs_pass_every_check(name, tmp_path):
    from csqa.train.configs import read_config, trainer_args, lora_config, quantization_config, check_combinations
    cfg = read_config(ROOT/'configs'/name)
    trainer_args(cfg, tmp_path); lora_config(cfg); quantization_config(cfg); check_combinations(cfg, env={})
    assert cfg.stage in name

def test_shipped_accelerate_configs_are_accelerate_configs():
    import yaml
    names = {p.stem: yaml.safe_load(p.read_text()) for p in (ROOT/'configs'/'accelerate').glob('*.yaml')}
    assert set(names) == {'single_gpu', 'multi_gpu', 'deepspeed_zero2', 'deepspeed_zero3', 'fsdp'}
    assert names['deepspeed_zero3']['deepspeed_config']['zero_stage'] == 3 and names['fsdp']['fsdp_config']['fsdp_version'] == 2

def test_importing_csqa_and_its_cli_pulls_in_no_training_library():
    "trl, peft, bitsandbytes and accelerate load only with csqa.train's trainers: not with `import csqa`, the evaluation core, or the parser."
    import subprocess, sys
    code = ('import sys, csqa, csqa.rules, csqa.evaluation, csqa.train.configs, csqa.train.rewards\n'
            'from csqa.cli.main import make_parser\nmake_parser()\n'
            'print(sorted(m for m in ("trl", "peft", "bitsandbytes", "accelerate") if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == '[]', out.stderr[-2000:]

def test_a_launch_that_cannot_run_is_refused_before_the_trainers_load():
    "`csqa train sft` under an FSDP launch on CPUs (the environment `accelerate launch --use_fsdp` sets): exit 2 with the reason, and trl, peft and bitsandbytes never imported (each rank would pay ~7 s for them)."
    import os, subprocess, sys
    code = ('import sys\nfrom csqa.cli.main import main\nrc = main(sys.argv[1:])\n'
            'print(sorted(m for m in ("trl", "peft", "bitsandbytes") if m in sys.modules))\nsys.exit(rc)')
    out = subprocess.run([sys.executable, '-c', code, 'train', 'sft', '--config', str(ROOT/'configs/sft-tiny.yaml')], capture_output=True,
                         text=True, cwd=ROOT, timeout=120, env={**os.environ, 'ACCELERATE_USE_FSDP': 'true', 'CUDA_VISIBLE_DEVICES': ''})
    assert out.returncode == 2 and 'FSDP without a CUDA device' in out.stderr, out.stderr[-2000:]
    assert out.stdout.strip() == '[]', out.stdout
