"SFT on the tiny model: the loss falls, only the answer is learned (checked token by token), QLoRA trains on CPU, resume continues exactly."
import os
from pathlib import Path
import pytest

@pytest.fixture(autouse=True)
def offline(tmp_path, monkeypatch):
    "No hub, no reporting, a private HF_HOME and tiny-model home, and one torch thread (faster for a 2-layer model)."
    import torch
    monkeypatch.setenv('HF_HUB_OFFLINE', '1'); monkeypatch.setenv('HF_HOME', str(tmp_path/'hf'))
    monkeypatch.setenv('CSQA_HOME', str(tmp_path.parent/'csqa-home'))
    threads = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

@pytest.fixture(scope='module')
def small_data(tmp_path_factory)->str:
    "32 questions of the bundled sample (16 EN/ZH pairs): enough to see memorisation within a test's budget."
    from csqa.data import load_questions
    path = tmp_path_factory.mktemp('data')/'small.parquet'
    load_questions('sample').head(32).write_parquet(path)
    return str(path)

def sft_config(data='sample', **trainer):
    from csqa.train.configs import config_from_dict
    return config_from_dict({'stage': 'sft', 'data': data, 'held_out': 0.0, 'lora': {'r': 16, 'lora_alpha': 32, 'target_modules': 'all-linear'},
                             'trainer': {'per_device_train_batch_size': 8, 'learning_rate': 5e-3, 'logging_steps': 1,
                                         'lr_scheduler_type': 'constant', 'gradient_checkpointing': False,
                                         'save_strategy': 'no', 'disable_tqdm': True, **trainer}})

def losses(res)->list[float]: return [h['loss'] for h in res.log_history if 'loss' in h]

def test_labels_mask_everything_but_the_answer(tmp_path):
    from csqa.train.plan import plan_run
    from csqa.train.sft import sft_trainer
    from csqa.train.data import sft_records
    plan = plan_run(sft_config(max_steps=1), 'sft', tmp_path/'out')
    trainer = sft_trainer(plan)
    tok, records = trainer.processing_class, sft_records(plan.train)
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(6)])
    for row, rec in enumerate(records[:6]):
        # the prompt's and the whole chat's tokens, computed here from the chat template, independently of TRL
        prompt = tok.apply_chat_template(rec['prompt'], add_generation_prompt=True, tokenize=True, return_dict=False)
        whole = tok.apply_chat_template(rec['prompt'] + rec['completion'], tokenize=True, return_dict=False)
        ids, labels = batch['input_ids'][row].tolist(), batch['labels'][row].tolist()
        n = len(whole)
        assert ids[:n] == whole and all(t == tok.pad_token_id for t in ids[n:])
        for i, (t, lab) in enumerate(zip(ids, labels)):
            learned = len(prompt) <= i < n
            assert lab == (t if learned else -100), (row, i, tok.decode([t]), lab)
        assert tok.decode(ids[len(prompt):n]) == rec['completion'][0]['content'] + '<|im_end|>\n'

def test_sft_loss_falls(tmp_path, small_data):
    from csqa.train.sft import train_sft
    res = train_sft(sft_config(small_data, max_steps=40), tmp_path/'out')
    ls = losses(res)
    assert len(ls) == 40 and sum(ls[-5:])/5 < 0.3*sum(ls[:5])/5, [round(x, 2) for x in ls]
    assert (tmp_path/'out'/'adapter_model.safetensors').exists() and res.manifest['global_step'] == 40

