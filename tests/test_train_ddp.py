"Two-process data parallel on CPU (accelerate launch --multi_gpu, gloo): `csqa train sft` then `csqa train grpo` with the shipped tiny configs; world size and global batch asserted."
import json, os, shutil, socket, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).parents[1]

def free_port()->int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def launch(args, cwd, env):
    accelerate = Path(sys.executable).parent/'accelerate'
    csqa = shutil.which('csqa', path=str(Path(sys.executable).parent))
    cmd = [str(accelerate), 'launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1', '--mixed_precision', 'no',
           '--dynamo_backend', 'no', '--main_process_ip', '127.0.0.1', '--main_process_port', str(free_port()), csqa, *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)

def test_two_process_sft_then_grpo_on_cpu(tmp_path):
    env = {**os.environ, 'HF_HOME': str(tmp_path/'hf'), 'HF_HUB_OFFLINE': '1', 'CSQA_HOME': str(tmp_path/'home'),
           'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}
    sft = launch(['train', 'sft', '--config', ROOT/'configs/sft-tiny.yaml', '--max-steps', '2',
                  '--output-dir', 'outputs/sft-tiny'], tmp_path, env)
    assert sft.returncode == 0, sft.stderr[-3000:]
    m = json.loads((tmp_path/'outputs/sft-tiny/train_manifest.json').read_text())
    # 8 a device (sft-tiny.yaml) x 2 processes
    assert (m['world_size'], m['global_batch'], m['global_step']) == (2, 16, 2)
    assert sft.stdout.count('outputs/sft-tiny: 2 steps') == 1  # only the main process prints
    grpo = launch(['train', 'grpo', '--config', ROOT/'configs/grpo-tiny.yaml', '--max-steps', '2'], tmp_path, env)
    assert grpo.returncode == 0, grpo.stderr[-3000:]
    g = json.loads((tmp_path/'outputs/grpo-tiny/train_manifest.json').read_text())
    assert (g['world_size'], g['global_batch'], g['global_step'], g['adapter_continued']) == (2, 16, 2, True)
    # each process grades its own 8 completions a step; the manifest counts the main process's share
    assert sum(g['reward']['verdicts'].values()) == 2*8
