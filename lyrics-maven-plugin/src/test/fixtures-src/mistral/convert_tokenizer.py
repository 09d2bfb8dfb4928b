#!/usr/bin/env python3
"""Mistral's v3 SentencePiece model -> the tokenizer.json Hugging Face publishes for
Mistral-7B-Instruct-v0.3, written without transformers' slow-to-fast converter (5.18's fails on
this file).

    pip download --no-deps mistral-common && unzip mistral_common-*.whl 'mistral_common/data/*'
    python convert_tokenizer.py mistral_common/data/mistral_instruct_tokenizer_240323.model.v3 tokenizer.json

The result:
- model: BPE over the 32,768 pieces (id = piece index), byte_fallback on (<0x00>..<0xFF> are
  pieces 771..1026), unk <unk>, fuse_unk; merges: every split of a normal piece into two pieces of
  the vocabulary, ordered by the merged piece's score (SentencePiece BPE merges the best-scored
  piece first), ties by the ids of the two halves;
- pre_tokenizer: Metaspace ("▁", prepend_scheme "first", split false): spaces become ▁ and one ▁
  goes before the first word of the text only, SentencePiece's add_dummy_prefix (the model's
  normalizer is the identity, remove_extra_whitespaces false, so there is no normalizer);
- decoder: ▁ -> space, byte fallback, fuse, strip the one leading space;
- added_tokens: <unk>, <s>, </s> and the control pieces ([INST], [/INST], ...) as special tokens,
  the user-defined pieces ([REFERENCE_DOC_n]) as plain added tokens;
- post_processor: BOS ($A) as LlamaTokenizerFast has it (add_bos_token true, add_eos_token false).

It then checks itself id for id against the sentencepiece package on a few texts.
"""
import json
import sys

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = 1, 2, 3, 4, 6


def convert(model_file):
    proto = pb.ModelProto()
    with open(model_file, "rb") as f:
        proto.ParseFromString(f.read())
    ns, ts = proto.normalizer_spec, proto.trainer_spec
    assert ts.model_type == pb.TrainerSpec.BPE and ts.byte_fallback, "a BPE model with byte fallback"
    assert ns.add_dummy_prefix and not ns.remove_extra_whitespaces and not ns.precompiled_charsmap, \
        "identity normalizer with a dummy prefix"
    assert (ts.unk_id, ts.bos_id, ts.eos_id) == (0, 1, 2)
    pieces = proto.pieces
    vocab = {p.piece: i for i, p in enumerate(pieces)}
    assert len(vocab) == len(pieces), "piece names are unique"

    merges = []
    for merged_id, p in enumerate(pieces):
        if p.type != NORMAL or len(p.piece) < 2:
            continue
        for cut in range(1, len(p.piece)):
            left, right = p.piece[:cut], p.piece[cut:]
            if left in vocab and right in vocab and pieces[vocab[left]].type in (NORMAL, USER_DEFINED) \
                    and pieces[vocab[right]].type in (NORMAL, USER_DEFINED):
                merges.append((-p.score, merged_id, vocab[left], vocab[right], left, right))
    merges.sort(key=lambda m: m[:4])

    added = []
    for i, p in enumerate(pieces):
        if p.type in (UNKNOWN, CONTROL, USER_DEFINED):
            added.append({"id": i, "content": p.piece, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": p.type != USER_DEFINED})

    bos, eos = pieces[1].piece, pieces[2].piece
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [1], "tokens": [bos]}},
        },
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0},
        ]},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": pieces[0].piece,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": True,
            "byte_fallback": True,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [[m[4], m[5]] for m in merges],
        },
    }


def self_check(model_file, tokenizer_file):
    from tokenizers import Tokenizer
    sp = spm.SentencePieceProcessor(model_file=model_file)
    hf = Tokenizer.from_file(tokenizer_file)
    for text in ["Hello world", "The LORD is my shepherd; I shall not want.", "naïve café 日本語 😀",
                 "a\n\nb\tc", "x" * 300]:
        expected = sp.encode(text)
        actual = hf.encode(text, add_special_tokens=False).ids
        assert actual == expected, (text, actual, expected)
        assert hf.decode(actual) == text, (text, hf.decode(actual))


if __name__ == "__main__":
    model_file, out = sys.argv[1], sys.argv[2]
    with open(out, "w", encoding="utf-8") as f:
        json.dump(convert(model_file), f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    self_check(model_file, out)
    print("wrote", out)
