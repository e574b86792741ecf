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
