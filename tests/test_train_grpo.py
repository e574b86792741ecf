"GRPO on the tiny model with the rules reward: the mean reward rises on a toy task, and csqa's metrics are logged every step."
import pytest
from test_train_sft import offline, losses  # noqa: F401  (the same offline, one-thread set-up)

def step_counter():
    "A callback that lists the optimizer steps this process took (transformers imported here, not when pytest collects)."
    from transformers import TrainerCallback
    class StepCounter(TrainerCallback):
        def __init__(self): self.taken = []
        def on_step_end(self, args, state, control, **kw): self.taken.append(state.global_step)
    return StepCounter()

def config(stage, data, model='tiny', **trainer):
    from csqa.train.configs import config_from_dict
    return config_from_dict({'stage': stage, 'model': model, 'data': data, 'held_out': 0.0,
                             'trainer': {'lr_scheduler_type': 'constant', 'gradient_checkpointing': False,
                                         'save_strategy': 'no', 'logging_steps': 1, 'disable_tqdm': True, **trainer}})

def test_grpo_raises_the_reward_on_a_toy_task_and_logs_the_verdict_mix(tmp_path):
    "Two questions, a model that half knows them after 6 SFT steps; 25 GRPO steps with the +1/0/-1 rules reward."
    from csqa.data import load_questions
    from csqa.train.sft import train_sft
    from csqa.train.grpo import train_grpo
    data = tmp_path/'two.parquet'
    load_questions('sample').head(2).write_parquet(data)
    train_sft(config('sft', str(data), max_steps=6, per_device_train_batch_size=8, learning_rate=5e-3), tmp_path/'sft')
    res = train_grpo(config('grpo', str(data), str(tmp_path/'sft'), max_steps=25, per_device_train_batch_size=16,
                            num_generations=8, max_completion_length=8, learning_rate=5e-3), tmp_path/'grpo')
    steps = [h for h in res.log_history if 'reward' in h]
    assert len(steps) == 25
    for h in steps:
        assert {'reward_std', 'frac_reward_zero_std', 'csqa/correct', 'csqa/incorrect', 'csqa/not_attempted',
                'csqa/abstention_rate', 'csqa/parse_errors', 'csqa/all_equal_groups'} <= set(h)
        assert h['csqa/correct'] - h['csqa/incorrect'] == pytest.approx(h['reward'], abs=1e-6)  # +1/0/-1, no penalty
    rewards = [h['reward'] for h in steps]
    first, last = sum(rewards[:5])/5, sum(rewards[-5:])/5
    assert last > first + 0.3, [round(r, 2) for r in rewards]
    m = res.manifest
    assert m['reward']['values'] == {'CORRECT': 1.0, 'NOT_ATTEMPTED': 0.0, 'INCORRECT': -1.0}
    assert sum(m['reward']['verdicts'].values()) == 25*16 and m['adapter_continued']

def test_grpo_resume_samples_the_same_completions_for_the_same_prompts(tmp_path):
    "Stopped at step 2 and resumed: steps 3-4 see the same prompts and sample the same completions as an unbroken run."
    from csqa.data import load_questions
    from csqa.train.grpo import train_grpo
    data = tmp_path/'eight.parquet'
    load_questions('sample').head(8).write_parquet(data)
    def cfg(steps): return config('grpo', str(data), max_steps=steps, per_device_train_batch_size=8, num_generations=4,
                                  max_completion_length=8, learning_rate=5e-3, save_strategy='steps', save_steps=2)
    def trace(res): return [(h['step'], h['entropy'], h['num_tokens']) for h in res.log_history if 'reward' in h]
    straight = trace(train_grpo(cfg(4), tmp_path/'a'))
    train_grpo(cfg(2), tmp_path/'b')
    steps = step_counter()
    resumed = train_grpo(cfg(4), tmp_path/'b', resume=True, callbacks=[steps])
    assert steps.taken == [3, 4]  # it continued at step 3, and did not train steps 1-2 again
    assert resumed.global_step == 4 and trace(resumed) == straight

def test_grpo_continues_a_qlora_adapter_on_its_4bit_base(tmp_path):
    "SFT with QLoRA, then GRPO that continues the same adapter on the base loaded again in 4 bits (the recipe's chain)."
    import bitsandbytes as bnb
    from csqa.data import load_questions
    from csqa.train.plan import plan_run
    from csqa.train.sft import train_sft
    from csqa.train.grpo import grpo_trainer
    from csqa.train.sft import run_trainer
    data = tmp_path/'eight.parquet'
    load_questions('sample').head(8).write_parquet(data)
    sft = config('sft', str(data), max_steps=3, per_device_train_batch_size=8)
    sft.quantization = {'load_in_4bit': True}
    train_sft(sft, tmp_path/'sft')
    grpo = config('grpo', str(data), str(tmp_path/'sft'), max_steps=2, per_device_train_batch_size=8, num_generations=4,
                  max_completion_length=8)
    grpo.quantization = {'load_in_4bit': True}
    plan = plan_run(grpo, 'grpo', tmp_path/'grpo')
    assert plan.adapter and plan.lora is None  # the SFT adapter is trained on, not a new one
    trainer = grpo_trainer(plan)
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in trainer.model.modules())
    trainable = {n for n, p in trainer.model.named_parameters() if p.requires_grad}
    assert trainable and all('lora_' in n for n in trainable)
    res = run_trainer(plan, trainer)
    assert res.global_step == 2 and (tmp_path/'grpo'/'adapter_model.safetensors').exists()
