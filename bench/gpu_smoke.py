"""GPU smoke run: does post-training work on this CUDA device? One short script, no download, under 8 minutes.

A ~0.5B-parameter Qwen2-style model (csqa.tiny's tokenizer and architecture scaled up: 28 layers, hidden 1024, MLP
4864, 16 heads, 2 KV heads; random weights) is built locally, then two stages run, each in its own process:

  qlora  QLoRA SFT, 20 steps (NF4, double quantisation, bf16 compute, LoRA r=16 on all linear layers), packing on
         where the attention kernel is varlen (flash-attn, or the kernels package's), with plain TRL: this process
         never imports polars (ENVIRONMENT.md, "GPU": bitsandbytes and polars are not carried to the GPU together)
  rl     csqa's GRPO, 5 steps, HF generation, LoRA on the bf16 model, with csqa's evaluation callback firing at
         step 5, then `csqa train merge` of the adapter (needs polars; not bitsandbytes)

Each stage prints its device, peak memory, tokens/s and attention kernel, and writes them to --out (default $OUT or
gpu-smoke/) as <stage>.json. Exit status: 0 when every stage asked for passed, 1 otherwise.
Without CUDA it says so and exits 0 (nothing to measure here); --cpu-smoke runs a two-layer model on CPU instead, to
test the script where no GPU exists.

Run: python bench/gpu_smoke.py [--stage all|qlora|rl] [--out DIR] [--cpu-smoke]
"""
import argparse, importlib.util, json, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))
NEEDED = {'qlora': ('trl', 'peft', 'bitsandbytes', 'datasets', 'accelerate'), 'rl': ('trl', 'peft', 'polars', 'datasets', 'accelerate')}
SHAPE = dict(hidden_size=1024, intermediate_size=4864, num_hidden_layers=28, num_attention_heads=16, num_key_value_heads=2)
SMOKE_SHAPE = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
LORA = {'r': 16, 'lora_alpha': 32, 'lora_dropout': 0.0, 'target_modules': 'all-linear'}

def missing(stage:str)->list[str]: return [m for m in NEEDED[stage] if importlib.util.find_spec(m) is None]

def attention(cuda:bool)->str:
    "The kernel csqa.train.configs.choose_attention picks (flash-attn, kernels, sdpa); restated here to keep polars out (the rl stage checks they agree)."
    if cuda and importlib.util.find_spec('flash_attn'): return 'flash_attention_2'
    if cuda and importlib.util.find_spec('kernels'): return 'kernels-community/flash-attn2'
    return 'sdpa'

def build_model(out:Path, smoke:bool)->Path:
    "The Qwen2-style model with csqa.tiny's tokenizer, random weights, saved to `out` (built once)."
    if (out/'config.json').exists(): return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config
    from csqa.tiny import build_tiny_model
    tok = AutoTokenizer.from_pretrained(build_tiny_model(out.parent/'tiny'))
    config = Qwen2Config(**(SMOKE_SHAPE if smoke else SHAPE), vocab_size=len(tok), tie_word_embeddings=True, initializer_range=0.02,
                         eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, max_position_embeddings=4096)
    with torch.device('cpu' if smoke else 'cuda'):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32 if smoke else torch.bfloat16)
    model.save_pretrained(out); tok.save_pretrained(out)
    return out

def records()->list[dict]:
    "The bundled questions as prompt-completion pairs (read with json: no polars)."
    rows = [json.loads(l) for l in (ROOT/'csqa'/'data'/'sample.jsonl').read_text(encoding='utf-8').splitlines() if l.strip()]
    return [{'prompt': [{'role': 'user', 'content': r['question']}], 'completion': [{'role': 'assistant', 'content': r['answer']}]}
            for r in rows]

def measure(cuda:bool, history:list, attn:str, t0:float, **extra)->dict:
    import torch
    runtime = next((h['train_runtime'] for h in history if 'train_runtime' in h), time.time() - t0)
    tokens = max((h.get('num_tokens', 0) for h in history), default=0)
    return {'device': torch.cuda.get_device_name(0) if cuda else 'cpu (smoke)', 'attention': attn,
            'peak_mem_gb': round(torch.cuda.max_memory_allocated()/2**30, 2) if cuda else None,
            'tokens': tokens, 'train_s': round(runtime, 1), 'tokens_per_s': round(tokens/runtime) if tokens else None,
            'wall_s': round(time.time() - t0, 1), **extra}

