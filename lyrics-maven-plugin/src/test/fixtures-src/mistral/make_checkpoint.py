#!/usr/bin/env python3
"""A Mistral-shaped checkpoint as transformers writes it, a peft adapter as peft writes it, and the
log-probabilities both give, for MistralCheckpointTest.

    python make_checkpoint.py OUT_DIR       # transformers 5.18, peft 0.21, torch 2.13 (CPU)

OUT_DIR/tiny-mistral/           MistralForCausalLM(random weights).to(bfloat16).save_pretrained(max_shard_size="1MB"):
                                config.json (rope_parameters, dtype), model-0000N-of-0000M.safetensors, index
OUT_DIR/tiny-mistral-lora/      get_peft_model(r 8, alpha 16, the seven projections, init_lora_weights=False)
                                .save_pretrained: adapter_config.json, adapter_model.safetensors
OUT_DIR/tiny-mistral-config-4.57.json
                                the same config in transformers 4.57's spelling (top-level rope_theta,
                                torch_dtype), which does not install beside 5.18 here
OUT_DIR/tiny-mistral-logprobs.json
                                log p(ids[t+1] | ids[..t]) in float32 for fixed id sequences, base and adapted

The shapes are Mistral-7B-Instruct-v0.3's where they decide the math (head_dim 128, 4 query heads per
key/value head, rope_theta 1e6, sliding_window null, untied lm_head, rms_norm_eps 1e-5) and small
elsewhere (2 layers, hidden 256, 1024 tokens) so the fixture is a few MB.
"""
import json
import os
import sys

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import MistralConfig, MistralForCausalLM

SEQUENCES = [
    [1, 17, 940, 3, 512, 1000, 2, 77, 77, 77, 300, 301, 302, 5, 1023, 0, 64, 128, 256, 511],
    [1] + [(i * 37 + 11) % 1024 for i in range(47)],
]
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def log_probs(model, ids):
    with torch.no_grad():
        x = torch.tensor([ids])
        logits = model(x).logits.float()
        lp = torch.log_softmax(logits[0, :-1], dim=-1)
        return lp.gather(1, x[0, 1:].unsqueeze(1)).squeeze(1).tolist()


def main(out):
    torch.manual_seed(3407)
    config = MistralConfig(vocab_size=1024, hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=1, head_dim=128,
                           max_position_embeddings=32768, rms_norm_eps=1e-5, rope_theta=1_000_000.0,
                           sliding_window=None, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    model = MistralForCausalLM(config).to(torch.bfloat16)
    base_dir = os.path.join(out, "tiny-mistral")
    model.save_pretrained(base_dir, max_shard_size="1MB")

    # what the loader is held to: transformers' own reload of what it wrote, computed in float32
    base = MistralForCausalLM.from_pretrained(base_dir, dtype=torch.float32).eval()
    assert base.config.rope_parameters["rope_theta"] == 1_000_000.0
    torch.manual_seed(3408)
    lora = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=TARGETS, init_lora_weights=False,
                      task_type="CAUSAL_LM")
    adapted = get_peft_model(base, lora)
    adapter_dir = os.path.join(out, "tiny-mistral-lora")
    adapted.save_pretrained(adapter_dir)
    plain = base_only(base_dir)
    base_lp = [log_probs(plain, ids) for ids in SEQUENCES]
    reloaded = PeftModel.from_pretrained(base_only(base_dir), adapter_dir).eval()
    adapted_lp = [log_probs(reloaded, ids) for ids in SEQUENCES]
    gap = max(abs(a - b) for s, t in zip(base_lp, adapted_lp) for a, b in zip(s, t))
    assert gap > 1e-2, f"the adapter barely moves the log-probs ({gap})"

    with open(os.path.join(base_dir, "config.json"), encoding="utf-8") as f:
        written = json.load(f)
    old = {k: v for k, v in written.items() if k not in ("rope_parameters", "dtype")}
    old["rope_theta"] = written["rope_parameters"]["rope_theta"]
    old["rope_scaling"] = None
    old["torch_dtype"] = written["dtype"]
    old["transformers_version"] = "4.57.6"
    with open(os.path.join(out, "tiny-mistral-config-4.57.json"), "w", encoding="utf-8") as f:
        json.dump(dict(sorted(old.items())), f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "tiny-mistral-logprobs.json"), "w", encoding="utf-8") as f:
        json.dump({"made_by": "make_checkpoint.py: transformers MistralForCausalLM and peft PeftModel, float32",
                   "sequences": [{"ids": ids, "base": b, "adapted": a}
                                 for ids, b, a in zip(SEQUENCES, base_lp, adapted_lp)]}, f, indent=1)
        f.write("\n")
    print("max |adapted - base| log-prob", gap)


def base_only(base_dir):
    return MistralForCausalLM.from_pretrained(base_dir, dtype=torch.float32).eval()


if __name__ == "__main__":
    main(sys.argv[1])
