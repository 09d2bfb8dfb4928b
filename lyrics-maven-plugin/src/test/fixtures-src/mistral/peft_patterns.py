#!/usr/bin/env python3
r"""A peft adapter whose modules differ in rank and alpha (rank_pattern, alpha_pattern), the log-probs
peft gives with it, and which modules peft adapts (with what r, alpha and scaling) for a set of
adapter configs, for MistralPeftPatternsTest and PeftConfigTest.

    python peft_patterns.py MODEL_DIR      # transformers 5.18, peft 0.21, torch 2.13 (CPU)

MODEL_DIR is src/test/resources/dev/lyrics/model/, which holds the committed tiny-mistral/ (made by
make_checkpoint.py); this script writes beside it:

MODEL_DIR/tiny-mistral-lora-patterns/     get_peft_model(r 4, alpha 8, rank_pattern, alpha_pattern,
                                          init_lora_weights=False).save_pretrained
MODEL_DIR/tiny-mistral-lora-patterns.json log p(ids[t+1] | ids[..t]) in float32 for make_checkpoint.py's
                                          sequences with that adapter ("adapted") and with the same
                                          weights read with use_rslora=True ("adapted_rslora"), and
                                          "targeting": for each case, the adapter config given to peft
                                          and {module: [r, lora_alpha, scaling]} for every module peft
                                          wrapped, or the error peft raised

peft saves adapter_config.json with sorted keys, and its reload takes the patterns in the file's order:
"^model.layers.0.mlp.up_proj" (alpha 40) sorts before "mlp\..*_proj" (alpha 5), so the reloaded adapter
(and the log-probs here) has alpha 40 on that module where the model it was saved from had 5.
"""
import json
import os
import shutil
import sys
import tempfile

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from peft.tuners.lora import LoraLayer

from make_checkpoint import SEQUENCES, TARGETS, base_only, log_probs

# dict order matters: peft takes the first key that matches, so "k_proj" (6) wins over the later
# "layers.1.self_attn.k_proj" (10) and "mlp\..*_proj" (alpha 5) over "^model.layers.0.mlp.up_proj";
# "roj" and "_proj" match no module name at all (a key must follow a dot or start the name)
RANK_PATTERN = {
    "roj": 99,
    "_proj": 98,
    "layers.0.self_attn.q_proj": 12,
    "^model.layers.1.mlp.down_proj": 2,
    "k_proj": 6,
    "layers.1.self_attn.k_proj": 10,
    "self_attn.(o|v)_proj": 3,
}
ALPHA_PATTERN = {
    "q_proj": 24,
    r"mlp\..*_proj": 5,
    "^model.layers.0.mlp.up_proj": 40,
    "model.layers.1.self_attn.o_proj": 1.5,
}

# configs whose targeting peft resolves on the same base: every field that picks modules
CASES = [
    {"target_modules": TARGETS, "rank_pattern": RANK_PATTERN, "alpha_pattern": ALPHA_PATTERN},
    {"target_modules": TARGETS, "rank_pattern": RANK_PATTERN, "alpha_pattern": ALPHA_PATTERN, "use_rslora": True},
    {"target_modules": ["q_proj", "v_proj"], "alpha_pattern": {"^model.layers.1.self_attn.q_proj": 32}},
    {"target_modules": r".*\.layers\.1\..*(q|gate)_proj"},
    {"target_modules": r".*(q|gate)_proj", "layers_to_transform": [0]},
    {"target_modules": ["q_proj", "down_proj"], "layers_to_transform": [0]},
    {"target_modules": ["q_proj", "down_proj"], "layers_to_transform": 1, "layers_pattern": "layers"},
    {"target_modules": ["q_proj", "down_proj"], "layers_to_transform": [0, 1], "layers_pattern": ["h", "layers"]},
    {"target_modules": ["q_proj", "down_proj"], "layers_to_transform": [1], "layers_pattern": "h"},
    {"target_modules": ["model.layers.0.self_attn.q_proj", "v_proj"], "layers_to_transform": [1]},
    {"target_modules": ["mlp.down_proj", "self_attn.q_proj", "layers.1.mlp.up_proj"]},
    {"target_modules": ["q_proj", "v_proj"], "layers_to_transform": []},
    {"target_modules": ["q_proj"], "layers_pattern": "layers"},
    {"target_modules": ["proj", "_proj"]},
    {"target_modules": r".*layers\.1\.mlp"},
    {"target_modules": ["lm_head", "q_proj"]},
    {"target_modules": ["embed_tokens"]},
    {"target_modules": TARGETS, "exclude_modules": ["v_proj", "model.layers.0.mlp.up_proj", "mlp"]},
    {"target_modules": TARGETS, "exclude_modules": r".*layers\.0\..*"},
    {"target_modules": "all-linear", "rank_pattern": {"model.layers.1.self_attn.k_proj": 5}},
    {"target_modules": TARGETS, "rank_pattern": {"layers.0.mlp.gate_proj": 7}, "alpha_pattern": {"gate_proj": 3},
     "use_rslora": True},
]


