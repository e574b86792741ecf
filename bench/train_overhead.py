"""Bench: the step time of csqa's SFT (`csqa train sft`, i.e. `csqa.train.train_sft`) against a plain TRL script with the
same config, on the tiny model, measured in this run.

The plain script reads configs/sft-tiny.yaml with PyYAML, builds the same prompt–completion records by hand (the
answering prompt, the gold), and calls `SFTTrainer(model=path, args=SFTConfig(**trainer), peft_config=LoraConfig(**lora))`:
what a TRL user would write. csqa's path adds config checking, the split, the contamination check, the manifest and its
callbacks. The two alternate, `--repeats` times each, and the median seconds per optimizer step (the trainer's own
`train_runtime` / steps) are compared; one CPU thread each, so they do not fight over the cores. Target: ratio <= 1.05.
Run: python bench/train_overhead.py [--steps 60] [--repeats 3]
"""
import argparse, os, statistics, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).parents[1]

def plain_trl(model_dir:str, cfg:dict, steps:int, out:str)->float:
    "Seconds per step of a plain TRL SFT script with the config's trainer and LoRA settings."
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer
    from csqa.data import load_questions
    suffix = {'en': 'Answer the question above directly and factually, in no more than 64 words.',
              'zh': '请直接、准确地回答上面的问题，回答不超过 64 个词。'}
    q = load_questions('sample')
    rows = [{'prompt': [{'role': 'user', 'content': f'{question}\n\n{suffix[lang]}'}],
             'completion': [{'role': 'assistant', 'content': answer}]}
            for question, answer, lang in q.select('question', 'answer', 'lang').iter_rows()]
    trainer_kw = {**cfg['trainer'], 'output_dir': out, 'max_steps': steps, 'save_strategy': 'no', 'bf16': False,
                  'use_cpu': True, 'disable_tqdm': True, 'report_to': 'none', 'seed': cfg.get('seed', 0)}
    trainer = SFTTrainer(model=model_dir, args=SFTConfig(**trainer_kw), train_dataset=Dataset.from_list(rows),
                         peft_config=LoraConfig(task_type='CAUSAL_LM', **cfg['lora']))
    trainer.train()
    return trainer.state.log_history[-1]['train_runtime'] / steps

def csqa_sft(cfg:dict, steps:int, out:str)->float:
    "Seconds per step of csqa's SFT with the same config (the function `csqa train sft` calls)."
    from csqa.train.configs import config_from_dict
    from csqa.train.sft import train_sft
    d = {**cfg, 'held_out': 0.0, 'trainer': {**cfg['trainer'], 'save_strategy': 'no', 'disable_tqdm': True}}
    res = train_sft(config_from_dict(d, 'configs/sft-tiny.yaml', 'sft'), out, max_steps=steps)
    return next(h for h in res.log_history if 'train_runtime' in h)['train_runtime'] / steps

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=60)
    p.add_argument('--repeats', type=int, default=3)
    a = p.parse_args()
    import torch, yaml
    torch.set_num_threads(1)
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    tmp = Path(tempfile.mkdtemp(prefix='csqa-bench-train-'))
    os.environ['CSQA_HOME'] = str(tmp/'home')
    from csqa.train.configs import tiny_model_dir
    from csqa.tiny import build_tiny_model
    model_dir = str(build_tiny_model(tiny_model_dir()))
    cfg = yaml.safe_load((ROOT/'configs'/'sft-tiny.yaml').read_text())
    cfg.pop('stage'); cfg['model'] = 'tiny'; cfg['trainer'].pop('output_dir')
    plain_trl(model_dir, cfg, 5, str(tmp/'warm'))  # warm-up: imports, first tokenisation
    times = {'plain TRL': [], 'csqa train sft': []}
    for r in range(a.repeats):
        times['plain TRL'].append(plain_trl(model_dir, cfg, a.steps, str(tmp/f'plain{r}')))
        times['csqa train sft'].append(csqa_sft(cfg, a.steps, str(tmp/f'csqa{r}')))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f'tiny model, configs/sft-tiny.yaml, {a.steps} steps x {a.repeats} repeats, 1 thread')
    for k, v in times.items(): print(f'  {k:16s} s/step median {med[k]*1000:7.1f} ms   runs: ' + ', '.join(f'{x*1000:.1f}' for x in v))
    ratio = med['csqa train sft'] / med['plain TRL']
    print(f'ratio csqa / plain TRL: {ratio:.3f} (target <= 1.05)')
    return 0

if __name__ == '__main__': sys.exit(main())