def test_qlora_trains_on_cpu(tmp_path, small_data):
    import bitsandbytes as bnb
    from csqa.train.plan import plan_run
    from csqa.train.sft import sft_trainer, run_trainer
    cfg = sft_config(small_data, max_steps=30)
    cfg.quantization = {'load_in_4bit': True}
    plan = plan_run(cfg, 'sft', tmp_path/'out')
    trainer = sft_trainer(plan)
    layers = [m for m in trainer.model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert layers and all(m.weight.quant_state.quant_type == 'nf4' and m.weight.quant_state.nested for m in layers)
    ls = losses(run_trainer(plan, trainer))
    assert sum(ls[-5:])/5 < 0.5*sum(ls[:5])/5, [round(x, 2) for x in ls]

def test_resume_continues_at_the_right_step_with_the_same_batches(tmp_path):
    from csqa.train.sft import train_sft
    kw = dict(save_strategy='steps', save_steps=3)
    straight = losses(train_sft(sft_config(max_steps=6, **kw), tmp_path/'straight'))
    train_sft(sft_config(max_steps=3, **kw), tmp_path/'resumed')
    from test_train_grpo import step_counter
    steps = step_counter()
    res = train_sft(sft_config(max_steps=6, **kw), tmp_path/'resumed', resume=True, callbacks=[steps])
    assert steps.taken == [4, 5, 6]  # it continued at step 4, and did not train steps 1-3 again
    assert res.global_step == 6 and res.manifest['resumed']
    # the history of steps 1-3 comes back from the checkpoint; steps 4-6 are trained after resuming, and the same
    # weights, optimizer state and batches give the same losses as the run that never stopped
    assert [h['step'] for h in res.log_history if 'loss' in h] == [1, 2, 3, 4, 5, 6]
    resumed = losses(res)[3:]
    assert resumed == pytest.approx(straight[3:], rel=1e-4), (resumed, straight)

def test_packing_is_padding_free_without_cross_contamination(tmp_path, small_data):
    "With bfd packing, several answers share one row; each one's logits equal those of the answer run alone."
    import torch
    from csqa.train.plan import plan_run
    from csqa.train.sft import sft_trainer
    plan = plan_run(sft_config(small_data, max_steps=1, packing=True, max_length=256, per_device_train_batch_size=2), 'sft', tmp_path/'out')
    # sdpa here: the plan turns packing off and says so; a machine with flash attention keeps it, as checked below
    assert plan.args.packing is False and [n for n in plan.notes if n.startswith('packing: off (sdpa attention')]
    plan.args.packing = True
    trainer = sft_trainer(plan)
    batch = next(iter(trainer.get_train_dataloader()))
    assert 'attention_mask' not in batch and batch['input_ids'].shape[0] == 1  # padding-free: one flat row, no padding
    ids, pos = batch['input_ids'][0], batch['position_ids'][0]
    starts = (pos == 0).nonzero().flatten().tolist() + [len(pos)]
    assert len(starts) > 3  # several examples packed together
    model = trainer.model.eval()
    with torch.no_grad():
        packed = model(input_ids=batch['input_ids'], position_ids=batch['position_ids']).logits[0]
        for a, b in zip(starts, starts[1:]):
            alone = model(input_ids=ids[a:b][None]).logits[0]
            assert torch.allclose(packed[a:b], alone, atol=1e-4), (a, b, (packed[a:b] - alone).abs().max())
    labels = batch['labels'][0]
    assert all(labels[s] == -100 for s in starts[:-1])  # each example's first (prompt) token is masked

def test_merge_command_gives_a_model_the_hf_backend_answers_with(tmp_path, small_data):
    "`csqa train merge ADAPTER --out DIR`: the merged model loads in csqa's HF backend and recalls what SFT taught."
    from csqa.cli.main import main
    from csqa.train.sft import train_sft
    from csqa.backends import make_backend, GenParams
    from csqa.prompts import load_template
    from csqa.rules import grade_rules
    import polars as pl
    train_sft(sft_config(small_data, max_steps=60), tmp_path/'adapter')
    assert main(['train', 'merge', str(tmp_path/'adapter'), '--out', str(tmp_path/'merged')]) == 0
    assert not (tmp_path/'merged'/'adapter_config.json').exists() and (tmp_path/'merged'/'train_manifest.json').exists()
    backend, template = make_backend('hf', str(tmp_path/'merged')), load_template('codesimpleqa')
    q = pl.read_parquet(small_data)
    gens = backend.generate_batch([backend.render(template.messages(x, l)) for x, l in zip(q['question'], q['lang'])],
                                  GenParams(max_tokens=16), None)
    recalled = sum(grade_rules(g.text, a, list(al) if al is not None else []).verdict == 'CORRECT'
                   for g, a, al in zip(gens, q['answer'], q['aliases']))
    assert recalled >= len(q)//2, (recalled, [g.text for g in gens[:5]])

def test_a_save_that_writes_no_adapter_fails_the_run(tmp_path, monkeypatch):
    "What FSDP with a sharded state dict did: save_model wrote nothing, yet the run reported success. Now it is an error naming the folder."
    from transformers import Trainer
    from csqa.train.sft import train_sft
    monkeypatch.setattr(Trainer, 'save_model', lambda self, *a, **k: None)
    with pytest.raises(RuntimeError, match='the trainer saved no adapter_config.json and no weights'):
        train_sft(sft_config(max_steps=1), tmp_path/'out')
    assert not (tmp_path/'out'/'train_manifest.json').exists()
