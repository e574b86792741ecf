"Two-process data parallel on CPU (accelerate launch --multi_gpu, gloo): `csqa train sft` (evaluating on every rank) then `csqa train grpo` with the shipped tiny configs; world size and global batch asserted; FSDP on CPUs refused."
import json, os, shutil, socket, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).parents[1]

def free_port()->int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def launch(args, cwd, env, mode=('--multi_gpu',)):
    accelerate = Path(sys.executable).parent/'accelerate'
    csqa = shutil.which('csqa', path=str(Path(sys.executable).parent))
    cmd = [str(accelerate), 'launch', *mode, '--num_processes', '2', '--num_machines', '1', '--mixed_precision', 'no',
           '--dynamo_backend', 'no', '--main_process_ip', '127.0.0.1', '--main_process_port', str(free_port()), csqa, *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)

def test_two_process_sft_evaluating_on_every_rank_then_grpo_on_cpu(tmp_path):
    """`csqa train sft` then `csqa train grpo` on two processes: world size, global batch and steps in both manifests, one
    process printing; and the evaluation callback under DDP: each rank answers its half of the held-out questions at
    steps 2 and 4, and the main process grades all of them. (One SFT launch serves both: each launch starts two ranks.)"""
    import polars as pl
    env = {**os.environ, 'HF_HOME': str(tmp_path/'hf'), 'HF_HUB_OFFLINE': '1', 'CSQA_HOME': str(tmp_path/'home'),
           'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}
    sets = ['evaluation.every_steps=2', 'evaluation.limit=15', 'evaluation.max_tokens=8', 'trainer.save_steps=4']
    out = tmp_path/'outputs/sft-tiny'
    sft = launch(['train', 'sft', '--config', ROOT/'configs/sft-tiny.yaml', '--max-steps', '4', '--output-dir', 'outputs/sft-tiny',
                  *[a for s in sets for a in ('--set', s)]], tmp_path, env)
    assert sft.returncode == 0, sft.stderr[-3000:]
    m = json.loads((out/'train_manifest.json').read_text())
    # 8 a device (sft-tiny.yaml) x 2 processes
    assert (m['world_size'], m['global_batch'], m['global_step']) == (2, 16, 4)
    assert sft.stdout.count('outputs/sft-tiny: 4 steps') == 1  # only the main process prints
    logged = [h for h in json.loads((out/'checkpoint-4/trainer_state.json').read_text())['log_history'] if 'eval_csqa/n' in h]
    assert [(h['step'], h['eval_csqa/n']) for h in logged] == [(2, 15), (4, 15)]  # fired twice, on all 15 questions
    for step in (2, 4):
        run = out/f'evals/step-{step}'
        shards = [pl.read_parquet(run/f'shards/rank-{k}/answers.parquet') for k in (0, 1)]
        assert [len(s) for s in shards] == [8, 7]  # both ranks generated: questions[rank::2]
        assert not (run/'shards/rank-1/grades.parquet').exists()  # only the main process grades
        grades = pl.read_parquet(run/'grades.parquet')
        assert sorted(grades['id']) == sorted(pl.concat([s['id'] for s in shards]))
    held = pl.read_parquet(out/'held_out.parquet')
    assert set(pl.read_parquet(out/'evals/step-4/grades.parquet')['id']) == set(held['id'].head(15))
    grpo = launch(['train', 'grpo', '--config', ROOT/'configs/grpo-tiny.yaml', '--max-steps', '2'], tmp_path, env)
    assert grpo.returncode == 0, grpo.stderr[-3000:]
    g = json.loads((tmp_path/'outputs/grpo-tiny/train_manifest.json').read_text())
    assert (g['world_size'], g['global_batch'], g['global_step'], g['adapter_continued']) == (2, 16, 2, True)
    # each process grades its own 8 completions a step; the manifest counts the main process's share
    assert sum(g['reward']['verdicts'].values()) == 2*8

def test_fsdp_on_cpus_is_refused_with_the_reason(tmp_path):
    "accelerate turns an FSDP launch on CPUs into plain data parallel (use_cpu): csqa refuses it before a model loads."
    env = {**os.environ, 'HF_HOME': str(tmp_path/'hf'), 'HF_HUB_OFFLINE': '1', 'CSQA_HOME': str(tmp_path/'home'),
           'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}
    r = launch(['train', 'sft', '--config', ROOT/'configs/sft-tiny.yaml', '--max-steps', '2', '--output-dir', 'out'], tmp_path, env,
               mode=('--use_fsdp', '--fsdp_version', '2', '--fsdp_state_dict_type', 'SHARDED_STATE_DICT'))
    # every rank refuses, but the launcher stops the other rank as soon as one exits: at least one says why
    assert r.returncode != 0 and 'FSDP without a CUDA device: accelerate runs CPU processes as plain data parallel' in r.stderr, r.stderr[-3000:]
    assert not (tmp_path/'home'/'tiny-model').exists() and not (tmp_path/'out').exists()  # nothing built, nothing written
