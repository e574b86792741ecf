"The training benches run where they can: bench/train_gpu.py skips cleanly without CUDA, saying why."
import os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).parents[1]

def test_train_gpu_bench_skips_cleanly_without_cuda(tmp_path):
    env = {**os.environ, 'CUDA_VISIBLE_DEVICES': '', 'OUT': str(tmp_path/'out')}
    r = subprocess.run([sys.executable, str(ROOT/'bench'/'train_gpu.py')], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == 'train_gpu: skipped: no CUDA device here (run it on a GPU machine; --cpu-smoke tests the script on CPU)'
    assert not (tmp_path/'out').exists()  # nothing measured, nothing written

def test_gpu_smoke_skips_cleanly_without_cuda(tmp_path):
    "bench/gpu_smoke.py on a machine without CUDA: one line saying why, exit 0, nothing built or written."
    env = {**os.environ, 'CUDA_VISIBLE_DEVICES': '', 'OUT': str(tmp_path/'out'), 'TMPDIR': str(tmp_path)}
    r = subprocess.run([sys.executable, str(ROOT/'bench'/'gpu_smoke.py')], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == 'gpu_smoke: skipped: no CUDA device here (run it on a GPU machine; --cpu-smoke tests the script on CPU)'
    assert not (tmp_path/'out').exists() and not list(tmp_path.glob('csqa-gpu-smoke-*'))

def test_gpu_smoke_keeps_polars_out_of_the_qlora_stage():
    "The QLoRA stage's imports (the script, csqa.tiny, TRL, peft, bitsandbytes) bring no polars: the two are not carried to the GPU together."
    code = ('import sys, runpy; runpy.run_path(%r)\n'
            'import csqa.tiny, trl, peft, datasets, transformers\nfrom trl import SFTConfig, SFTTrainer\n'
            'print("polars" in sys.modules)') % str(ROOT/'bench'/'gpu_smoke.py')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300, cwd=ROOT,
                       env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert r.returncode == 0 and r.stdout.strip() == 'False', r.stderr[-2000:]