def targeting(base_dir, case):
    try:
        model = get_peft_model(base_only(base_dir), LoraConfig(r=4, lora_alpha=8, task_type="CAUSAL_LM", **case))
    except (ValueError, RuntimeError) as e:
        return {"config": case, "error": str(e).splitlines()[0]}
    modules = {}
    for name, module in model.base_model.model.named_modules():
        if isinstance(module, LoraLayer):
            modules[name] = [module.r["default"], module.lora_alpha["default"], module.scaling["default"]]
    return {"config": case, "modules": dict(sorted(modules.items()))}


def main(model_dir):
    base_dir = os.path.join(model_dir, "tiny-mistral")
    torch.manual_seed(3409)
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS, rank_pattern=RANK_PATTERN,
                        alpha_pattern=ALPHA_PATTERN, init_lora_weights=False, task_type="CAUSAL_LM")
    adapted = get_peft_model(base_only(base_dir), config)
    adapter_dir = os.path.join(model_dir, "tiny-mistral-lora-patterns")
    adapted.save_pretrained(adapter_dir)
    os.remove(os.path.join(adapter_dir, "README.md"))
    config_file = os.path.join(adapter_dir, "adapter_config.json")
    with open(config_file, encoding="utf-8") as f:
        saved = json.load(f)
    saved["base_model_name_or_path"] = "tiny-mistral"
    with open(config_file, "w", encoding="utf-8") as f:
        json.dump(saved, f, indent=2, sort_keys=True)

    reloaded = PeftModel.from_pretrained(base_only(base_dir), adapter_dir).eval()
    adapted_lp = [log_probs(reloaded, ids) for ids in SEQUENCES]
    with tempfile.TemporaryDirectory() as rslora_dir:
        shutil.copy(os.path.join(adapter_dir, "adapter_model.safetensors"), rslora_dir)
        with open(os.path.join(rslora_dir, "adapter_config.json"), "w", encoding="utf-8") as f:
            json.dump(dict(saved, use_rslora=True), f)
        rslora = PeftModel.from_pretrained(base_only(base_dir), rslora_dir).eval()
        rslora_lp = [log_probs(rslora, ids) for ids in SEQUENCES]

    base_lp = [log_probs(base_only(base_dir), ids) for ids in SEQUENCES]
    for name, lp in (("adapted", adapted_lp), ("adapted_rslora", rslora_lp)):
        gap = max(abs(a - b) for s, t in zip(base_lp, lp) for a, b in zip(s, t))
        assert gap > 1e-2, f"{name}: the adapter barely moves the log-probs ({gap})"
        print(f"max |{name} - base| log-prob {gap:.4f}")

    with open(os.path.join(model_dir, "tiny-mistral-lora-patterns.json"), "w", encoding="utf-8") as f:
        json.dump({"made_by": "peft_patterns.py: transformers MistralForCausalLM and peft 0.21 PeftModel, float32",
                   "sequences": [{"ids": ids, "adapted": a, "adapted_rslora": r}
                                 for ids, a, r in zip(SEQUENCES, adapted_lp, rslora_lp)],
                   "targeting": [targeting(base_dir, case) for case in CASES]}, f, indent=1)
        f.write("\n")
    for name, module in reloaded.base_model.model.named_modules():
        if isinstance(module, LoraLayer):
            print(name, module.r["default"], module.lora_alpha["default"], round(module.scaling["default"], 4))


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        # peft keeps target_modules as a set: a fixed hash seed makes the files it writes reproducible
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    main(sys.argv[1])