def stage_qlora(model_dir:Path, work:Path, smoke:bool)->dict:
    "QLoRA SFT, 20 steps, with plain TRL; polars must stay out of this process."
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import BitsAndBytesConfig
    from trl import SFTConfig, SFTTrainer
    cuda, t0 = torch.cuda.is_available() and not smoke, time.time()
    attn = attention(cuda)
    packing = 'flash' in attn  # the plan's rule: packing only on a varlen kernel
    args = SFTConfig(output_dir=str(work/'qlora'), max_steps=20, per_device_train_batch_size=8, learning_rate=2e-4,
                     max_length=256, packing=packing, logging_steps=5, save_strategy='no', report_to='none',
                     disable_tqdm=True, gradient_checkpointing=not smoke, bf16=cuda, use_cpu=not cuda, seed=0,
                     model_init_kwargs={'dtype': torch.bfloat16 if cuda else torch.float32, 'attn_implementation': attn})
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type='nf4', bnb_4bit_use_double_quant=True,
                               bnb_4bit_compute_dtype=torch.bfloat16 if cuda else torch.float32)
    if cuda: torch.cuda.reset_peak_memory_stats()
    trainer = SFTTrainer(model=str(model_dir), args=args, train_dataset=Dataset.from_list(records()),
                         peft_config=LoraConfig(task_type='CAUSAL_LM', **LORA), quantization_config=quant)
    if not cuda:  # bitsandbytes' CPU repacking breaks training after an eval forward (csqa.train.plan.cpu_safe_4bit)
        import bitsandbytes as bnb
        for m in trainer.model.modules():
            if isinstance(m, bnb.nn.Linear4bit): m.support_avx512bf16_for_cpu = False
    trainer.train()
    trainer.save_model(str(work/'qlora'))
    saved = sorted(p.name for p in (work/'qlora').glob('adapter_*'))
    assert saved == ['adapter_config.json', 'adapter_model.safetensors'], saved
    assert 'polars' not in sys.modules, 'polars was imported by the QLoRA stage'
    return measure(cuda, trainer.state.log_history, attn, t0, steps=trainer.state.global_step, packing=packing)

def stage_rl(model_dir:Path, work:Path, smoke:bool)->dict:
    "csqa's GRPO, 5 steps with HF generation and the evaluation callback, then merge."
    import torch
    from csqa.train.configs import choose_attention, config_from_dict
    from csqa.train.grpo import train_grpo
    from csqa.train.merge import merge_adapter
    cuda, t0 = torch.cuda.is_available() and not smoke, time.time()
    attn = attention(cuda)
    assert choose_attention(None, cuda)[0] == attn, (choose_attention(None, cuda), attn)
    cfg = config_from_dict({'stage': 'grpo', 'model': str(model_dir), 'data': 'sample', 'held_out': 0.1, 'lora': LORA,
                            'evaluation': {'every_steps': 5, 'limit': 32, 'max_tokens': 16},
                            'trainer': {'max_steps': 5, 'per_device_train_batch_size': 8, 'num_generations': 4,
                                        'max_completion_length': 32, 'learning_rate': 1e-5, 'logging_steps': 1,
                                        'save_strategy': 'no', 'disable_tqdm': True, 'gradient_checkpointing': not smoke,
                                        'model_init_kwargs': {'dtype': 'bfloat16' if cuda else 'float32', 'attn_implementation': attn}}},
                           'gpu-smoke-rl')
    if cuda: torch.cuda.reset_peak_memory_stats()
    res = train_grpo(cfg, work/'grpo')
    evals = [h for h in res.log_history if 'eval_csqa/n' in h]
    assert res.global_step == 5 and [h['eval_csqa/n'] for h in evals] == [32], evals
    merged = merge_adapter(work/'grpo', work/'merged', 'bfloat16' if cuda else None)
    assert (merged/'config.json').exists() and list(merged.glob('model*.safetensors'))
    return measure(cuda, res.log_history, attn, t0, steps=res.global_step, eval_csqa=evals[0],
                   reward=next((h['reward'] for h in reversed(res.log_history) if 'reward' in h), None))

def main()->int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--stage', choices=('all', 'qlora', 'rl'), default='all')
    p.add_argument('--out', default=os.environ.get('OUT', 'gpu-smoke'))
    p.add_argument('--cpu-smoke', action='store_true', help='run on CPU with a two-layer model (tests the script)')
    p.add_argument('--worker', nargs=2, metavar=('STAGE', 'WORKDIR'), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        stage, work = a.worker[0], Path(a.worker[1])
        model_dir = build_model(work/'model', a.cpu_smoke)
        result = {'qlora': stage_qlora, 'rl': stage_rl}[stage](model_dir, work, a.cpu_smoke)
        (work/f'{stage}.json').write_text(json.dumps(result, indent=1))
        return 0
    import torch
    if not torch.cuda.is_available() and not a.cpu_smoke:
        print('gpu_smoke: skipped: no CUDA device here (run it on a GPU machine; --cpu-smoke tests the script on CPU)')
        return 0
    stages = ('qlora', 'rl') if a.stage == 'all' else (a.stage,)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix='csqa-gpu-smoke-'))
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'CSQA_HOME': str(work/'home'), 'HF_HOME': str(work/'hf'),
           'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')])}
    ok = True
    for stage in stages:
        if missing(stage):
            print(f'{stage}: FAILED: missing {", ".join(missing(stage))} (bring them as wheels: ENVIRONMENT.md, "GPU")'); ok = False; continue
        cmd = [sys.executable, __file__, '--worker', stage, str(work)] + (['--cpu-smoke'] if a.cpu_smoke else [])
        t = time.time()
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            print(f'{stage}: FAILED after {time.time() - t:.0f} s\n{r.stderr[-4000:]}'); ok = False; continue
        m = json.loads((work/f'{stage}.json').read_text())
        (out/f'{stage}.json').write_text(json.dumps(m, indent=1))
        print(f"{stage:6s} ok  {m['device']}  attention {m['attention']}  peak {m['peak_mem_gb']} GB  "
              f"{m['tokens_per_s']} tokens/s  ({m['steps']} steps, {m['wall_s']} s)")
    return 0 if ok else 1

if __name__ == '__main__': sys.exit(main())
