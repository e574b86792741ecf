"""csqa.train: post-training for factuality — SFT (LoRA/QLoRA) and GRPO with csqa's graders as the reward (needs the `train` extra: trl, peft, bitsandbytes, accelerate, datasets).

The names below load on first use, so `import csqa.train` (and its light modules: configs, data, rewards) stays free
of the training libraries until a trainer is asked for."""
import importlib

_WHERE = {'TrainConfig': 'configs', 'read_config': 'configs', 'config_from_dict': 'configs',
          'sft_records': 'data', 'grpo_records': 'data', 'split_questions': 'data', 'check_contamination': 'data',
          'factuality_reward': 'rewards', 'reward_values': 'rewards', 'REWARD_PRESETS': 'rewards',
          'plan_run': 'plan', 'read_train_manifest': 'plan', 'train_sft': 'sft', 'TrainResult': 'sft',
          'train_grpo': 'grpo', 'EvaluationCallback': 'callbacks', 'merge_adapter': 'merge',
          'train_demo': 'demo', 'DemoTraining': 'demo',
          'audit_reward': 'audit', 'RewardAudit': 'audit'}
__all__ = list(_WHERE)

def __getattr__(name):
    if name not in _WHERE: raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(f'{__name__}.{_WHERE[name]}'), name)

def __dir__(): return sorted([*globals(), *_WHERE])
