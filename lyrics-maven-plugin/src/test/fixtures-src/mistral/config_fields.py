#!/usr/bin/env python3
"""Every field transformers' LlamaConfig and MistralConfig define, in 4.57 and 5.18, written to
config-fields.json for LlamaConfigFieldsTest (each must be classified by dev.lyrics.model.ConfigFields).

    pip download --no-deps transformers==4.57.6 && unzip transformers-4.57.6-*.whl -d t4
    python config_fields.py t4 config-fields.json      # with transformers 5.18 installed

A field is an __init__ parameter of the class or of PretrainedConfig (its common fields) or a key
of a default instance's to_dict(). 4.57 is read from its source (it does not install beside 5.18
here: it needs huggingface-hub < 1.0); 5.18 from the installed package.
"""
import ast
import inspect
import json
import sys

import transformers
from transformers import LlamaConfig, MistralConfig, PretrainedConfig


def init_params(tree, class_name):
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    return [a.arg for a in item.args.args + item.args.kwonlyargs if a.arg != "self"]
    raise SystemExit(f"no {class_name}.__init__")


def source_fields(root):
    def parse(path):
        with open(f"{root}/transformers/{path}", encoding="utf-8") as f:
            return ast.parse(f.read())
    common = init_params(parse("configuration_utils.py"), "PretrainedConfig")
    return {
        "LlamaConfig": sorted(set(init_params(parse("models/llama/configuration_llama.py"), "LlamaConfig")) | set(common)
                              | {"architectures", "model_type", "torch_dtype", "transformers_version", "_name_or_path"}),
        "MistralConfig": sorted(set(init_params(parse("models/mistral/configuration_mistral.py"), "MistralConfig"))
                                | set(common)
                                | {"architectures", "model_type", "torch_dtype", "transformers_version", "_name_or_path"}),
    }


def installed_fields():
    common = [p for p in inspect.signature(PretrainedConfig.__init__).parameters if p not in ("self", "kwargs")]
    out = {}
    for cls in (LlamaConfig, MistralConfig):
        params = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs")]
        out[cls.__name__] = sorted(set(params) | set(common) | set(cls().to_dict()) | {"model_type"})
    return out


if __name__ == "__main__":
    t4_root, out = sys.argv[1], sys.argv[2]
    fields = {"4.57.6": source_fields(t4_root), transformers.__version__: installed_fields()}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(fields, f, indent=1, sort_keys=True)
        f.write("\n")
    for version, classes in fields.items():
        print(version, {k: len(v) for k, v in classes.items()})
