"""Bench (GPU): QLoRA SFT of a 7B-class architecture, csqa against a plain TRL script with the same config, same run.

A Qwen2.5-7B-shaped model (28 layers, hidden 3584, MLP 18944, vocabulary 152k) is built from its config with random
weights (no download) and saved once; three runs then load it in 4 bits (NF4, double quantisation, bf16 compute) and
train LoRA r=16 on all linear layers for a fixed number of steps on csqa's bundled questions (short QA lengths):

  plain        a plain TRL script: SFTTrainer(model=path, args=SFTConfig(...), peft_config=LoraConfig(...))
  csqa         `csqa.train.train_sft` with the same settings
  recommended  csqa with its recommended settings: bfd packing (padding-free), flash-attention 2 where installed
               (else sdpa), Liger kernels where installed

Each run is its own process, so peak memory (torch.cuda.max_memory_allocated) is its own. Tokens/s counts the
tokens trained (TRL's `num_tokens`) over the trainer's runtime. Targets: csqa >= 0.98x plain's tokens/s at
<= 1.05x its memory; recommended >= 1.5x plain's tokens/s. Figures go to --out (default $OUT or bench-train-gpu/).

Without CUDA (or without trl/bitsandbytes/peft/polars) it says so and exits 0: nothing to measure here.
--cpu-smoke runs the same three workers on CPU with a two-layer model, to test this script where no GPU exists.
Run: python bench/train_gpu.py [--steps 30] [--layers 28] [--out DIR]
"""
import argparse, importlib.util, json, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).parents[1]
NEEDED = ('trl', 'bitsandbytes', 'peft', 'polars', 'datasets')
SETTINGS = {'per_device_train_batch_size': 16, 'learning_rate': 2e-4, 'max_length': 256, 'logging_steps': 5,
            'save_strategy': 'no', 'report_to': 'none', 'disable_tqdm': True, 'gradient_checkpointing': True, 'seed': 0}
LORA = {'r': 16, 'lora_alpha': 32, 'lora_dropout': 0.0, 'target_modules': 'all-linear'}

def missing()->list[str]: return [m for m in NEEDED if importlib.util.find_spec(m) is None]

