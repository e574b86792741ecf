"""csqa.train: post-training for factuality — SFT (LoRA/QLoRA) and GRPO with csqa's graders as the reward (needs the `train` extra: trl, peft, bitsandbytes, accelerate, datasets)."""
from .configs import TrainConfig, read_config, config_from_dict
from .data import sft_records, grpo_records, split_questions, check_contamination
from .rewards import factuality_reward, reward_values, REWARD_PRESETS
from .plan import plan_run, read_train_manifest
from .sft import train_sft, TrainResult
from .grpo import train_grpo
from .merge import merge_adapter
from .demo import train_demo, DemoTraining

__all__ = ['TrainConfig', 'read_config', 'config_from_dict', 'sft_records', 'grpo_records', 'split_questions',
           'check_contamination', 'factuality_reward', 'reward_values', 'REWARD_PRESETS', 'plan_run',
           'read_train_manifest', 'train_sft', 'TrainResult', 'train_grpo', 'merge_adapter', 'train_demo', 'DemoTraining']
