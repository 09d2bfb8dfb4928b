#!/usr/bin/env python3
"""The ids SentencePiece itself gives, with Mistral's v3 model, for the texts the tokenizer test
holds the project to: every record of the embedded test split rendered with the study's Alpaca
template, and a torture list.

    python tokenizer_ids.py MODEL.v3 tokenizer.json experiment/target/lyrics/preprocess/test.json OUT.json

For each text it also checks what the study's framing gives: Hugging Face's fast tokenizer (this
tokenizer.json) on text + "</s>" with its special tokens, as the study's script tokenized every
example, is BOS + SentencePiece's ids + EOS, the framing the project builds (TrainingExample).
"""
import json
import re
import sys

import sentencepiece as spm
from transformers import PreTrainedTokenizerFast

# dev.lyrics.dataset.PromptTemplate.STUDY, filled in one pass as PromptTemplate.render does
STUDY = ("Below are some instructions that describe some tasks. Write responses that appropriately complete"
         " each request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n{output}")

TORTURE = [
    ("leading space", " The LORD is my shepherd", True),
    ("two leading spaces", "  two leading spaces", True),
    ("trailing spaces", "trailing spaces  ", True),
    ("multiple spaces", "multiple   spaces    inside", True),
    ("only a space", " ", True),
    ("only spaces", "   ", True),
    ("newline first", "\nnewline first", True),
    ("newlines and blank lines", "verse one\n\nverse two\n\n\n\nverse three\n", True),
    ("windows line ends", "line one\r\nline two\r\n", True),
    ("tabs", "\tindented\tby tabs\t", True),
    ("space then tab", " \t mixed", True),
    ("accents", "Crème brûlée, naïve façade, Ångström, São Paulo, Beyoncé, Ñandú", True),
    ("combining accents", "Cafe\u0301 nai\u0308ve", True),
    ("emoji", "emoji 😀🎤🔥 and 👨‍👩‍👧 family", True),
    ("cjk", "中文歌词 日本語の歌詞 한국어 가사", True),
    ("song markers", "<|song_start|>\nYo, check it\n<|song_end|>\n", True),
    ("markers glued", "<|song_end|><|song_start|>", True),
    ("digits", "1234567890 3.14159 2024-05-22 99 problems 4:44", True),
    ("very long word", "Supercalifragilisticexpialidocious" * 8, True),
    ("very long run", "a" * 700, True),
    ("punctuation", "Wait... what?! (yeah) [chorus] {x} \"quoted\" 'single' — dash – n-dash", True),
    ("private use and rare", "\ue000\U0001d11e\u2603\u00a0nbsp", True),
    # SentencePiece turns a literal ▁ into a space too: ids agree, decoding gives spaces back
    ("literal metaspace", "a ▁ b▁c", False),
]


def render(record):
    return re.sub(r"\{(instruction|input|output)}", lambda m: record[m.group(1)], STUDY)


def main(model_file, tokenizer_file, test_json, out):
    sp = spm.SentencePieceProcessor(model_file=model_file)
    fast = PreTrainedTokenizerFast(tokenizer_file=tokenizer_file, bos_token="<s>", eos_token="</s>",
                                   unk_token="<unk>")
    with open(test_json, encoding="utf-8") as f:
        records = json.load(f)
    entries = []
    for i, record in enumerate(records):
        text = render(record)
        ids = sp.encode(text)
        assert sp.decode(ids) == text
        study = fast(text + fast.eos_token).input_ids
        assert study == [sp.bos_id()] + ids + [sp.eos_id()], f"framing of test record {i}"
        entries.append({"name": f"test record {i}", "record": {k: record[k] for k in ("instruction", "input", "output")},
                        "text": text, "decodes": True, "ids": ids})
    for name, text, decodes in TORTURE:
        ids = sp.encode(text)
        assert (sp.decode(ids) == text) == decodes, name
        entries.append({"name": name, "text": text, "decodes": decodes, "ids": ids})
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"tokenizer": "sentencepiece " + spm.__version__ + " with mistral_instruct_tokenizer_240323.model.v3"
                   " (mistral-common), encode(text) with no BOS/EOS",
                   "template": STUDY, "texts": entries}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(len(entries), "texts,", sum(len(e["ids"]) for e in entries), "ids ->", out)


if __name__ == "__main__":
    main(*sys.argv[1:])