def build_model(out:Path, layers:int, smoke:bool)->Path:
    "A 7B-class (or, for the smoke run, two-layer) Qwen2 with random weights and csqa's tiny tokenizer, saved to `out`."
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config
    from csqa.tiny import build_tiny_model
    tok = AutoTokenizer.from_pretrained(build_tiny_model(out.parent/'tiny'))
    shape = (dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                  vocab_size=len(tok)) if smoke else
             dict(hidden_size=3584, intermediate_size=18944, num_hidden_layers=layers, num_attention_heads=28,
                  num_key_value_heads=4, vocab_size=152064, max_position_embeddings=32768, rope_theta=1e6))
    config = Qwen2Config(**shape, tie_word_embeddings=False, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    device = 'cpu' if smoke else 'cuda'
    with torch.device(device): model = AutoModelForCausalLM.from_config(config, dtype=torch.float32 if smoke else torch.bfloat16)
    model.save_pretrained(out); tok.save_pretrained(out)
    del model
    return out

def records()->list[dict]:
    "The bundled questions as prompt–completion pairs with the CodeSimpleQA prompt (written out, as a plain script would)."
    import json as _j
    from importlib import resources
    suffix = {'en': 'Answer the question above directly and factually, in no more than 64 words.',
              'zh': '请直接、准确地回答上面的问题，回答不超过 64 个词。'}
    rows = [_j.loads(l) for l in (resources.files('csqa')/'data'/'sample.jsonl').read_text(encoding='utf-8').splitlines()]
    return [{'prompt': [{'role': 'user', 'content': f"{r['question']}\n\n{suffix[r['lang']]}"}],
             'completion': [{'role': 'assistant', 'content': r['answer']}]} for r in rows]

def worker(kind:str, model_dir:str, steps:int, smoke:bool, out:str)->dict:
    "One run in this process: train, and return tokens/s and peak memory."
    import torch
    cuda = torch.cuda.is_available() and not smoke
    attn = 'flash_attention_2' if importlib.util.find_spec('flash_attn') else 'sdpa'
    trainer_kw = {**SETTINGS, 'max_steps': steps, 'bf16': cuda, 'use_cpu': not cuda,
                  'model_init_kwargs': {'dtype': 'bfloat16' if cuda else 'float32'}}
    if smoke: trainer_kw.update(per_device_train_batch_size=4, gradient_checkpointing=False, logging_steps=1)
    quant = {'load_in_4bit': True, 'bnb_4bit_quant_type': 'nf4', 'bnb_4bit_use_double_quant': True,
             'bnb_4bit_compute_dtype': 'bfloat16' if cuda else 'float32'}
    if kind == 'recommended':
        trainer_kw.update(packing=True, packing_strategy='bfd',
                          use_liger_kernel=bool(importlib.util.find_spec('liger_kernel')) and cuda)
        trainer_kw['model_init_kwargs'] = {**trainer_kw['model_init_kwargs'], 'attn_implementation': attn if cuda else 'eager'}
    if cuda: torch.cuda.reset_peak_memory_stats()
    if kind == 'plain':
        from datasets import Dataset
        from peft import LoraConfig
        from transformers import BitsAndBytesConfig
        from trl import SFTConfig, SFTTrainer
        q = {**quant, 'bnb_4bit_compute_dtype': getattr(torch, quant['bnb_4bit_compute_dtype'])}
        trainer = SFTTrainer(model=model_dir, args=SFTConfig(output_dir=out, **trainer_kw), train_dataset=Dataset.from_list(records()),
                             peft_config=LoraConfig(task_type='CAUSAL_LM', **LORA), quantization_config=BitsAndBytesConfig(**q))
        if smoke:
            from csqa.train.plan import cpu_safe_4bit
            cpu_safe_4bit(trainer.model)
        trainer.train()
        history = trainer.state.log_history
    else:
        from csqa.train.configs import config_from_dict
        from csqa.train.sft import train_sft
        cfg = config_from_dict({'stage': 'sft', 'model': model_dir, 'data': 'sample', 'held_out': 0.0, 'lora': LORA,
                                'quantization': quant, 'trainer': trainer_kw}, f'bench-{kind}')
        history = train_sft(cfg, out).log_history
        from csqa.train.configs import kernel_settings
        used, attn_used, _ = kernel_settings(cfg, cuda)  # what train_sft ran with: packing stays on only with a varlen kernel
        trainer_kw = {**used, 'model_init_kwargs': {**used.get('model_init_kwargs', {}), 'attn_implementation': attn_used}}
    runtime = next(h for h in history if 'train_runtime' in h)['train_runtime']
    tokens = max(h.get('num_tokens', 0) for h in history)
    return {'kind': kind, 'steps': steps, 'tokens': tokens, 'seconds': runtime, 'tokens_per_s': tokens/runtime,
            'peak_mem_gb': torch.cuda.max_memory_allocated()/2**30 if cuda else None,
            'attn': trainer_kw['model_init_kwargs'].get('attn_implementation', 'default'),
            'liger': trainer_kw.get('use_liger_kernel', False), 'packing': trainer_kw.get('packing', False)}

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=30)
    p.add_argument('--layers', type=int, default=28, help='decoder layers of the 7B-class model (28 as Qwen2.5-7B)')
    p.add_argument('--out', default=os.environ.get('OUT', 'bench-train-gpu'))
    p.add_argument('--cpu-smoke', action='store_true', help='run the three workers on CPU with a two-layer model')
    p.add_argument('--worker', nargs=3, metavar=('KIND', 'MODEL_DIR', 'RESULT'), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        kind, model_dir, result = a.worker
        Path(result).write_text(json.dumps(worker(kind, model_dir, a.steps, a.cpu_smoke, str(Path(result).with_suffix('')))))
        return 0
    import torch
    if not torch.cuda.is_available() and not a.cpu_smoke:
        print('train_gpu: skipped: no CUDA device here (run it on a GPU machine; --cpu-smoke tests the script on CPU)')
        return 0
    if missing():
        print(f'train_gpu: skipped: missing {", ".join(missing())} (bring them as wheels: see ENVIRONMENT.md, GPU)')
        return 0
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix='csqa-train-gpu-'))
    env = {**os.environ, 'HF_HUB_OFFLINE': '1', 'CSQA_HOME': str(work/'home'), 'HF_HOME': str(work/'hf')}
    t = time.time()
    model_dir = build_model(work/'model', a.layers, a.cpu_smoke)
    print(f'model built and saved in {time.time() - t:.0f} s: {model_dir}')
    results = {}
    for kind in ('plain', 'csqa', 'recommended'):
        res = work/f'{kind}.json'
        cmd = [sys.executable, __file__, '--steps', str(a.steps), '--worker', kind, str(model_dir), str(res)]
        if a.cpu_smoke: cmd.append('--cpu-smoke')
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            print(f'{kind}: failed\n{r.stderr[-3000:]}'); results[kind] = {'kind': kind, 'error': r.stderr[-3000:]}; continue
        results[kind] = json.loads(res.read_text())
        m = results[kind]
        print(f"{kind:12s} {m['tokens_per_s']:9.0f} tokens/s  peak {m['peak_mem_gb'] or 0:6.2f} GB  "
              f"({m['tokens']} tokens, {m['seconds']:.1f} s, attn {m['attn']}, packing {m['packing']}, liger {m['liger']})")
    ok = all('error' not in results[k] for k in results)
    if ok:
        base, c, rec = results['plain'], results['csqa'], results['recommended']
        ratios = {'csqa_throughput_vs_plain': c['tokens_per_s']/base['tokens_per_s'],
                  'recommended_throughput_vs_plain': rec['tokens_per_s']/base['tokens_per_s']}
        if base['peak_mem_gb']: ratios['csqa_memory_vs_plain'] = c['peak_mem_gb']/base['peak_mem_gb']
        results['ratios'] = ratios
        print('ratios: ' + ', '.join(f'{k} {v:.3f}' for k, v in ratios.items())
              + '   (targets: csqa >= 0.98 at memory <= 1.05; recommended >= 1.5)')
    device = 'cpu (smoke)' if a.cpu_smoke else torch.cuda.get_device_name(0)
    (out/'train_gpu.json').write_text(json.dumps({'device': device, 'layers': a.layers, 'steps': a.steps, **results}, indent=2))
    print(f'figures: {out/"train_gpu.json"}')
    return 0 if ok else 1

if __name__ == '__main__': sys.exit(main())
